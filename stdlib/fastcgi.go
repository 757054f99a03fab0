package stdlib

import (
	"context"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/seed-49a6713b/cherrygo/adapter"
)

// FastCGI: with WithFastCGI a server speaks FastCGI (net/http/fcgi, the
// responder role) on its TCP or unix socket, for a web server in front
// (nginx's fastcgi_pass, Apache's mod_proxy_fcgi). net/http/fcgi has no
// shutdown and no connection states, so the server follows the requests
// itself (fcgiRequests): a request is in flight from the web server's
// BEGIN_REQUEST record until the END_REQUEST record that closes its
// response has been written, and while its handler runs.
//
// Stop drops nothing the web server sent, as with HTTP: the accept queues
// are emptied before the listeners close; a connection that carries no
// request (a new one, or one the web server keeps between requests,
// fastcgi_keep_conn) gets StopGrace (what is left of KeepAliveGrace after
// its last response, when more) for a BEGIN_REQUEST to arrive, or be
// waiting in the socket buffer, and is closed if none does; a connection
// is closed as soon as the END_REQUEST of its last request is written and
// the web server's STDIN stream for it has ended (net/http/fcgi reads what
// the handler left of the body after END_REQUEST; closing with it unread
// would reset the response), so that the web server never sends another
// request on it. Stop returns
// once every connection is closed and no handler runs, or when ctx and
// SHUTDOWN_TIMEOUT run out, cutting off the rest. FastCGI does not speak
// TLS, so New refuses certificates together with WithFastCGI.

// FastCGI record types the server follows.
const (
	fcgiBeginRequest = 1
	fcgiEndRequest   = 3
	fcgiStdin        = 5 // an empty one ends the request's body
)

// fcgiRequests follows the FastCGI requests and connections of a run.
type fcgiRequests struct {
	mu       sync.Mutex // guards the fields below and every fcgiConn's open, stdin, closed, grace and lastEnd
	handlers int        // handlers running
	open     int        // requests begun and not ended, on open connections
	conns    map[*fcgiConn]struct{}
	stopping bool            // Stop began: see beginStop
	done     bool            // Stop is over: no grace is armed any more
	gone     []chan struct{} // closed when no connection is open and no handler runs, once stopping
}

// wrap counts h's running handlers.
func (f *fcgiRequests) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.change(&f.handlers, 1)
		defer f.change(&f.handlers, -1)
		h.ServeHTTP(w, r)
	})
}

// change adds d to *n (a field of f) under f.mu.
func (f *fcgiRequests) change(n *int, d int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	*n += d
	f.notifyLocked()
}

func (f *fcgiRequests) notifyLocked() {
	if f.handlers == 0 && len(f.conns) == 0 {
		for _, ch := range f.gone {
			close(ch)
		}
		f.gone = nil
	}
}

// beginStop makes every connection close as soon as it carries no
// request: at once after the END_REQUEST of its last one, or, if it
// carries none now, after its grace (see quietLocked). Connections
// accepted from now on (from the accept queue) get the same.
func (f *fcgiRequests) beginStop() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stopping = true
	for c := range f.conns {
		if !c.busyLocked() {
			f.quietLocked(c)
		}
	}
}

// quietLocked gives c, which carries no request during a stop, StopGrace
// (or what is left of KeepAliveGrace since its last END_REQUEST) for a
// BEGIN_REQUEST, and closes it then if none came. Bytes waiting in the
// socket buffer count as come, for one more StopGrace: closing would
// reset them. Call it with f.mu held.
func (f *fcgiRequests) quietLocked(c *fcgiConn) {
	if c.grace != nil || c.closed {
		return
	}
	wait := StopGrace
	if !c.lastEnd.IsZero() {
		wait = max(wait, min(KeepAliveGrace, KeepAliveGrace-time.Since(c.lastEnd)))
	}
	var expire func(again bool)
	expire = func(again bool) {
		f.mu.Lock()
		busy := c.busyLocked() || c.closed || f.done
		f.mu.Unlock()
		if busy {
			return // it closes after its last request (or is closed already)
		}
		if again {
			if pending, known := readable(c.raw()); pending && known {
				f.mu.Lock()
				if !c.closed && !f.done {
					c.grace = time.AfterFunc(StopGrace, func() { expire(false) })
				}
				f.mu.Unlock()
				return
			}
		}
		_ = c.Close()
	}
	c.grace = time.AfterFunc(wait, func() { expire(true) })
}

// allGone returns a channel closed once, during a stop, no connection is
// open and no handler runs.
func (f *fcgiRequests) allGone() <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	ch := make(chan struct{})
	if f.handlers == 0 && len(f.conns) == 0 {
		close(ch)
	} else {
		f.gone = append(f.gone, ch)
	}
	return ch
}

// stopTimers stops the graces of the connections left, for good.
func (f *fcgiRequests) stopTimers() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.done = true
	for c := range f.conns {
		if c.grace != nil {
			c.grace.Stop()
		}
	}
}

// inFlight is the number of requests begun and not ended (at least the
// handlers running).
func (f *fcgiRequests) inFlight() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return max(f.open, f.handlers)
}

// fcgiListener wraps the connections it accepts in fcgiConns.
type fcgiListener struct {
	net.Listener
	reqs *fcgiRequests
}

func (l *fcgiListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	fc := &fcgiConn{Conn: c, reqs: l.reqs}
	f := l.reqs
	f.mu.Lock()
	if f.conns == nil {
		f.conns = make(map[*fcgiConn]struct{})
	}
	f.conns[fc] = struct{}{}
	if f.stopping {
		f.quietLocked(fc)
	}
	f.mu.Unlock()
	return fc, nil
}

