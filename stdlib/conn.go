package stdlib

import (
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// writeChunk bounds one write to the socket, so that each chunk gets its own
// inactivity deadline: a large response that keeps moving is never cut
// off, a client that stops reading is.
const writeChunk = 64 << 10

// trackedConn is an accepted connection as the tracker sees it. It removes
// itself from the tracker on Close, and extends its write deadline before
// each chunk it writes when the server has a socket timeout.
type trackedConn struct {
	net.Conn
	t       *tracker
	timeout time.Duration // 0: no inactivity deadline on writes

	// state is the connection's http.ConnState, stored by the tracker's
	// hook without a lock.
	state atomic.Int32
	// multiplexed marks an HTTP/2 connection, known once protoKnown is
	// set. Its StateIdle comes before its last frames are flushed, so
	// during a stop the tracker sets closeOnWrite instead of closing it at
	// once.
	multiplexed atomic.Bool
	protoKnown  atomic.Bool
	// closeOnWrite closes the connection after the next write to the
	// socket that completes: the flush that follows the connection going
	// idle, or the GOAWAY frame Shutdown sends.
	closeOnWrite atomic.Bool
	// keepAlive marks an HTTP/1 connection whose request began before the
	// stop: its response may still say keep-alive, and the client may send
	// another request once it has it (see tracker.checkDrainedLocked).
	keepAlive atomic.Bool
	// lastWrite is when the connection last wrote to the socket (the
	// clock read the write deadline needs anyway), as a monoNow offset: a
	// stop gives an idle connection what is left of KeepAliveGrace after
	// its last response.
	lastWrite atomic.Int64

	mu       sync.Mutex    // guards deadline and set
	deadline time.Time     // the write deadline someone else asked for
	set      time.Time     // the write deadline the socket has now
	setAt    time.Duration // set as a monoNow offset, when set is not zero
	// extendAfter is setAt less half the timeout (0 when set is zero):
	// a write before it leaves the deadline as it is, without taking mu.
	extendAfter atomic.Int64
	once        sync.Once // removes the conn from t once

	// The read deadline (see SetReadDeadline); rmu guards the fields.
	rmu    sync.Mutex
	rWant  time.Time   // the read deadline asked for (zero: none)
	rTimer *time.Timer // made for the first future deadline; fires at rAt
	rAt    time.Time   // when rTimer fires (zero: it is stopped)
	rPast  bool        // the socket has a deadline in the past: its reads fail
	rDone  bool        // the connection is closed: the timer is not armed again
	// rQuiet is rWant.IsZero() && !rPast, for clearing a deadline that is
	// not there without taking rmu.
	rQuiet atomic.Bool

	grace  *time.Timer // a stop's StopGrace; guarded by t.mu
	forced atomic.Bool // closeNow was called: Close no longer waits
}

func (c *trackedConn) Write(p []byte) (int, error) {
	closeAfter := c.closeOnWrite.Load()
	n, err := c.write(p)
	if closeAfter && err == nil {
		_ = c.Close()
	}
	return n, err
}

func (c *trackedConn) write(p []byte) (int, error) {
	if c.timeout <= 0 {
		c.lastWrite.Store(int64(monoNow()))
		return c.Conn.Write(p)
	}
	var n int
	for len(p) > 0 {
		chunk := p[:min(len(p), writeChunk)]
		if err := c.extendWriteDeadline(); err != nil {
			return n, err
		}
		m, err := c.Conn.Write(chunk)
		n += m
		if err != nil {
			return n, err
		}
		p = p[m:]
	}
	return n, nil
}

// monoBase is the origin of monoNow.
var monoBase = time.Now()

// monoNow reads the monotonic clock alone, as an offset from monoBase:
// time.Since does not read the wall clock, and so costs half a time.Now.
func monoNow() time.Duration { return time.Since(monoBase) }

// extendWriteDeadline makes sure a write about to start has at least half
// the timeout left: it moves the deadline to now plus the timeout (or to
// the deadline set through SetWriteDeadline, when earlier) only when less
// is left. A stream of quick writes so costs a clock read each rather than
// a timer reset each, and a write that makes no progress is cut off after
// between half the timeout and the whole of it.
func (c *trackedConn) extendWriteDeadline() error {
	now := monoNow()
	c.lastWrite.Store(int64(now))
	if int64(now) < c.extendAfter.Load() {
		return nil // more than half the timeout left: no lock either
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.set.IsZero() && c.setAt-now > c.timeout/2 {
		return nil
	}
	// Once per half timeout at most: the full clock, so that a deadline
	// asked for without a monotonic reading compares as the poller does.
	wall := time.Now()
	at, d := now+c.timeout, wall.Add(c.timeout)
	if !c.deadline.IsZero() && c.deadline.Before(d) {
		d, at = c.deadline, now+c.deadline.Sub(wall)
	}
	if d.Equal(c.set) {
		return nil
	}
	c.setLocked(d, at)
	return c.Conn.SetWriteDeadline(d)
}

// setLocked records d, at monoNow offset at, as the socket's write
// deadline (zero: none). c.mu is held.
func (c *trackedConn) setLocked(d time.Time, at time.Duration) {
	c.set, c.setAt = d, at
	if d.IsZero() {
		c.extendAfter.Store(0)
	} else {
		c.extendAfter.Store(int64(at - c.timeout/2))
	}
}

// loadState returns the connection's last http.ConnState.
func (c *trackedConn) loadState() http.ConnState { return http.ConnState(c.state.Load()) }

// SetWriteDeadline records t as the deadline the connection's user wants.
// Clearing it (a zero t, which net/http does after every request) leaves
// the inactivity deadline of the socket timeout in place rather than
// resetting the socket's timer each time: the next write moves that one
// forward as it would anyway.
func (c *trackedConn) SetWriteDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.deadline = t
	if t.IsZero() && c.timeout > 0 {
		return nil
	}
	c.setLocked(t, monoNow()+time.Until(t))
	return c.Conn.SetWriteDeadline(t)
}

// SetReadDeadline sets the read deadline. A deadline in the past is given
// to the socket at once (net/http sets one to interrupt its background
// read); a future one is kept by a timer of the connection's own, which
// gives the socket a deadline in the past, failing the read under way,
// only once the deadline asked for has passed.
//
// net/http moves the read deadline several times per request: to the idle
// timeout, to the header timeout, cleared for the body, and set long ago
// and cleared again to stop its background read. A future deadline given
// to the socket costs a runtime timer, removed again by the next deadline
// in the past, twice per request. The connection's timer is left running
// when a later deadline replaces an earlier one: when it fires it only
// looks whether the deadline asked for has passed, and if not, waits for
// it. A keep-alive connection so costs one timer reset per timeout period
// rather than two timers per request. A read times out once its deadline
// has passed, never before: when the timer's callback runs, which may be
// a little after the deadline on a loaded machine (a read in that moment
// still returns data already buffered).
func (c *trackedConn) SetReadDeadline(t time.Time) error {
	if t.IsZero() && c.rQuiet.Load() {
		return nil // no deadline, and the socket has none either
	}
	c.rmu.Lock()
	err := c.setReadDeadlineLocked(t)
	c.rQuiet.Store(c.rWant.IsZero() && !c.rPast)
	c.rmu.Unlock()
	return err
}

func (c *trackedConn) setReadDeadlineLocked(t time.Time) error {
	c.rWant = t
	switch {
	case t.IsZero():
		// A timer still running finds no deadline when it fires.
	case t.Before(interruptBefore):
		c.rPast = true
		return c.Conn.SetReadDeadline(t)
	case c.rDone:
		// Closed: the socket's own error answers the next read.
	case c.rAt.IsZero() || t.Before(c.rAt):
		d := time.Until(t)
		if d <= 0 {
			c.rPast = true
			return c.Conn.SetReadDeadline(t)
		}
		c.rAt = t
		if c.rTimer == nil {
			c.rTimer = time.AfterFunc(d, c.readTimerFired)
		} else {
			c.rTimer.Reset(d)
		}
	}
	if c.rPast {
		c.rPast = false
		return c.Conn.SetReadDeadline(time.Time{})
	}
	return nil
}

// interruptBefore tells a deadline set in the past to interrupt a read
// (net/http uses time.Unix(1, 0), x/net/nettest 1977) from a real one
// without reading the clock. Any other deadline that has passed is found
// so when the timer is armed for it (or, when the timer is armed for an
// earlier one already, when that fires).
var interruptBefore = time.Unix(1<<28, 0) // mid-1978

// readTimerFired runs when the connection's timer fires: if the deadline
// asked for has passed, the socket gets it, failing the read under way
// and the next ones; if it is still to come, the timer waits for it.
func (c *trackedConn) readTimerFired() {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	c.rAt = time.Time{}
	want := c.rWant
	if c.rDone || want.IsZero() || want.Before(interruptBefore) {
		return
	}
	if d := time.Until(want); d > 0 {
		c.rAt = want
		c.rTimer.Reset(d)
		return
	}
	c.rPast = true
	c.rQuiet.Store(false)
	_ = c.Conn.SetReadDeadline(want)
}

// stopReadTimer stops the connection's timer once it is closed, for
// good: neither a deadline set afterwards nor a callback already under way
// arms it again.
func (c *trackedConn) stopReadTimer() {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	c.rDone = true
	if c.rTimer != nil {
		c.rTimer.Stop()
		c.rAt = time.Time{}
	}
}

// SetDeadline sets both deadlines, as SetReadDeadline and SetWriteDeadline
// do.
func (c *trackedConn) SetDeadline(t time.Time) error {
	if err := c.SetReadDeadline(t); err != nil {
		return err
	}
	return c.SetWriteDeadline(t)
}

// CloseWrite half-closes a TCP or unix connection, which net/http does
// before closing one with unread input, so that the client gets the whole
// response rather than a reset.
func (c *trackedConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// Close closes the connection and forgets it; it is safe to call twice.
//
// During a stop, a close of an HTTP/1 connection that is between requests
// is decided by the tracker instead (see tracker.quietLocked):
// net/http's Shutdown closes idle connections at once, and would reset a
// request the client sent meanwhile.
func (c *trackedConn) Close() error {
	if c.t.stopping.Load() && !c.forced.Load() && !c.multiplexed.Load() {
		if st := c.loadState(); st == http.StateNew || st == http.StateIdle {
			c.t.mu.Lock()
			closeIt := c.t.quietLocked(c)
			c.t.mu.Unlock()
			if !closeIt {
				return nil
			}
		}
	}
	return c.closeNow()
}

// closeNow closes the connection whatever its state.
func (c *trackedConn) closeNow() error {
	c.forced.Store(true)
	err := c.Conn.Close()
	c.stopReadTimer()
	c.once.Do(func() { c.t.remove(c) })
	return err
}

// trackingListener hands every accepted connection to a tracker, after
// switching TCP_NODELAY off when NODELAY is false (Go sets it by default).
// Its Close empties the accept queue before it closes the socket (see
// sweep).
type trackingListener struct {
	net.Listener
	t       *tracker
	noDelay bool
	timeout time.Duration

	closeOnce sync.Once
	closed    chan struct{} // made by Close, closed once the socket is closed
	accepted  chan struct{} // signalled by each Accept, for sweep (nil: no signal)
	// shared, if set, reports whether the socket lives on in another
	// process once this one closes it: systemd's, or handed over.
	shared func() bool
}

// sweepLimit bounds how long a closing listener goes on accepting what
// waits in its queue; handshakeSettle is how long it waits, after new
// connection attempts are ignored, for the handshakes under way to land in
// the queue (one round trip, on the networks a service sits on).
const (
	sweepLimit      = 100 * time.Millisecond
	handshakeSettle = 5 * time.Millisecond
)

// Close returns at once, and closes the socket once the connections that
// wait in its accept queue have been accepted (and tracked, so they get
// their StopGrace like every other connection): closing a listener with a
// full queue resets every connection in it, requests already sent
// included. On Linux new TCP connection attempts are ignored first (see
// stopHandshakes), so that the queue can be emptied for good. The wait
// ends when the queue is empty or after sweepLimit.
//
// A socket that lives on in another process (shared, see
// trackingListener.shared) is closed at once: its queue is not this
// process's to empty, and a filter would stop the other process too.
//
// net/http's Shutdown calls Close with its own lock held, and its Serve
// loop needs that lock for each connection it accepts: hence the
// goroutine; Serve returns once the socket is closed.
func (l *trackingListener) Close() error {
	l.closeOnce.Do(func() {
		l.closed = make(chan struct{})
		_, known := queued(l.Listener)
		if !known || (l.shared != nil && l.shared()) {
			_ = l.Listener.Close()
			close(l.closed)
			return
		}
		go func() {
			defer close(l.closed)
			l.sweep(l.accepted)
		}()
	})
	return nil
}

// waitClosed returns once Close has closed the socket (at once if Close
// was never called).
func (l *trackingListener) waitClosed() {
	var closed chan struct{}
	l.closeOnce.Do(func() {}) // orders the read of closed after Close's write
	closed = l.closed
	if closed != nil {
		<-closed
	}
}

// sweep waits while the accept queue holds connections and Serve's
// Accept takes them, then closes the socket.
func (l *trackingListener) sweep(accepted <-chan struct{}) {
	defer l.Listener.Close()
	limit := time.NewTimer(sweepLimit)
	defer limit.Stop()
	if stopHandshakes(l.Listener) {
		settle := time.NewTimer(handshakeSettle)
		select {
		case <-settle.C:
		case <-limit.C:
			settle.Stop()
			return
		}
	}
	// Serve may be between two Accepts (starting a connection's
	// goroutine): look again after a moment even without a signal.
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for {
		if waiting, known := queued(l.Listener); !waiting || !known {
			return
		}
		select {
		case <-accepted:
		case <-tick.C:
		case <-limit.C:
			return
		}
	}
}

func (l *trackingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	select {
	case l.accepted <- struct{}{}:
	default:
	}
	if tc, ok := c.(*net.TCPConn); ok && !l.noDelay {
		_ = tc.SetNoDelay(false)
	}
	return l.t.add(c, l.timeout), nil
}
