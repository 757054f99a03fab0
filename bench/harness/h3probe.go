package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/quic-go/quic-go"
	"github.com/quic-go/quic-go/http3"
)

// getH3 sends one GET / over HTTP/3 to addr on a fresh QUIC connection
// and reads the whole answer.
func getH3(addr string, timeout time.Duration) (int, error) {
	tr := &http3.Transport{
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, // our own throw-away certificate
		QUICConfig:      &quic.Config{HandshakeIdleTimeout: timeout},
	}
	defer tr.Close()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "https://"+addr+"/", nil)
	if err != nil {
		return 0, fmt.Errorf("h3 request: %w", err)
	}
	resp, err := tr.RoundTrip(req)
	if err != nil {
		return 0, fmt.Errorf("h3: %w", err)
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return 0, fmt.Errorf("h3 read body: %w", err)
	}
	return resp.StatusCode, nil
}

// udpBound reports whether some socket is bound to the UDP port of addr,
// from /proc/net/udp and /proc/net/udp6. Reading the tables, rather than
// trying to bind the port, cannot take the port from the server.
func udpBound(addr string) (bool, error) {
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		return false, fmt.Errorf("udp bound: %w", err)
	}
	port, err := strconv.Atoi(p)
	if err != nil {
		return false, fmt.Errorf("udp bound: %w", err)
	}
	want := fmt.Sprintf(":%04X", port)
	seen := false
	for _, table := range []string{"/proc/net/udp", "/proc/net/udp6"} {
		b, err := os.ReadFile(table)
		if err != nil {
			continue // no IPv6, say
		}
		seen = true
		if udpTableHas(string(b), want) {
			return true, nil
		}
	}
	if !seen {
		return false, fmt.Errorf("udp bound: no /proc/net/udp")
	}
	return false, nil
}

// udpTableHas reports whether a /proc/net/udp table lists a local address
// ending in portSuffix (":" and four upper-case hex digits).
func udpTableHas(table, portSuffix string) bool {
	for line := range strings.Lines(table) {
		f := strings.Fields(line)
		// sl local_address rem_address st ...
		if len(f) > 2 && strings.HasSuffix(f[1], portSuffix) {
			return true
		}
	}
	return false
}

// awaitFirstH3 waits until t's UDP port is bound, then polls GET / over
// HTTP/3 until it answers 200, the process exits, or the deadline passes.
func awaitFirstH3(t target, p *process, deadline time.Time) error {
	var last error
	for time.Now().Before(deadline) {
		if p.exited() {
			return fmt.Errorf("server exited (%v): %s", p.waitErr, p.output())
		}
		bound, err := udpBound(t.addr)
		if err != nil {
			return err
		}
		if !bound {
			last = fmt.Errorf("udp %s not bound", t.addr)
			time.Sleep(pollPause)
			continue
		}
		status, err := getH3(t.addr, 5*time.Second)
		if err == nil && status == http.StatusOK {
			return nil
		}
		if err == nil {
			err = fmt.Errorf("status %d", status)
		}
		last = err
		time.Sleep(pollPause)
	}
	return fmt.Errorf("no HTTP/3 200 from %s in time (last: %w): %s", t.addr, last, p.output())
}
