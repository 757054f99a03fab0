package stdlib

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/quic-go/quic-go"
	"github.com/quic-go/quic-go/http3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-49a6713b/cherrygo/adapter"
	"github.com/seed-49a6713b/cherrygo/adapter/adaptertest"
	"github.com/seed-49a6713b/cherrygo/adapter/settings"
	"github.com/seed-49a6713b/cherrygo/gateway/gatewaytest"
)

// h3Config is testConfig with a fresh self-signed pair and SERVER_HTTP3.
func h3Config(t *testing.T) settings.Config {
	t.Helper()
	cfg := testConfig()
	cfg.SSLCertificate, cfg.SSLPrivateKey = certFiles(t, shortDir(t))
	cfg.HTTP3 = true
	return cfg
}

// h3HandshakeTimeout bounds a QUIC handshake of the tests' clients: a
// handshake with a socket nobody serves fails after it.
const h3HandshakeTimeout = time.Second

// newH3Transport returns an HTTP/3 client transport whose every
// connection goes to target (host:port over UDP), whatever the URL's
// host, with tlsConfig (nil: any certificate). It is closed at cleanup.
func newH3Transport(t testing.TB, target string, tlsConfig *tls.Config) *http3.Transport {
	if tlsConfig == nil {
		tlsConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // self-signed test certificate
	}
	tr := &http3.Transport{
		TLSClientConfig: tlsConfig,
		QUICConfig:      &quic.Config{HandshakeIdleTimeout: h3HandshakeTimeout},
		Dial: func(ctx context.Context, _ string, tlsCfg *tls.Config, cfg *quic.Config) (*quic.Conn, error) {
			return quic.DialAddrEarly(ctx, target, tlsCfg, cfg)
		},
	}
	if t != nil {
		t.Cleanup(func() { _ = tr.Close() })
	}
	return tr
}

// h3Client is an *http.Client over newH3Transport.
func h3Client(t *testing.T, target string) *http.Client {
	t.Helper()
	return &http.Client{Transport: newH3Transport(t, target, nil), Timeout: waitTimeout}
}

// tlsClient is an HTTPS client over TCP that accepts any certificate.
func tlsClient(t *testing.T) *http.Client {
	t.Helper()
	return newClient(t, &http.Transport{
		TLSClientConfig:   &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // self-signed test certificate
		ForceAttemptHTTP2: true,
	})
}

func portOf(t *testing.T, addr net.Addr) int {
	t.Helper()
	_, p, err := net.SplitHostPort(addr.String())
	require.NoError(t, err)
	port, err := strconv.Atoi(p)
	require.NoError(t, err)
	return port
}

// readAll fetches url with c and returns the response and its body.
func readAll(t *testing.T, c *http.Client, url string) (*http.Response, string) {
	t.Helper()
	resp, err := c.Get(url)
	require.NoError(t, err, "GET %s", url)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err, "reading %s", url)
	return resp, string(b)
}

func TestHTTP3SameResponseAsTCP(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Test", "yes")
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Add("Set-Cookie", "a=1")
		w.Header().Add("Set-Cookie", "b=2")
		_, _ = io.WriteString(w, "hello "+r.URL.Path)
	})
	srv := newTestServer(t, h3Config(t), h)
	addr := srv.Addr().String()
	url := "https://" + addr + "/path"

	tcpResp, tcpBody := readAll(t, tlsClient(t), url)
	h3Resp, h3Body := readAll(t, h3Client(t, addr), url)

	assert.Equal(t, http.StatusOK, tcpResp.StatusCode)
	assert.Equal(t, http.StatusOK, h3Resp.StatusCode)
	assert.Equal(t, "HTTP/2.0", tcpResp.Proto, "TLS over TCP negotiates HTTP/2")
	assert.Equal(t, "HTTP/3.0", h3Resp.Proto)
	assert.Equal(t, "hello /path", tcpBody)
	assert.Equal(t, tcpBody, h3Body)

	wantAltSvc := `h3=":` + strconv.Itoa(portOf(t, srv.Addr())) + `"; ma=86400`
	assert.Equal(t, []string{wantAltSvc}, tcpResp.Header.Values("Alt-Svc"), "TCP responses advertise HTTP/3 on the same port")
	assert.Empty(t, h3Resp.Header.Values("Alt-Svc"), "HTTP/3 responses need no advertisement")
	strip := func(h http.Header) http.Header {
		h = h.Clone()
		h.Del("Alt-Svc")
		h.Del("Date")
		return h
	}
	assert.Equal(t, strip(tcpResp.Header), strip(h3Resp.Header), "the same headers over TCP and HTTP/3")

	// HTTP/1.1 over TLS carries the advertisement too.
	h1 := newClient(t, &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}) //nolint:gosec // test
	h1Resp, _ := readAll(t, h1, url)
	assert.Equal(t, "HTTP/1.1", h1Resp.Proto)
	assert.Equal(t, wantAltSvc, h1Resp.Header.Get("Alt-Svc"))
}

