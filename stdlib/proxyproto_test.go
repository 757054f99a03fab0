package stdlib

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/netip"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	proxyproto "github.com/pires/go-proxyproto"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-49a6713b/cherrygo/adapter/settings"
	"github.com/seed-49a6713b/cherrygo/engine"
	"github.com/seed-49a6713b/cherrygo/gateway"
	"github.com/seed-49a6713b/cherrygo/gateway/gatewaytest"
)

// proxyConfig is testConfig with PROXY_PROTOCOL on and trusted as
// TRUSTED_PROXIES.
func proxyConfig(t *testing.T, trusted string) settings.Config {
	t.Helper()
	cfg := testConfig()
	p, err := settings.ParseProxies(trusted)
	require.NoError(t, err)
	cfg.TrustedProxies, cfg.ProxyProtocol = p, true
	require.NoError(t, cfg.Validate())
	return cfg
}

// seenRequest is what the app behind the gateway saw of one request, and
// the access log line.
type seenRequest struct {
	remote netip.AddrPort
	scheme string
	log    string
}

// proxyApp is a gateway with an access log in front of an app that
// reports each engine request's client address and scheme.
type proxyApp struct {
	handler http.Handler
	reqs    chan seenRequest
	lines   chan string
}

func newProxyApp() *proxyApp {
	a := &proxyApp{reqs: make(chan seenRequest, 8), lines: make(chan string, 8)}
	tree := engine.NewTree()
	tree.Mount("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req := engine.RequestFrom(r)
		a.reqs <- seenRequest{remote: req.Remote(), scheme: req.Scheme}
		_, _ = io.WriteString(w, "ok")
	}))
	a.handler = gateway.New(tree, gateway.Config{AccessLog: chanWriter(a.lines)})
	return a
}

// next returns what the app saw of the next request, with its log line.
func (a *proxyApp) next(t *testing.T) seenRequest {
	t.Helper()
	var s seenRequest
	select {
	case s = <-a.reqs:
	case <-time.After(waitTimeout):
		t.Fatal("no request reached the app")
	}
	select {
	case s.log = <-a.lines:
	case <-time.After(waitTimeout):
		t.Fatal("no access log line")
	}
	return s
}

// served reports whether the app got a request so far.
func (a *proxyApp) served() bool { return len(a.reqs) > 0 }

type chanWriter chan string

func (c chanWriter) Write(p []byte) (int, error) {
	c <- string(p)
	return len(p), nil
}

// proxyHeader is a PROXY header of version v (1 or 2) from src to dst.
func proxyHeader(v byte, src, dst string) *proxyproto.Header {
	s, d := net.TCPAddrFromAddrPort(netip.MustParseAddrPort(src)), net.TCPAddrFromAddrPort(netip.MustParseAddrPort(dst))
	proto := proxyproto.TCPv4
	if s.IP.To4() == nil {
		proto = proxyproto.TCPv6
	}
	return &proxyproto.Header{Version: v, Command: proxyproto.PROXY, TransportProtocol: proto, SourceAddr: s, DestinationAddr: d}
}

// roundTrip writes a GET on c and reads its response; keepAlive false
// asks the server to close the connection after it.
func roundTrip(t *testing.T, c net.Conn, br *bufio.Reader, keepAlive bool) *http.Response {
	t.Helper()
	require.NoError(t, c.SetDeadline(time.Now().Add(waitTimeout)))
	req := "GET / HTTP/1.1\r\nHost: backend\r\n"
	if !keepAlive {
		req += "Connection: close\r\n"
	}
	_, err := io.WriteString(c, req+"\r\n")
	require.NoError(t, err)
	resp, err := http.ReadResponse(br, nil)
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	require.Equal(t, "ok", string(body))
	return resp
}

// sendRefused writes header (if not nil) and a request on c in one write,
// which the server cannot close c in the middle of, and checks that it is
// refused.
func sendRefused(t *testing.T, c net.Conn, header *proxyproto.Header) {
	t.Helper()
	var b []byte
	if header != nil {
		var err error
		b, err = header.Format()
		require.NoError(t, err)
	}
	_, err := c.Write(append(b, "GET / HTTP/1.1\r\nHost: backend\r\n\r\n"...))
	require.NoError(t, err)
	refused(t, c)
}

// refused checks that the server closes c without a byte of answer.
func refused(t *testing.T, c net.Conn) {
	t.Helper()
	require.NoError(t, c.SetReadDeadline(time.Now().Add(waitTimeout)))
	n, err := io.Copy(io.Discard, c)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatal("the connection was not closed")
	}
	assert.Zero(t, n, "the server answered")
}

