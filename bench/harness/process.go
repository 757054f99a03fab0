package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// stopTimeout bounds how long a server may take to exit after SIGTERM
// before the harness kills it.
const stopTimeout = 20 * time.Second

// process is one running server with its output watched.
type process struct {
	cmd *exec.Cmd

	done     chan struct{} // closed when the process has exited
	exitedAt time.Time     // valid once done is closed
	waitErr  error         // valid once done is closed

	slow chan struct{} // gets a value for each "slow-start" line

	startedOnce sync.Once
	started     chan struct{} // closed at the first "engine-started" line

	mu   sync.Mutex // guards tail
	tail []string   // the last lines of output, for error messages
}

// spawn starts argv with the harness's environment plus env.
func spawn(argv []string, env []string) (*process, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), env...)
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("pipe: %w", err)
	}
	cmd.Stdout, cmd.Stderr = pw, pw
	p := &process{cmd: cmd, done: make(chan struct{}), slow: make(chan struct{}, 16), started: make(chan struct{})}
	if err := cmd.Start(); err != nil {
		pr.Close()
		pw.Close()
		return nil, fmt.Errorf("start %s: %w", argv[0], err)
	}
	pw.Close()
	go p.watch(pr)
	go func() {
		p.waitErr = cmd.Wait()
		p.exitedAt = time.Now()
		close(p.done)
	}()
	return p, nil
}

func (p *process) pid() int { return p.cmd.Process.Pid }

func (p *process) watch(pr *os.File) {
	defer pr.Close()
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		line := sc.Text()
		if strings.Contains(line, "engine-started") {
			p.startedOnce.Do(func() { close(p.started) })
		}
		if strings.Contains(line, "slow-start") {
			select {
			case p.slow <- struct{}{}:
			default:
			}
		}
		p.mu.Lock()
		p.tail = append(p.tail, line)
		if len(p.tail) > 12 {
			p.tail = p.tail[1:]
		}
		p.mu.Unlock()
	}
}

// output returns the last lines the process wrote.
func (p *process) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.tail, " | ")
}

// exited reports whether the process has exited.
func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// terminate sends SIGTERM and returns when it was sent.
func (p *process) terminate() (time.Time, error) {
	t := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return t, fmt.Errorf("sigterm: %w", err)
	}
	return t, nil
}

// stop ends the process: SIGTERM, then SIGKILL after stopTimeout. It is
// safe to call on a process that already exited.
func (p *process) stop() error {
	if p.exited() {
		return nil
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		return nil
	case <-time.After(stopTimeout):
	}
	_ = p.cmd.Process.Kill()
	<-p.done
	return errors.New("did not exit within " + stopTimeout.String() + " of SIGTERM; killed")
}

// terminateUntilFree sends SIGTERM and waits, within stopTimeout, until
// addr can be bound again: it returns when the signal went and how long
// the port took to be free after it.
func (p *process) terminateUntilFree(addr string) (sig time.Time, portFree time.Duration, err error) {
	sig, err = p.terminate()
	if err != nil {
		return sig, 0, err
	}
	free, err := awaitPortFree(addr, sig.Add(stopTimeout))
	if err != nil {
		return sig, 0, err
	}
	return sig, free.Sub(sig), nil
}