func TestHTTP3NoAltSvcWhenOff(t *testing.T) {
	cfg := h3Config(t)
	cfg.HTTP3 = false
	srv := newTestServer(t, cfg, hello)
	resp, body := readAll(t, tlsClient(t), "https://"+srv.Addr().String()+"/")
	assert.Equal(t, "hello", body)
	assert.Empty(t, resp.Header.Values("Alt-Svc"))
}

// stopAsync runs srv.Stop with a bounded context in a goroutine.
func stopAsync(srv *Server) <-chan error {
	stopped := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		stopped <- srv.Stop(ctx)
	}()
	return stopped
}

// runServer starts srv and returns a channel that yields Start's outcome
// once, without registering a stop of its own beyond the cleanup one: the
// test stops it.
func runServer(t *testing.T, srv *Server) <-chan error {
	t.Helper()
	done, outcome := make(chan struct{}), make(chan error, 1)
	var startErr error
	go func() {
		defer close(done)
		startErr = srv.Start()
		outcome <- startErr
	}()
	select {
	case <-srv.Ready():
	case <-done:
		t.Fatalf("Start returned before Ready: %v", startErr)
	case <-time.After(waitTimeout):
		t.Fatal("not ready in time")
	}
	t.Cleanup(func() {
		_ = srv.Stop(context.Background())
		select {
		case <-done:
		case <-time.After(waitTimeout):
			t.Error("Start did not return after Stop")
		}
	})
	return outcome
}

// bindUDPAgain checks that addr's UDP port is free: it binds it.
func bindUDPAgain(t *testing.T, addr string) {
	t.Helper()
	pc, err := net.ListenPacket("udp4", addr)
	require.NoError(t, err, "bind udp %s after Stop", addr)
	_ = pc.Close()
}