func TestProxyProtocolFromTrustedPeer(t *testing.T) {
	app := newProxyApp()
	srv := newTestServer(t, proxyConfig(t, "127.0.0.0/8"), app.handler)
	for _, c := range []struct {
		header *proxyproto.Header
		remote string
	}{
		{proxyHeader(1, "203.0.113.7:4711", "192.0.2.1:80"), "203.0.113.7:4711"},
		{proxyHeader(2, "203.0.113.8:4712", "192.0.2.1:80"), "203.0.113.8:4712"},
		{proxyHeader(2, "[2001:db8::7]:4713", "[2001:db8::1]:80"), "[2001:db8::7]:4713"},
	} {
		conn := dial(t, "tcp", srv.Addr().String())
		_, err := c.header.WriteTo(conn)
		require.NoError(t, err)
		br := bufio.NewReader(conn)
		// Two requests on the connection: the header is read once and
		// holds for all of them.
		roundTrip(t, conn, br, true)
		s := app.next(t)
		assert.Equal(t, c.remote, s.remote.String(), "v%d", c.header.Version)
		assert.Equal(t, "http", s.scheme)
		host := s.remote.Addr().String()
		assert.True(t, strings.HasPrefix(s.log, host+" - - ["), s.log)
		roundTrip(t, conn, br, false)
		assert.Equal(t, c.remote, app.next(t).remote.String())
	}
}

// A v2 LOCAL header, a proxy's health check, keeps the peer's address.
func TestProxyProtocolLocalCommand(t *testing.T) {
	app := newProxyApp()
	srv := newTestServer(t, proxyConfig(t, "127.0.0.1"), app.handler)
	conn := dial(t, "tcp", srv.Addr().String())
	_, err := (&proxyproto.Header{Version: 2, Command: proxyproto.LOCAL, TransportProtocol: proxyproto.UNSPEC}).WriteTo(conn)
	require.NoError(t, err)
	roundTrip(t, conn, bufio.NewReader(conn), false)
	assert.Equal(t, "127.0.0.1", app.next(t).remote.Addr().String())
}

func TestProxyProtocolRefusesHeaderFromUntrustedPeer(t *testing.T) {
	app := newProxyApp()
	srv := newTestServer(t, proxyConfig(t, "10.0.0.0/8"), app.handler)
	for _, v := range []byte{1, 2} {
		conn := dial(t, "tcp", srv.Addr().String())
		sendRefused(t, conn, proxyHeader(v, "203.0.113.7:4711", "192.0.2.1:80"))
	}
	// Without a header an untrusted peer is served, with its own address:
	// PROXY headers are accepted from trusted peers only, never required
	// from the others.
	conn := dial(t, "tcp", srv.Addr().String())
	roundTrip(t, conn, bufio.NewReader(conn), false)
	s := app.next(t)
	assert.Equal(t, "127.0.0.1", s.remote.Addr().String())
	assert.True(t, strings.HasPrefix(s.log, "127.0.0.1 - - ["), s.log)
	assert.False(t, app.served(), "only the request without a header was served")
}

func TestProxyProtocolRequiredFromTrustedPeer(t *testing.T) {
	app := newProxyApp()
	cfg := proxyConfig(t, "127.0.0.1")
	srv := newTestServer(t, cfg, app.handler)
	sendRefused(t, dial(t, "tcp", srv.Addr().String()), nil)

	// A malformed header too.
	conn := dial(t, "tcp", srv.Addr().String())
	_, err := io.WriteString(conn, "PROXY TCP4 nonsense\r\nGET / HTTP/1.1\r\nHost: backend\r\n\r\n")
	require.NoError(t, err)
	refused(t, conn)
	assert.False(t, app.served())
}

// A trusted peer that connects and sends nothing is closed once the
// header timeout (SOCKET_TIMEOUT) has passed.
func TestProxyProtocolHeaderTimeout(t *testing.T) {
	cfg := proxyConfig(t, "127.0.0.1")
	cfg.SocketTimeout = 200 * time.Millisecond
	srv := newTestServer(t, cfg, hello)
	conn := dial(t, "tcp", srv.Addr().String())
	start := time.Now()
	refused(t, conn)
	assert.GreaterOrEqual(t, time.Since(start), 150*time.Millisecond)
}