// fcgiConn reads the record headers going through it: the requests the web
// server begins and the ones whose END_REQUEST is written. Reads come from
// net/http/fcgi's one reading goroutine and writes are serialised by it,
// so each direction's scanner has one user.
type fcgiConn struct {
	net.Conn
	reqs      *fcgiRequests
	in, out   recordScanner
	open      map[uint16]bool // request IDs begun and not ended; guarded by reqs.mu
	stdin     map[uint16]bool // request IDs whose STDIN stream has not ended; guarded by reqs.mu
	closed    bool            // guarded by reqs.mu
	grace     *time.Timer     // a stop's grace for a request; guarded by reqs.mu
	lastEnd   time.Time       // when the last END_REQUEST was written; guarded by reqs.mu
	closeOnce sync.Once
	closeErr  error
}

func (c *fcgiConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	last := false
	c.in.scan(p[:n], func(typ uint8, id uint16, length int) {
		switch {
		case typ == fcgiBeginRequest:
			c.mark(id, true)
		case typ == fcgiStdin && length == 0:
			last = c.stdinEnded(id)
		}
	})
	if last {
		// net/http/fcgi has what it reads here; its next read finds the
		// connection closed, and it lets go of it.
		_ = c.Close()
	}
	return n, err
}

func (c *fcgiConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	// What was offered counts, written or not: after a failed write the
	// request cannot end any better.
	last := false
	c.out.scan(p, func(typ uint8, id uint16, _ int) {
		if typ == fcgiEndRequest {
			last = c.mark(id, false)
		}
	})
	if last {
		_ = c.Close() // stopping, and its last request is answered
	}
	return n, err
}

// raw is the socket under c, for readable.
func (c *fcgiConn) raw() net.Conn {
	if tc, ok := c.Conn.(*trackedConn); ok {
		return tc.Conn
	}
	return c.Conn
}

// mark records that request id began (or ended) on c. It reports whether
// c must close now: a stop began and the request that ended was its last.
func (c *fcgiConn) mark(id uint16, begun bool) (closeIt bool) {
	f := c.reqs
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case c.closed:
	case begun && !c.open[id]:
		if c.open == nil {
			c.open, c.stdin = make(map[uint16]bool), make(map[uint16]bool)
		}
		c.open[id], c.stdin[id] = true, true
		f.open++
	case !begun && c.open[id]:
		delete(c.open, id)
		f.open--
		c.lastEnd = time.Now()
		f.notifyLocked()
		return f.stopping && !c.busyLocked()
	}
	return false
}

// stdinEnded records that the web server's STDIN stream of request id
// ended on c. It reports whether c must close now: a stop began and c
// carries no request any more.
func (c *fcgiConn) stdinEnded(id uint16) (closeIt bool) {
	f := c.reqs
	f.mu.Lock()
	defer f.mu.Unlock()
	if c.closed || !c.stdin[id] {
		return false
	}
	delete(c.stdin, id)
	return f.stopping && !c.busyLocked()
}

// busyLocked reports whether c carries a request: one whose END_REQUEST
// has not been written, or whose STDIN stream has not ended (net/http/fcgi
// reads what the handler left of it after END_REQUEST). Call it with
// c.reqs.mu held.
func (c *fcgiConn) busyLocked() bool { return len(c.open) > 0 || len(c.stdin) > 0 }

// Close closes the connection: its unfinished requests can no longer be
// answered, so they stop counting (their handlers still count while they
// run).
func (c *fcgiConn) Close() error {
	c.closeOnce.Do(func() {
		c.closeErr = c.Conn.Close()
		f := c.reqs
		f.mu.Lock()
		defer f.mu.Unlock()
		c.closed = true
		f.open -= len(c.open)
		c.open, c.stdin = nil, nil
		if c.grace != nil {
			c.grace.Stop()
		}
		delete(f.conns, c)
		f.notifyLocked()
	})
	return c.closeErr
}

// recordScanner finds the FastCGI record headers in a byte stream fed to
// it in pieces of any size.
type recordScanner struct {
	hdr  [8]byte
	have int // header bytes collected
	skip int // content and padding bytes left of the current record
}

// scan feeds p to the scanner and calls found for each complete header,
// with the record's content length.
func (s *recordScanner) scan(p []byte, found func(typ uint8, id uint16, length int)) {
	for len(p) > 0 {
		if s.skip > 0 {
			n := min(s.skip, len(p))
			s.skip -= n
			p = p[n:]
			continue
		}
		n := copy(s.hdr[s.have:], p)
		s.have += n
		p = p[n:]
		if s.have < len(s.hdr) {
			return
		}
		s.have = 0
		h := s.hdr
		length := int(uint16(h[4])<<8 | uint16(h[5]))
		found(h[1], uint16(h[2])<<8|uint16(h[3]), length)
		s.skip = length + int(h[6])
	}
}

// shutdownFastCGI stops a FastCGI run (see the top of this file): the
// connections that carry no request get their grace, the accept queues
// are emptied, and each connection closes after its last END_REQUEST.
func (c *core) shutdownFastCGI(drain context.Context, r *run) error {
	r.fcgi.beginStop()
	for _, l := range r.accepting {
		_ = l.Close() // at once; the socket closes once its queue is empty
	}
	r.serving.Wait() // every Serve has returned: no connection comes any more
	var err error
	select {
	case <-r.fcgi.allGone():
	case <-drain.Done():
		// Connections still in their grace carry no request: only
		// requests in flight are cut off.
		if n := r.fcgi.inFlight(); n > 0 {
			err = &adapter.CutOffError{Conns: n, Err: drain.Err()}
		}
	}
	r.fcgi.stopTimers()
	r.tracker.closeAll()
	for _, l := range r.accepting {
		l.waitClosed() // the port is free before Stop returns
	}
	closeListeners(r.listeners)
	c.releaseSocket()
	return err
}