func TestHTTP3GracefulStop(t *testing.T) {
	big := strings.Repeat("x", 256<<10) // several flow-control windows' worth
	entered, release := make(chan struct{}, 1), make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/slow" {
			_, _ = io.WriteString(w, "fast")
			return
		}
		entered <- struct{}{}
		select {
		case <-release:
			_, _ = io.WriteString(w, big)
		case <-r.Context().Done():
		}
	})
	cfg := h3Config(t)
	srv, err := New(cfg, h, WithLogger(testLogger(t)))
	require.NoError(t, err)
	done := runServer(t, srv)
	addr := srv.Addr().String()
	c := h3Client(t, addr)

	type result struct {
		status int
		body   string
		err    error
	}
	got := make(chan result, 1)
	go func() {
		resp, err := c.Get("https://" + addr + "/slow")
		if err != nil {
			got <- result{err: err}
			return
		}
		b, err := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		got <- result{status: resp.StatusCode, body: string(b), err: err}
	}()
	select {
	case <-entered:
	case <-time.After(waitTimeout):
		t.Fatal("the request did not reach the handler")
	}

	stopped := stopAsync(srv)
	// A new request fails once the stop began: on the connection carrying
	// the request in flight, GOAWAY refuses it; a new connection finds
	// nobody accepting. This is a bounded poll of a probe: each attempt is
	// a real round trip, and the stop has begun by the time one fails.
	deadline := time.Now().Add(waitTimeout)
	var refused error
	for refused == nil && time.Now().Before(deadline) {
		resp, err := c.Get("https://" + addr + "/fast")
		if err != nil {
			refused = err
			break
		}
		_ = resp.Body.Close()
	}
	require.Error(t, refused, "new HTTP/3 requests still served %v after Stop began", waitTimeout)
	t.Logf("new request after Stop began: %v", refused)
	fresh := h3Client(t, addr)
	_, err = fresh.Get("https://" + addr + "/fast")
	assert.Error(t, err, "a new connection after Stop began")

	select {
	case err := <-stopped:
		t.Fatalf("Stop returned (%v) while an HTTP/3 request was in flight", err)
	default:
	}
	close(release)
	select {
	case r := <-got:
		require.NoError(t, r.err)
		assert.Equal(t, http.StatusOK, r.status)
		assert.Equal(t, len(big), len(r.body), "the whole body arrived")
	case <-time.After(waitTimeout):
		t.Fatal("the in-flight request got no answer")
	}
	select {
	case err := <-stopped:
		assert.NoError(t, err, "Stop after a drained request")
	case <-time.After(waitTimeout):
		t.Fatal("Stop did not return after the request finished")
	}
	select {
	case err := <-done:
		assert.NoError(t, err, "Start after Stop")
	case <-time.After(waitTimeout):
		t.Fatal("Start did not return after Stop")
	}
	bindUDPAgain(t, addr)
}

func TestHTTP3StuckHandlerCutOff(t *testing.T) {
	const timeout = 300 * time.Millisecond
	entered, release := make(chan struct{}, 1), make(chan struct{})
	handlerDone := make(chan struct{})
	h := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		defer close(handlerDone)
		entered <- struct{}{}
		<-release // ignores its context: never returns before the test ends
	})
	t.Cleanup(func() {
		close(release)
		select {
		case <-handlerDone:
		case <-time.After(waitTimeout):
			t.Error("the stuck handler did not return once released")
		}
	})
	cfg := h3Config(t)
	cfg.ShutdownTimeout = timeout
	srv, err := New(cfg, h, WithLogger(testLogger(t)))
	require.NoError(t, err)
	done := runServer(t, srv)
	addr := srv.Addr().String()
	c := h3Client(t, addr)
	failed := make(chan error, 1)
	go func() {
		resp, err := c.Get("https://" + addr + "/")
		if err == nil {
			_, err = io.ReadAll(resp.Body)
			_ = resp.Body.Close()
		}
		failed <- err
	}()
	select {
	case <-entered:
	case <-time.After(waitTimeout):
		t.Fatal("the request did not reach the handler")
	}

	began := time.Now()
	err = srv.Stop(context.Background())
	took := time.Since(began)
	t.Logf("Stop took %v with SHUTDOWN_TIMEOUT %v and a handler that never returns", took, timeout)
	var cut *adapter.CutOffError
	require.ErrorAs(t, err, &cut)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Equal(t, 1, cut.Conns, "one HTTP/3 request cut off")
	assert.Less(t, took, timeout+http3CloseGrace+time.Second, "Stop returns within about the timeout")
	bindUDPAgain(t, addr)
	select {
	case err := <-done:
		assert.NoError(t, err)
	case <-time.After(waitTimeout):
		t.Fatal("Start did not return after Stop")
	}
	select {
	case err := <-failed:
		assert.Error(t, err, "the client of the request cut off notices")
	case <-time.After(waitTimeout):
		t.Fatal("the client of the request cut off did not notice")
	}
}

