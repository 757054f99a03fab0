package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// startStop is one spawn of a server: how long until its first 200, and
// after SIGTERM (with the probe's keep-alive connection left open and
// idle) how long until the port is free and until the process exited.
type startStop struct {
	first200 time.Duration
	portFree time.Duration
	exit     time.Duration
}

// measureStartStop spawns t's program, times its first 200 from just
// before the spawn, then stops it with an idle keep-alive connection open.
func measureStartStop(t target) (startStop, error) {
	var r startStop
	t0 := time.Now()
	p, err := spawn(t.argv, t.env)
	if err != nil {
		return r, err
	}
	defer p.stop()
	c, err := awaitFirst200(t, p, time.Now().Add(30*time.Second))
	if err != nil {
		return r, err
	}
	r.first200 = time.Since(t0)
	defer c.Close()
	if err := awaitStarted(t, p); err != nil {
		return r, err
	}

	sig, portFree, err := p.terminateUntilFree(t.addr)
	if err != nil {
		return r, err
	}
	r.portFree = portFree
	select {
	case <-p.done:
		r.exit = p.exitedAt.Sub(sig)
	case <-time.After(stopTimeout):
		return r, fmt.Errorf("no exit within %v of SIGTERM", stopTimeout)
	}
	return r, nil
}

// inFlight is a stop with a two-second request running.
type inFlight struct {
	completed bool          // the request got its 200
	detail    string        // what it got otherwise
	portFree  time.Duration // SIGTERM → port free
	exit      time.Duration // SIGTERM → process exit
	answered  time.Duration // SIGTERM → the slow request's answer
}

// measureInFlight starts t's slow-capable program, sends GET /slow, and
// once the handler announced itself sends SIGTERM.
func measureInFlight(t target) (inFlight, error) {
	var r inFlight
	p, err := startServer(t)
	if err != nil {
		return r, err
	}
	defer p.stop()
	c, err := dialTarget(t, 5*time.Second)
	if err != nil {
		return r, err
	}
	defer c.Close()
	type answer struct {
		status int
		err    error
		at     time.Time
	}
	answers := make(chan answer, 1)
	go func() {
		status, err := c.get("/slow", 15*time.Second)
		answers <- answer{status, err, time.Now()}
	}()
	select {
	case <-p.slow:
	case <-time.After(10 * time.Second):
		return r, fmt.Errorf("the /slow handler never started: %s", p.output())
	}
	sig, portFree, err := p.terminateUntilFree(t.addr)
	if err != nil {
		return r, err
	}
	r.portFree = portFree
	select {
	case a := <-answers:
		r.answered = a.at.Sub(sig)
		r.completed = a.err == nil && a.status == http.StatusOK
		switch {
		case a.err != nil:
			r.detail = a.err.Error()
		case a.status != http.StatusOK:
			r.detail = fmt.Sprintf("status %d", a.status)
		}
	case <-time.After(stopTimeout):
		r.detail = "no answer"
	}
	select {
	case <-p.done:
		r.exit = p.exitedAt.Sub(sig)
	case <-time.After(stopTimeout):
		return r, fmt.Errorf("no exit within %v of SIGTERM", stopTimeout)
	}
	return r, nil
}

// silentStop is a stop with a connection open that never sent a request
// (accepted by the server, not a byte written on it).
type silentStop struct {
	portFree time.Duration // SIGTERM → port free
	closed   time.Duration // SIGTERM → the server closed the silent connection
	exit     time.Duration // SIGTERM → process exit
}

// measureSilentStop starts t's program, opens a connection that never
// sends a request, leaves it idlePause, and sends SIGTERM. net/http's
// Shutdown counts such a connection (StateNew) as idle only 5 s after it
// was accepted, so a plain net/http server exits about 5 s later.
func measureSilentStop(t target) (silentStop, error) {
	var r silentStop
	p, err := startServer(t)
	if err != nil {
		return r, err
	}
	defer p.stop()
	c, err := net.DialTimeout(t.network, t.addr, 5*time.Second)
	if err != nil {
		return r, fmt.Errorf("dial %s: %w", t.addr, err)
	}
	defer c.Close()
	// The server must have accepted it before the signal: wait until
	// idlePause has passed (awaitStarted's pause for the probe did not
	// cover this connection).
	time.Sleep(idlePause)
	closed := make(chan time.Time, 1)
	go func() {
		// Reads until the server closes the connection (EOF) or the
		// deadline set below the stop timeout passes.
		_ = c.SetReadDeadline(time.Now().Add(stopTimeout))
		_, _ = io.Copy(io.Discard, c)
		closed <- time.Now()
	}()
	sig, portFree, err := p.terminateUntilFree(t.addr)
	if err != nil {
		return r, err
	}
	r.portFree = portFree
	select {
	case at := <-closed:
		r.closed = at.Sub(sig)
	case <-time.After(stopTimeout + time.Second):
		return r, fmt.Errorf("the silent connection was not closed within %v of SIGTERM", stopTimeout)
	}
	select {
	case <-p.done:
		r.exit = p.exitedAt.Sub(sig)
	case <-time.After(stopTimeout):
		return r, fmt.Errorf("no exit within %v of SIGTERM", stopTimeout)
	}
	return r, nil
}
