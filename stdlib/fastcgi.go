package stdlib

import (
	"net"
	"net/http"
	"sync"
)

// FastCGI: with WithFastCGI a server speaks FastCGI (net/http/fcgi, the
// responder role) on its TCP or unix socket, for a web server in front
// (nginx's fastcgi_pass, Apache's mod_proxy_fcgi). net/http/fcgi has no
// shutdown and no connection states, so the server follows the requests
// itself (fcgiRequests): a request is in flight from the web server's
// BEGIN_REQUEST record until the END_REQUEST record that closes its
// response has been written, and while its handler runs. Stop closes the
// listeners, waits until nothing is in flight (within ctx and
// SHUTDOWN_TIMEOUT), then closes every connection. The web server's idle
// keep-alive connections therefore never delay Stop, and a response is
// never cut between the handler's return and the record that ends it.
// FastCGI does not speak TLS, so New refuses certificates together with
// WithFastCGI.

// FastCGI record types the server follows.
const (
	fcgiBeginRequest = 1
	fcgiEndRequest   = 3
)

// fcgiRequests follows the FastCGI requests of a run.
type fcgiRequests struct {
	mu       sync.Mutex      // guards the fields below and every fcgiConn's open
	handlers int             // handlers running
	open     int             // requests begun and not ended, on open connections
	waiters  []chan struct{} // closed when both drop to zero
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
	if f.handlers == 0 && f.open == 0 {
		for _, ch := range f.waiters {
			close(ch)
		}
		f.waiters = nil
	}
}

// inFlight is the number of requests begun and not ended (at least the
// handlers running).
func (f *fcgiRequests) inFlight() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return max(f.open, f.handlers)
}

// idle returns a channel closed once nothing is in flight.
func (f *fcgiRequests) idle() <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	ch := make(chan struct{})
	if f.handlers == 0 && f.open == 0 {
		close(ch)
	} else {
		f.waiters = append(f.waiters, ch)
	}
	return ch
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
	return &fcgiConn{Conn: c, reqs: l.reqs}, nil
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
	closed    bool            // guarded by reqs.mu
	closeOnce sync.Once
	closeErr  error
}

func (c *fcgiConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.in.scan(p[:n], func(typ uint8, id uint16) {
		if typ == fcgiBeginRequest {
			c.mark(id, true)
		}
	})
	return n, err
}

func (c *fcgiConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	// What was offered counts, written or not: after a failed write the
	// request cannot end any better.
	c.out.scan(p, func(typ uint8, id uint16) {
		if typ == fcgiEndRequest {
			c.mark(id, false)
		}
	})
	return n, err
}

// mark records that request id began (or ended) on c.
func (c *fcgiConn) mark(id uint16, begun bool) {
	f := c.reqs
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case c.closed:
	case begun && !c.open[id]:
		if c.open == nil {
			c.open = make(map[uint16]bool)
		}
		c.open[id] = true
		f.open++
	case !begun && c.open[id]:
		delete(c.open, id)
		f.open--
		f.notifyLocked()
	}
}

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
		c.open = nil
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

// scan feeds p to the scanner and calls found for each complete header.
func (s *recordScanner) scan(p []byte, found func(typ uint8, id uint16)) {
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
		found(h[1], uint16(h[2])<<8|uint16(h[3]))
		s.skip = int(uint16(h[4])<<8|uint16(h[5])) + int(h[6])
	}
}