func TestHTTP3RequestCutOffByTimeout(t *testing.T) {
	// A handler that honours its context: the cut-off cancels it, and
	// Stop returns right after the timeout.
	const timeout = 200 * time.Millisecond
	entered := make(chan struct{}, 1)
	h := http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		entered <- struct{}{}
		<-r.Context().Done()
	})
	cfg := h3Config(t)
	cfg.ShutdownTimeout = timeout
	srv := newTestServerQuiet(t, cfg, h)
	addr := srv.Addr().String()
	c := h3Client(t, addr)
	go func() {
		resp, err := c.Get("https://" + addr + "/")
		if err == nil {
			_ = resp.Body.Close()
		}
	}()
	select {
	case <-entered:
	case <-time.After(waitTimeout):
		t.Fatal("the request did not reach the handler")
	}
	began := time.Now()
	err := srv.Stop(context.Background())
	took := time.Since(began)
	t.Logf("Stop took %v with SHUTDOWN_TIMEOUT %v", took, timeout)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, took, timeout+http3CloseGrace, "the handler returned on its cancelled context")
	bindUDPAgain(t, addr)
}

// newTestServerQuiet is newTestServer whose cleanup accepts any Stop
// error (the test stopped it already).
func newTestServerQuiet(t *testing.T, cfg settings.Config, h http.Handler) *Server {
	t.Helper()
	srv, err := New(cfg, h)
	require.NoError(t, err)
	runServer(t, srv)
	return srv
}

func TestHTTP3Restart(t *testing.T) {
	srv, err := New(h3Config(t), hello)
	require.NoError(t, err)
	for i := range 3 {
		done := make(chan error, 1)
		go func() { done <- srv.Start() }()
		select {
		case <-srv.Ready():
		case err := <-done:
			t.Fatalf("run %d: Start: %v", i, err)
		case <-time.After(waitTimeout):
			t.Fatalf("run %d: not ready", i)
		}
		addr := srv.Addr().String()
		resp, body := readAll(t, h3Client(t, addr), "https://"+addr+"/")
		assert.Equal(t, "HTTP/3.0", resp.Proto, "run %d", i)
		assert.Equal(t, "hello", body, "run %d", i)
		require.NoError(t, srv.Stop(context.Background()), "run %d", i)
		select {
		case err := <-done:
			require.NoError(t, err, "run %d: Start", i)
		case <-time.After(waitTimeout):
			t.Fatalf("run %d: Start did not return", i)
		}
		bindUDPAgain(t, addr)
	}
}

func TestHTTP3UDPPortTaken(t *testing.T) {
	// A UDP port whose TCP port is free (another program may hold it).
	var (
		taken net.PacketConn
		port  int
	)
	for range 20 {
		pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
		require.NoError(t, err)
		port = pc.LocalAddr().(*net.UDPAddr).Port
		if l, err := net.Listen("tcp4", pc.LocalAddr().String()); err == nil {
			_ = l.Close()
			taken = pc
			break
		}
		_ = pc.Close()
	}
	require.NotNil(t, taken, "no UDP port with a free TCP port found")
	t.Cleanup(func() { _ = taken.Close() })

	cfg := h3Config(t)
	cfg.Port = port
	srv, err := New(cfg, hello)
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- srv.Start() }()
	select {
	case err = <-done:
	case <-time.After(waitTimeout):
		_ = srv.Stop(context.Background())
		t.Fatal("Start with the UDP port taken did not return")
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "udp")
	assert.Contains(t, err.Error(), addr)
	assert.ErrorIs(t, err, syscall.EADDRINUSE)
	assert.False(t, isClosedChan(srv.Ready()), "Ready stays open after a failed bind")
	assert.Nil(t, srv.Addr())
	l, err := net.Listen("tcp4", addr)
	require.NoError(t, err, "the TCP port is released after the UDP bind failed")
	_ = l.Close()
	assert.NoError(t, srv.Stop(context.Background()))
}

