package stdlib

import (
	"errors"
	"net"
	"syscall"
	"time"

	proxyproto "github.com/pires/go-proxyproto"

	"github.com/seed-49a6713b/cherrygo/adapter/settings"
)

// proxyHeaderTimeout bounds the wait for a PROXY header when
// SOCKET_TIMEOUT is 0 (no timeout): a proxy sends it as soon as it
// connects.
const proxyHeaderTimeout = 5 * time.Second

// errNoSyscallConn is what a proxyConn over a connection without a
// descriptor answers SyscallConn.
var errNoSyscallConn = errors.New("stdlib: connection has no descriptor")

// proxyListener makes the connections of a socket speak the PROXY
// protocol (v1 or v2, as HAProxy defines it): a connection from a trusted
// peer must start with a PROXY header, which then gives its RemoteAddr
// (and LocalAddr); one from any other peer must not, and is served as it
// is when it does not.
//
// It sits between the socket's own listener and the trackingListener, so
// that the tracker counts and closes every connection as it would without
// it, and Serve gets what it always gets. Nothing is read in Accept: the
// header is read by the connection's goroutine, when net/http asks for
// the connection's RemoteAddr before it reads the first request (or,
// with TLS, before the handshake), within the header timeout. A
// connection that breaks the rule (no header from a trusted peer within
// the timeout, a malformed one, or a header from an untrusted peer) fails
// every read and write from then on: net/http closes it without serving
// a request or writing a byte.
type proxyListener struct {
	net.Listener // the socket's own listener, for Addr and Close
	pp           proxyproto.Listener
	noDelay      bool
}

// proxied wraps l in a proxyListener when PROXY_PROTOCOL is on, else
// returns it as it is.
func (c *core) proxied(l net.Listener) net.Listener {
	if !c.settings.proxyProtocol {
		return l
	}
	timeout := c.settings.socketTimeout
	if timeout <= 0 {
		timeout = proxyHeaderTimeout
	}
	return newProxyListener(l, c.settings.trustedProxies, timeout, c.settings.noDelay)
}

func newProxyListener(l net.Listener, trusted settings.Proxies, timeout time.Duration, noDelay bool) *proxyListener {
	return &proxyListener{
		Listener: l,
		noDelay:  noDelay,
		pp: proxyproto.Listener{
			Listener: l,
			// REJECT refuses a header (the first read fails with
			// ErrSuperfluousProxyHeader), it does not skip it; REQUIRE
			// refuses a connection without one (ErrNoProxyProtocol).
			ConnPolicy: func(o proxyproto.ConnPolicyOptions) (proxyproto.Policy, error) {
				if trusted.Trusts(o.Upstream) {
					return proxyproto.REQUIRE, nil
				}
				return proxyproto.REJECT, nil
			},
			ReadHeaderTimeout: timeout,
		},
	}
}

// Accept returns the next connection, wrapped so that its header is read
// on first use. NODELAY is applied here: the trackingListener above only
// sees the wrapper.
func (l *proxyListener) Accept() (net.Conn, error) {
	c, err := l.pp.Accept()
	if err != nil {
		return nil, err
	}
	pc, ok := c.(*proxyproto.Conn)
	if !ok { // the policy never says SKIP; should it, serve the conn as it is
		return c, nil
	}
	if tc, ok := pc.TCPConn(); ok && !l.noDelay {
		_ = tc.SetNoDelay(false)
	}
	return &proxyConn{Conn: pc}, nil
}

// socketListener returns the socket's own listener under l (l itself, or
// what a proxyListener wraps), for what looks at the socket: its accept
// queue, its socket filter.
func socketListener(l net.Listener) net.Listener {
	if pl, ok := l.(*proxyListener); ok {
		return pl.Listener
	}
	return l
}

// proxyConn is an accepted connection of a proxyListener. It keeps
// reachable what the tracker and net/http use of the socket itself: its
// descriptor, for the tracker's peek at pending bytes during a stop
// (which reads the socket, so the header, until it is read, counts as
// pending, and the few bytes after it that go-proxyproto buffered while
// reading it do not, for the moment before net/http reads them), and
// CloseWrite.
type proxyConn struct {
	*proxyproto.Conn
}

// SyscallConn is the socket's own.
func (c *proxyConn) SyscallConn() (syscall.RawConn, error) {
	if sc, ok := c.Raw().(syscall.Conn); ok {
		return sc.SyscallConn()
	}
	return nil, errNoSyscallConn
}

// CloseWrite half-closes the socket, as trackedConn.CloseWrite expects.
func (c *proxyConn) CloseWrite() error {
	if cw, ok := c.Raw().(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}
