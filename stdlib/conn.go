package stdlib

import (
	"net"
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

	// multiplexed marks an HTTP/2 connection (guarded by t.mu). Its
	// StateIdle comes before its last frames are flushed, so during a stop
	// the tracker sets closeOnWrite instead of closing it at once.
	multiplexed bool
	// closeOnWrite closes the connection after the next write to the
	// socket that completes: the flush that follows the connection going
	// idle, or the GOAWAY frame Shutdown sends.
	closeOnWrite atomic.Bool

	mu       sync.Mutex // guards deadline
	deadline time.Time  // the write deadline someone else asked for
	once     sync.Once  // removes the conn from t once
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
		return c.Conn.Write(p)
	}
	var n int
	for len(p) > 0 {
		chunk := p[:min(len(p), writeChunk)]
		if err := c.Conn.SetWriteDeadline(c.nextDeadline()); err != nil {
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

// nextDeadline is now plus the timeout, or the deadline set through
// SetWriteDeadline or SetDeadline when that is earlier.
func (c *trackedConn) nextDeadline() time.Time {
	d := time.Now().Add(c.timeout)
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.deadline.IsZero() && c.deadline.Before(d) {
		return c.deadline
	}
	return d
}

func (c *trackedConn) SetWriteDeadline(t time.Time) error {
	c.mu.Lock()
	c.deadline = t
	c.mu.Unlock()
	return c.Conn.SetWriteDeadline(t)
}

func (c *trackedConn) SetDeadline(t time.Time) error {
	c.mu.Lock()
	c.deadline = t
	c.mu.Unlock()
	return c.Conn.SetDeadline(t)
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
func (c *trackedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { c.t.remove(c) })
	return err
}

// trackingListener hands every accepted connection to a tracker, after
// switching TCP_NODELAY off when NODELAY is false (Go sets it by default).
type trackingListener struct {
	net.Listener
	t       *tracker
	noDelay bool
	timeout time.Duration
}

func (l *trackingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	if tc, ok := c.(*net.TCPConn); ok && !l.noDelay {
		_ = tc.SetNoDelay(false)
	}
	return l.t.add(c, l.timeout), nil
}