func isClosedChan(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

func TestHTTP3FromEnvironment(t *testing.T) {
	certFile, keyFile := certFiles(t, shortDir(t))
	cfgs, err := settings.Load(map[string]string{
		"SERVER_SOCKET_HOST":     "127.0.0.1",
		"SERVER_SOCKET_PORT":     "0",
		"SERVER_SSL_CERTIFICATE": certFile,
		"SERVER_SSL_PRIVATE_KEY": keyFile,
		"SERVER_HTTP3":           "true",
	})
	require.NoError(t, err)
	require.True(t, cfgs[0].HTTP3)
	srv := newTestServer(t, cfgs[0], hello)
	addr := srv.Addr().String()
	resp, body := readAll(t, h3Client(t, addr), "https://"+addr+"/")
	assert.Equal(t, "HTTP/3.0", resp.Proto)
	assert.Equal(t, "hello", body)
	tcpResp, _ := readAll(t, tlsClient(t), "https://"+addr+"/")
	assert.Equal(t, `h3=":`+strconv.Itoa(portOf(t, srv.Addr()))+`"; ma=86400`, tcpResp.Header.Get("Alt-Svc"))
}

func TestHTTP3CertificateReload(t *testing.T) {
	dir := shortDir(t)
	certFile, keyFile := certFiles(t, dir)
	cfg := testConfig()
	cfg.SSLCertificate, cfg.SSLPrivateKey, cfg.HTTP3 = certFile, keyFile, true
	srv := newTestServer(t, cfg, hello)
	addr := srv.Addr().String()
	serial := func() string {
		resp, _ := readAll(t, h3Client(t, addr), "https://"+addr+"/")
		require.NotNil(t, resp.TLS)
		return resp.TLS.PeerCertificates[0].SerialNumber.String()
	}
	before := serial()
	certFiles(t, dir) // a new pair in the same files
	require.NoError(t, srv.ReloadCertificate())
	assert.NotEqual(t, before, serial(), "a new QUIC handshake presents the reloaded certificate")
}

func TestHTTP3BodyLimitOverHTTP3(t *testing.T) {
	// A request over HTTP/3 reaches the same handler: a policy of the
	// gateway in front of it holds (the gateway suite checks them all).
	h := http.MaxBytesHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.ReadAll(r.Body); err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				http.Error(w, "too large", http.StatusRequestEntityTooLarge)
				return
			}
		}
		_, _ = io.WriteString(w, "ok")
	}), 10)
	srv := newTestServer(t, h3Config(t), h)
	addr := srv.Addr().String()
	resp, err := h3Client(t, addr).Post("https://"+addr+"/", "text/plain", strings.NewReader(strings.Repeat("x", 100)))
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode)
}

// h3AdapterHarness is the TLS harness with HTTP/3 on, its clients speaking
// HTTP/3.
func h3AdapterHarness(t *testing.T) adaptertest.Harness {
	certFile, keyFile := certFiles(t, shortDir(t))
	newServer := func(t *testing.T, h http.Handler, port int) adapter.Server {
		t.Helper()
		cfg := testConfig()
		cfg.Port = port
		cfg.SSLCertificate, cfg.SSLPrivateKey, cfg.HTTP3 = certFile, keyFile, true
		srv, err := New(cfg, h)
		if err != nil {
			t.Fatalf("New: %v", err)
		}
		return srv
	}
	return adaptertest.Harness{
		Name: "http3 127.0.0.1",
		New:  func(t *testing.T, h http.Handler) adapter.Server { return newServer(t, h, 0) },
		NewAt: func(t *testing.T, h http.Handler, addr net.Addr) adapter.Server {
			_, port, _ := net.SplitHostPort(addr.String())
			p, _ := strconv.Atoi(port)
			return newServer(t, h, p)
		},
		Transport: func(_, target string, tlsConfig *tls.Config) http.RoundTripper {
			return newH3Transport(nil, target, tlsConfig) // the suite closes it
		},
	}
}

// TestConformanceHTTP3 runs the adapter suite with HTTP/3 clients: every
// request of the suite goes over QUIC. Its raw-connection checks (silent
// and hijacked connections, refusal once Stop began) reach the same
// server's TCP side, which it serves beside UDP.
func TestConformanceHTTP3(t *testing.T) {
	adaptertest.RunConformanceTests(t, h3AdapterHarness(t))
}

