package main

import (
	"bufio"
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// settle is how long the harness lets a server's memory settle before
// reading VmRSS (a deliberate pause in a harness, not a synchronisation).
const settle = 300 * time.Millisecond

// memory is a server's resident set with and without idle connections.
type memory struct {
	baseKiB   int64
	loadedKiB int64
	open      int // connections loadgen holds
	fds       int // server's extra file descriptors while held
}

func (m memory) perConnKiB() float64 {
	if m.open == 0 {
		return 0
	}
	return float64(m.loadedKiB-m.baseKiB) / float64(m.open)
}

// measureMemory starts t's server, reads its RSS, has loadgen open
// s.idleConns keep-alive connections (one request each) and reads it again.
func measureMemory(s settings, t target) (memory, error) {
	var m memory
	p, err := startServer(t)
	if err != nil {
		return m, err
	}
	defer p.stop()
	time.Sleep(settle)
	if m.baseKiB, err = rssKiB(p.pid()); err != nil {
		return m, err
	}
	baseFDs, err := openFDs(p.pid())
	if err != nil {
		return m, err
	}

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	argv := onCPU(s.clientCPU, []string{filepath.Join(s.bin, "loadgen"), "-mode", "idle",
		"-network", t.network, "-addr", t.addr, "-n", strconv.Itoa(s.idleConns), "-timeout", "60s"})
	lg := exec.CommandContext(ctx, argv[0], argv[1:]...)
	stdin, err := lg.StdinPipe()
	if err != nil {
		return m, fmt.Errorf("loadgen: %w", err)
	}
	stdout, err := lg.StdoutPipe()
	if err != nil {
		return m, fmt.Errorf("loadgen: %w", err)
	}
	if err := lg.Start(); err != nil {
		return m, fmt.Errorf("loadgen: %w", err)
	}
	defer func() {
		stdin.Close()
		_ = lg.Wait()
	}()
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "READY ") {
				ready <- sc.Text()
				break
			}
		}
		close(ready)
	}()
	var line string
	select {
	case l, ok := <-ready:
		if !ok {
			return m, fmt.Errorf("loadgen ended without READY")
		}
		line = l
	case <-ctx.Done():
		return m, fmt.Errorf("loadgen: no READY in time")
	}
	var failed int
	if _, err := fmt.Sscanf(line, "READY open=%d failed=%d", &m.open, &failed); err != nil {
		return m, fmt.Errorf("loadgen: %q: %w", line, err)
	}
	time.Sleep(settle)
	if m.loadedKiB, err = rssKiB(p.pid()); err != nil {
		return m, err
	}
	fds, err := openFDs(p.pid())
	if err != nil {
		return m, err
	}
	m.fds = fds - baseFDs
	if failed > 0 {
		return m, fmt.Errorf("loadgen: %d of %d connections failed", failed, s.idleConns)
	}
	return m, nil
}