func TestProxyProtocolUnixSocket(t *testing.T) {
	for _, c := range []struct {
		trusted string
		served  bool
	}{
		{"unix", true},
		{"127.0.0.0/8", false}, // IP prefixes never cover a unix socket peer
	} {
		t.Run(c.trusted, func(t *testing.T) {
			app := newProxyApp()
			cfg := proxyConfig(t, c.trusted)
			cfg.Host, cfg.Port = "", 0
			cfg.SocketFile = filepath.Join(shortDir(t), "s.sock")
			srv := newTestServer(t, cfg, app.handler)
			conn := dial(t, "unix", srv.Addr().String())
			header := proxyHeader(2, "203.0.113.7:4711", "192.0.2.1:80")
			if !c.served {
				sendRefused(t, conn, header)
				return
			}
			_, err := header.WriteTo(conn)
			require.NoError(t, err)
			roundTrip(t, conn, bufio.NewReader(conn), false)
			s := app.next(t)
			assert.Equal(t, "203.0.113.7:4711", s.remote.String())
			assert.True(t, strings.HasPrefix(s.log, "203.0.113.7 - - ["), s.log)
		})
	}
}

// The PROXY header comes before the TLS handshake.
func TestProxyProtocolTLS(t *testing.T) {
	app := newProxyApp()
	cfg := proxyConfig(t, "127.0.0.1")
	cfg.SSLCertificate, cfg.SSLPrivateKey = certFiles(t, shortDir(t))
	srv := newTestServer(t, cfg, app.handler)
	raw := dial(t, "tcp", srv.Addr().String())
	_, err := proxyHeader(1, "203.0.113.7:4711", "192.0.2.1:443").WriteTo(raw)
	require.NoError(t, err)
	conn := tls.Client(raw, &tls.Config{InsecureSkipVerify: true, NextProtos: []string{"http/1.1"}}) //nolint:gosec // self-signed test certificate
	roundTrip(t, conn, bufio.NewReader(conn), false)
	s := app.next(t)
	assert.Equal(t, "203.0.113.7:4711", s.remote.String())
	assert.Equal(t, "https", s.scheme)
}

// Stop is not held up by PROXY connections: one that never sent its
// header and a kept-alive one are closed within StopGrace.
func TestProxyProtocolStop(t *testing.T) {
	app := newProxyApp()
	srv := newTestServer(t, proxyConfig(t, "127.0.0.1"), app.handler)
	silent := dial(t, "tcp", srv.Addr().String())
	idle := dial(t, "tcp", srv.Addr().String())
	_, err := proxyHeader(1, "203.0.113.7:4711", "192.0.2.1:80").WriteTo(idle)
	require.NoError(t, err)
	roundTrip(t, idle, bufio.NewReader(idle), true)
	app.next(t)

	start := time.Now()
	require.NoError(t, srv.Stop(context.Background()))
	assert.Less(t, time.Since(start), 2*time.Second)
	refused(t, silent)
	refused(t, idle)
}

// NODELAY=false reaches the socket under the PROXY wrapper.
func TestProxyProtocolNoDelay(t *testing.T) {
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p, err := settings.ParseProxies("127.0.0.1")
	require.NoError(t, err)
	l := &trackingListener{Listener: newProxyListener(raw, p, time.Second, false), t: newTracker()}
	defer l.Close()
	_ = dial(t, "tcp", raw.Addr().String())
	c, err := l.Accept()
	require.NoError(t, err)
	defer c.Close()
	inner := c.(*trackedConn).Conn
	rc, err := inner.(syscall.Conn).SyscallConn()
	require.NoError(t, err)
	var opt int
	var optErr error
	require.NoError(t, rc.Control(func(fd uintptr) {
		opt, optErr = syscall.GetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_NODELAY)
	}))
	require.NoError(t, optErr)
	assert.Zero(t, opt)
	_, ok := inner.(interface{ CloseWrite() error })
	assert.True(t, ok, "CloseWrite stays reachable")
	assert.Same(t, raw, socketListener(l.Listener))
}

// The gateway conformance suite through a PROXY protocol server, whose
// client sends a v2 header on each connection: streaming, hijacking,
// trailers and cancellation all work through the wrapper.
func TestGatewayConformanceProxyProtocol(t *testing.T) {
	gatewaytest.RunConformanceTests(t, gatewaytest.Harness{Serve: func(t *testing.T, h http.Handler) gatewaytest.Target {
		t.Helper()
		srv := newTestServer(t, proxyConfig(t, "127.0.0.1"), h)
		addr := srv.Addr().String()
		dial := func(ctx context.Context) (net.Conn, error) {
			var d net.Dialer
			c, err := d.DialContext(ctx, "tcp", addr)
			if err != nil {
				return nil, err
			}
			if _, err := proxyHeader(2, "203.0.113.7:4711", "192.0.2.1:80").WriteTo(c); err != nil {
				_ = c.Close()
				return nil, err
			}
			return c, nil
		}
		tr := &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) { return dial(ctx) }}
		t.Cleanup(tr.CloseIdleConnections)
		return gatewaytest.Target{URL: "http://" + addr, Client: &http.Client{Transport: tr}, Dial: dial}
	}})
}
