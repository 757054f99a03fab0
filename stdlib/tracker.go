package stdlib

import (
	"crypto/tls"
	"net"
	"net/http"
	"sync"
	"time"
)

// tracker knows every connection of one run of a server and its
// http.ConnState, so that Stop can close what net/http's Shutdown would
// wait for: connections that never sent a request, idle keep-alive ones
// and hijacked ones.
type tracker struct {
	mu       sync.Mutex                      // guards the fields below
	conns    map[*trackedConn]http.ConnState // every open connection
	stopping bool                            // Stop began: close what goes idle
	drained  chan struct{}                   // closed once stopping and only hijacked conns are left
	closed   bool                            // drained is closed
	all      sync.WaitGroup                  // one count per open connection
}

func newTracker() *tracker {
	return &tracker{conns: map[*trackedConn]http.ConnState{}, drained: make(chan struct{})}
}

// add starts tracking c. A connection accepted after Stop began is closed
// at once; net/http then sees it fail and forgets it.
func (t *tracker) add(c net.Conn, timeout time.Duration) *trackedConn {
	tc := &trackedConn{Conn: c, t: t, timeout: timeout}
	t.mu.Lock()
	t.conns[tc] = http.StateNew
	t.all.Add(1)
	stopping := t.stopping
	t.mu.Unlock()
	if stopping {
		_ = tc.Close()
	}
	return tc
}

func (t *tracker) remove(c *trackedConn) {
	t.mu.Lock()
	if _, ok := t.conns[c]; ok {
		delete(t.conns, c)
		t.all.Done()
	}
	t.checkDrainedLocked()
	t.mu.Unlock()
}

// unencrypted is how net/http hands an h2c connection to its HTTP/2
// server: inside a *tls.Conn that never handshakes.
type unencrypted interface{ UnencryptedNetConn() net.Conn }

// unwrap finds the tracked connection under what net/http passes to the
// ConnState hook, and tells whether it speaks HTTP/2.
func unwrap(c net.Conn) (tc *trackedConn, h2 bool) {
	if tlsConn, ok := c.(*tls.Conn); ok {
		c = tlsConn.NetConn()
		if u, ok := c.(unencrypted); ok {
			c, h2 = u.UnencryptedNetConn(), true
		} else {
			h2 = tlsConn.ConnectionState().NegotiatedProtocol == "h2"
		}
	}
	tc, _ = c.(*trackedConn)
	return tc, h2
}

// hook is the http.Server's ConnState hook.
func (t *tracker) hook(c net.Conn, state http.ConnState) {
	if state == http.StateClosed {
		return // Close itself forgets the conn
	}
	tc, h2 := unwrap(c)
	if tc == nil {
		return
	}
	t.mu.Lock()
	if _, open := t.conns[tc]; !open {
		t.mu.Unlock()
		return
	}
	t.conns[tc] = state
	tc.multiplexed = tc.multiplexed || h2
	closeIt := t.stopping && state == http.StateIdle && !tc.multiplexed
	if t.stopping && state == http.StateIdle && tc.multiplexed {
		tc.closeOnWrite.Store(true)
	}
	t.checkDrainedLocked()
	t.mu.Unlock()
	if closeIt {
		_ = tc.Close()
	}
}

// beginStop makes the tracker close every connection that is not serving
// a request now, and each one that finishes its request from now on.
// HTTP/2 connections are the exception: they are closed after their next
// write, the flush of their last frames or the GOAWAY Shutdown sends them
// (HTTP/2's own graceful shutdown closes them a second later otherwise).
func (t *tracker) beginStop() {
	t.mu.Lock()
	t.stopping = true
	var idle []*trackedConn
	for c, st := range t.conns {
		switch {
		case st == http.StateIdle && c.multiplexed:
			c.closeOnWrite.Store(true)
		case st == http.StateNew || st == http.StateIdle:
			idle = append(idle, c)
		}
	}
	t.checkDrainedLocked()
	t.mu.Unlock()
	for _, c := range idle {
		_ = c.Close()
	}
}

// checkDrainedLocked closes drained once Stop began and every connection
// left (if any) is hijacked: no request is in flight any more.
func (t *tracker) checkDrainedLocked() {
	if !t.stopping || t.closed {
		return
	}
	for _, st := range t.conns {
		if st != http.StateHijacked {
			return
		}
	}
	t.closed = true
	close(t.drained)
}

// closeAll closes every connection left, hijacked ones included, and
// returns once all of them are closed.
func (t *tracker) closeAll() {
	t.mu.Lock()
	conns := make([]*trackedConn, 0, len(t.conns))
	for c := range t.conns {
		conns = append(conns, c)
	}
	t.mu.Unlock()
	for _, c := range conns {
		_ = c.Close()
	}
	t.all.Wait()
}
