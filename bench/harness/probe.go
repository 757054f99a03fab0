package main

import (
	"bufio"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// pollPause is the harness's tiny back-off between failed probes.
const pollPause = 100 * time.Microsecond

// conn is one client connection on which GET requests can be sent.
type conn struct {
	net.Conn
	br *bufio.Reader
}

func dialTarget(t target, timeout time.Duration) (*conn, error) {
	d := net.Dialer{Timeout: timeout}
	var c net.Conn
	var err error
	if t.tls {
		c, err = tls.DialWithDialer(&d, t.network, t.addr, &tls.Config{
			InsecureSkipVerify: true, // our own throw-away certificate
			NextProtos:         []string{"http/1.1"},
		})
	} else {
		c, err = d.Dial(t.network, t.addr)
	}
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", t.addr, err)
	}
	return &conn{Conn: c, br: bufio.NewReader(c)}, nil
}

// get sends GET path on c and reads the whole answer.
func (c *conn) get(path string, timeout time.Duration) (int, error) {
	if err := c.SetDeadline(time.Now().Add(timeout)); err != nil {
		return 0, fmt.Errorf("deadline: %w", err)
	}
	if _, err := fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: localhost\r\n\r\n", path); err != nil {
		return 0, fmt.Errorf("write: %w", err)
	}
	resp, err := http.ReadResponse(c.br, nil)
	if err != nil {
		return 0, fmt.Errorf("read: %w", err)
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return 0, fmt.Errorf("read body: %w", err)
	}
	_ = c.SetDeadline(time.Time{})
	return resp.StatusCode, nil
}

// awaitFirst200 polls t with GET / until it answers 200, the process (or
// one of the others: nginx in front of it) exits, or the deadline passes.
// It returns the connection that got the 200, still open (an idle
// keep-alive connection from then on).
func awaitFirst200(t target, p *process, deadline time.Time, others ...*process) (*conn, error) {
	var last error
	for time.Now().Before(deadline) {
		if p.exited() {
			return nil, fmt.Errorf("server exited (%v): %s", p.waitErr, p.output())
		}
		for _, o := range others {
			if o.exited() {
				return nil, fmt.Errorf("%s exited (%v): %s", o.cmd.Path, o.waitErr, o.output())
			}
		}
		c, err := dialTarget(t, time.Second)
		if err != nil {
			last = err
			time.Sleep(pollPause)
			continue
		}
		status, err := c.get("/", 5*time.Second)
		if err == nil && status == http.StatusOK {
			return c, nil
		}
		c.Close()
		if err == nil {
			err = fmt.Errorf("status %d", status)
		}
		last = err
		time.Sleep(pollPause)
	}
	return nil, fmt.Errorf("no 200 from %s in time (last: %w): %s", t.addr, last, p.output())
}

// awaitPortFree polls until addr can be bound (the server released its
// listening socket) or the deadline passes.
func awaitPortFree(addr string, deadline time.Time) (time.Time, error) {
	for {
		ln, err := net.Listen("tcp", addr)
		if err == nil {
			t := time.Now()
			ln.Close()
			return t, nil
		}
		if time.Now().After(deadline) {
			return time.Time{}, errors.New("port " + addr + " still in use")
		}
		time.Sleep(pollPause)
	}
}

// idlePause is how long a server is left alone, with its idle keep-alive
// connection, before SIGTERM: a deliberate pause so that the connection
// is truly idle and any start-up work after the first answer is done.
const idlePause = 100 * time.Millisecond

// awaitStarted waits until p is fully started: its "engine-started" line
// for programs that print one, then idlePause.
func awaitStarted(t target, p *process) error {
	if t.startedLine {
		select {
		case <-p.started:
		case <-p.done:
			return fmt.Errorf("server exited (%v): %s", p.waitErr, p.output())
		case <-time.After(30 * time.Second):
			return fmt.Errorf("no engine-started line: %s", p.output())
		}
	}
	time.Sleep(idlePause)
	return nil
}

// startServer spawns t's program and waits until it answers 200.
func startServer(t target) (*process, error) {
	p, err := spawn(t.argv, t.env)
	if err != nil {
		return nil, err
	}
	c, err := awaitFirst200(t, p, time.Now().Add(30*time.Second))
	if err != nil {
		_ = p.stop()
		return nil, err
	}
	c.Close()
	if err := awaitStarted(t, p); err != nil {
		_ = p.stop()
		return nil, err
	}
	return p, nil
}