// TestGatewayConformanceHTTP3 runs the gateway suite through an
// HTTP/3-enabled server with an HTTP/3 client. Target.Dial, for the checks
// that need a raw HTTP/1.x connection (hijack, HEAD on a kept-alive
// connection, HTTP/1.0), reaches the server's TCP side over TLS: HTTP/3
// has no such connection.
func TestGatewayConformanceHTTP3(t *testing.T) {
	certFile, keyFile := certFiles(t, shortDir(t))
	gatewaytest.RunConformanceTests(t, gatewaytest.Harness{Serve: func(t *testing.T, h http.Handler) gatewaytest.Target {
		t.Helper()
		cfg := testConfig()
		cfg.SSLCertificate, cfg.SSLPrivateKey, cfg.HTTP3 = certFile, keyFile, true
		srv := newTestServer(t, cfg, h)
		addr := srv.Addr().String()
		tr := newH3Transport(t, addr, nil)
		return gatewaytest.Target{
			URL:    "https://" + addr,
			Client: &http.Client{Transport: tr},
			Dial: func(ctx context.Context) (net.Conn, error) {
				d := tls.Dialer{Config: &tls.Config{InsecureSkipVerify: true, NextProtos: []string{"http/1.1"}}} //nolint:gosec // test
				return d.DialContext(ctx, "tcp", addr)
			},
		}
	}})
}

func TestHTTP3HeaderLimit(t *testing.T) {
	cfg := h3Config(t)
	cfg.MaxRequestHeaderSize = 2048
	srv := newTestServer(t, cfg, hello)
	addr := srv.Addr().String()
	c := h3Client(t, addr)
	small, _ := http.NewRequest(http.MethodGet, "https://"+addr+"/", nil)
	small.Header.Set("X-Pad", strings.Repeat("a", 1000))
	resp, err := c.Do(small)
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode, "a header under the limit is served")

	big, _ := http.NewRequest(http.MethodGet, "https://"+addr+"/", nil)
	big.Header.Set("X-Pad", strings.Repeat("a", 4000))
	resp, err = c.Do(big)
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, http.StatusRequestHeaderFieldsTooLarge, resp.StatusCode, "a header over the limit gets 431")
}

func TestHTTP3PortZeroRebindsWhenUDPTaken(t *testing.T) {
	// The first TCP port bound is one whose UDP port is taken: with port 0
	// the server gives that pair up and binds another.
	var taken net.PacketConn
	var takenTCP net.Listener
	for range 20 {
		pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
		require.NoError(t, err)
		if l, err := net.Listen("tcp4", pc.LocalAddr().String()); err == nil {
			taken, takenTCP = pc, l
			break
		}
		_ = pc.Close()
	}
	require.NotNil(t, taken, "no UDP port with a free TCP port found")
	t.Cleanup(func() { _ = taken.Close() })

	srv, err := New(h3Config(t), hello)
	require.NoError(t, err)
	bind := srv.bind
	calls := 0
	srv.bind = func(ctx context.Context) ([]net.Listener, error) {
		calls++
		if calls == 1 {
			return []net.Listener{takenTCP}, nil
		}
		return bind(ctx)
	}
	startServer(t, srv)
	assert.Equal(t, 2, calls, "a second pair was bound")
	addr := srv.Addr().String()
	assert.NotEqual(t, taken.LocalAddr().String(), addr)
	resp, body := readAll(t, h3Client(t, addr), "https://"+addr+"/")
	assert.Equal(t, "HTTP/3.0", resp.Proto)
	assert.Equal(t, "hello", body)
	l, err := net.Listen("tcp4", taken.LocalAddr().String())
	require.NoError(t, err, "the first TCP listener was closed")
	_ = l.Close()
}

func TestHTTP3DualStack(t *testing.T) {
	cfg := h3Config(t)
	cfg.Host = ""
	srv := newTestServer(t, cfg, hello)
	port := strconv.Itoa(portOf(t, srv.Addr()))
	targets := []string{net.JoinHostPort("127.0.0.1", port)}
	if ipv6Loopback() {
		targets = append(targets, net.JoinHostPort("::1", port))
	} else {
		t.Log("no IPv6 loopback here: checking the IPv4 side only")
	}
	for _, target := range targets {
		resp, body := readAll(t, h3Client(t, target), "https://"+target+"/")
		assert.Equal(t, "HTTP/3.0", resp.Proto, target)
		assert.Equal(t, "hello", body, target)
	}
}
