package stdlib

import (
	"crypto/tls"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// tracker knows every connection of one run of a server and its
// http.ConnState, so that Stop can close what net/http's Shutdown would
// wait for: connections that never sent a request, idle keep-alive ones
// and hijacked ones.
type tracker struct {
	// stopping is set, under mu, when Stop begins. The ConnState hook reads
	// it without the lock: while it is false, a state change is one atomic
	// store in the connection, so tracking costs a request nothing more.
	stopping atomic.Bool

	mu      sync.Mutex                // guards the fields below
	conns   map[*trackedConn]struct{} // every open connection
	drained chan struct{}             // closed once stopping, no listener accepts and only hijacked conns are left
	closed  bool                      // drained is closed
	// listening is true until the run's listeners are closed and their
	// accept queues swept: a connection may still come until then.
	listening bool
	// settled is closed once stopping, no listener accepts, and no HTTP/1
	// connection is waiting for a request (new or idle) or serving one
	// that began before the stop: each has sent a request that will be
	// answered with Connection: close, or been closed. Shutdown may begin
	// then (see core.shutdown).
	settled       chan struct{}
	settledClosed bool
	closingAll    bool           // closeAll began: no grace is armed any more
	all           sync.WaitGroup // one count per open connection
}

func newTracker() *tracker {
	return &tracker{conns: map[*trackedConn]struct{}{}, drained: make(chan struct{}), settled: make(chan struct{}), listening: true}
}

// StopGrace is how long a stop waits for the request of a connection that
// carries none: one accepted before the stop (or taken from the accept
// queue as the listener closes) that has sent nothing yet, whose request
// is on its way, and a keep-alive connection between two requests, whose
// client may be sending the next one. A connection whose bytes arrive
// within StopGrace is served (with keep-alive off, so it closes after its
// response); one that stays silent that long is closed. Bytes in the
// socket buffer count as arrived, even before net/http has read them:
// closing the connection would reset them.
const StopGrace = 100 * time.Millisecond

// KeepAliveGrace is how long after its last response a keep-alive
// connection may still be sending its next request: a stop gives an idle
// HTTP/1 connection StopGrace, or, when its last response went out less
// than KeepAliveGrace ago, what is left of KeepAliveGrace. A client that
// reuses its connection at once (a load balancer's upstream keep-alive, a
// Go or curl client under load) is then never cut off with its next
// request on the wire when it is slow to send it, on a loaded machine or
// across a slow link; a connection idle for longer is closed after
// StopGrace.
const KeepAliveGrace = 500 * time.Millisecond

// add starts tracking c. A connection accepted after Stop began gets
// StopGrace for its request, as the silent ones of beginStop do.
func (t *tracker) add(c net.Conn, timeout time.Duration) *trackedConn {
	tc := &trackedConn{Conn: c, t: t, timeout: timeout}
	tc.state.Store(int32(http.StateNew))
	t.mu.Lock()
	t.conns[tc] = struct{}{}
	t.all.Add(1)
	if t.stopping.Load() {
		t.quietLocked(tc) // a new connection is never closed at once
	}
	t.mu.Unlock()
	return tc
}

// quietLocked handles, during a stop, an HTTP/1 connection that carries
// no request, new or idle: it gets StopGrace for its request, and is
// closed once that is over if nothing came. A request that is already in
// the socket buffer then keeps it open for net/http to read and serve, for
// one more StopGrace at most in case nobody reads it (net/http gives up on
// an idle connection once Shutdown began). It reports whether the caller
// must close c at once (after releasing t.mu): never, today; the result
// keeps the callers honest should that change. Call it with t.mu held.
func (t *tracker) quietLocked(c *trackedConn) (closeIt bool) {
	if c.grace != nil {
		return false
	}
	wait := StopGrace
	if c.loadState() == http.StateIdle {
		// min: never more than KeepAliveGrace, whatever lastWrite says.
		if left := min(KeepAliveGrace, KeepAliveGrace-(monoNow()-time.Duration(c.lastWrite.Load()))); left > wait {
			wait = left
		}
	}
	var expire func(again bool)
	expire = func(again bool) {
		if st := c.loadState(); st != http.StateNew && st != http.StateIdle {
			return
		}
		if pending, known := readable(c.Conn); pending && known && again {
			t.mu.Lock()
			if !t.closingAll {
				c.grace = time.AfterFunc(StopGrace, func() { expire(false) })
			}
			t.mu.Unlock()
			return // its request is here: net/http reads and serves it
		}
		_ = c.closeNow()
	}
	c.grace = time.AfterFunc(wait, func() { expire(true) })
	return false
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
// ConnState hook. When needProto is set it also tells whether the
// connection speaks HTTP/2; it asks TLS for the negotiated protocol only
// then (ConnectionState takes a lock and copies the whole state, and the
// protocol is needed once per connection).
func unwrap(c net.Conn, needProto bool) (tc *trackedConn, h2 bool) {
	if tlsConn, ok := c.(*tls.Conn); ok {
		c = tlsConn.NetConn()
		if u, ok := c.(unencrypted); ok {
			c, h2 = u.UnencryptedNetConn(), true
		} else if needProto {
			h2 = tlsConn.ConnectionState().NegotiatedProtocol == "h2"
		}
	}
	tc, _ = c.(*trackedConn)
	return tc, h2
}

// hook is the http.Server's ConnState hook. While the server is not
// stopping it only records the state in the connection; once Stop began it
// closes each connection that goes idle (see beginStop).
func (t *tracker) hook(c net.Conn, state http.ConnState) {
	if state == http.StateClosed {
		return // Close itself forgets the conn
	}
	tc, ok := c.(*trackedConn)
	if !ok {
		// TLS (and h2c) wrap the tracked connection; whether it speaks
		// HTTP/2 is settled by the time it first turns active.
		if tc, _ = unwrap(c, false); tc == nil {
			return
		}
		if state == http.StateActive && !tc.protoKnown.Load() {
			_, h2 := unwrap(c, true)
			tc.multiplexed.Store(h2)
			tc.protoKnown.Store(true)
		}
	}
	tc.state.Store(int32(state))
	if state == http.StateActive {
		// Read before the handler runs, and so before closeWhenStopping
		// decides on Connection: close: a response that may keep the
		// connection alive is always counted here.
		tc.keepAlive.Store(!t.stopping.Load())
	}
	// Stop sets stopping before it reads the states, and the state is
	// stored before stopping is read here: a connection going idle during
	// beginStop is closed by one of the two, perhaps by both (Close is
	// idempotent), never by neither.
	if !t.stopping.Load() {
		return
	}
	t.mu.Lock()
	if _, open := t.conns[tc]; !open {
		t.mu.Unlock()
		return
	}
	closeIt := false
	if state == http.StateIdle {
		if tc.multiplexed.Load() {
			tc.closeOnWrite.Store(true)
		} else {
			closeIt = t.quietLocked(tc)
		}
	}
	t.checkDrainedLocked()
	t.mu.Unlock()
	if closeIt {
		_ = tc.closeNow()
	}
}

// beginStop makes the tracker close every HTTP/1 connection that is not
// serving a request now, and each one that finishes its request from now
// on, as StopGrace describes. HTTP/2
// connections are closed after their next write instead, the flush of
// their last frames or the GOAWAY Shutdown sends them (HTTP/2's own
// graceful shutdown closes them a second later otherwise).
func (t *tracker) beginStop() {
	t.mu.Lock()
	t.stopping.Store(true)
	var idle []*trackedConn
	for c := range t.conns {
		switch st := c.loadState(); {
		case st == http.StateIdle && c.multiplexed.Load():
			c.closeOnWrite.Store(true)
		case st == http.StateNew || st == http.StateIdle:
			if t.quietLocked(c) {
				idle = append(idle, c)
			}
		}
	}
	t.checkDrainedLocked()
	t.mu.Unlock()
	for _, c := range idle {
		_ = c.closeNow()
	}
}

// checkDrainedLocked closes drained once Stop began and every connection
// left (if any) is hijacked: no request is in flight any more.
func (t *tracker) checkDrainedLocked() {
	if !t.stopping.Load() || t.listening {
		return
	}
	if !t.settledClosed {
		for c := range t.conns {
			if c.multiplexed.Load() {
				continue
			}
			// A request that began before the stop may get a keep-alive
			// response; its client may then send another on the same
			// connection, which net/http would drop unread once Shutdown
			// began. Such a connection settles when it goes idle and then
			// sends its next request (served with Connection: close) or
			// closes.
			if st := c.loadState(); st == http.StateNew || st == http.StateIdle || (st == http.StateActive && c.keepAlive.Load()) {
				goto unsettled
			}
		}
		t.settledClosed = true
		close(t.settled)
	}
unsettled:
	if t.closed {
		return
	}
	for c := range t.conns {
		if c.loadState() != http.StateHijacked {
			return
		}
	}
	t.closed = true
	close(t.drained)
}

// listenersClosed tells the tracker that no connection will come any more.
func (t *tracker) listenersClosed() {
	t.mu.Lock()
	t.listening = false
	t.checkDrainedLocked()
	t.mu.Unlock()
}

// serving counts the connections left that are serving a request (not
// hijacked ones, which are no longer HTTP).
func (t *tracker) serving() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for c := range t.conns {
		if st := c.loadState(); st != http.StateHijacked && st != http.StateIdle && st != http.StateNew {
			n++
		}
	}
	return n
}

// closeAll closes every connection left, hijacked ones included, and
// returns once all of them are closed.
func (t *tracker) closeAll() {
	t.mu.Lock()
	t.closingAll = true
	conns := make([]*trackedConn, 0, len(t.conns))
	for c := range t.conns {
		if c.grace != nil {
			c.grace.Stop()
		}
		conns = append(conns, c)
	}
	t.mu.Unlock()
	for _, c := range conns {
		_ = c.closeNow()
	}
	t.all.Wait()
}

// closeWhenStopping makes every HTTP/1 response that begins after the stop
// began close its connection (Connection: close), as net/http's own
// Shutdown does by turning keep-alives off, but without what that does to
// a connection that is between two requests (see core.shutdown). A nil h
// is http.DefaultServeMux.
func (t *tracker) closeWhenStopping(h http.Handler) http.Handler {
	if h == nil {
		h = http.DefaultServeMux
	}
	return &front{next: h, t: t}
}
