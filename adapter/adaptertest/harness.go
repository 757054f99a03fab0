package adaptertest

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/seed-49a6713b/cherrygo/adapter"
)

// Harness tells the suite how to make servers of one backend and how to
// reach them.
type Harness struct {
	// Name names the backend in failure messages.
	Name string

	// New returns a new, unstarted server that serves h on an address
	// nobody uses (port 0, a fresh socket path). Required. The server must
	// implement adapter.Addresser.
	New func(t *testing.T, h http.Handler) adapter.Server

	// NewAt returns an unstarted server that serves h on addr, an address
	// another server is bound to, so that its Start must fail. Required.
	NewAt func(t *testing.T, h http.Handler, addr net.Addr) adapter.Server

	// Targets returns the addresses to dial to reach a server bound to
	// addr; give several to check each family of a dual-stack server.
	// Default: addr itself, with a wildcard host reached through 127.0.0.1.
	Targets func(addr net.Addr) []string

	// TLSClientConfig is the clients' TLS configuration for servers that
	// are adapter.Secure. Default: one that accepts any certificate.
	TLSClientConfig *tls.Config

	// HTTP2 makes the suite's HTTP clients use HTTP/2 with TLS servers.
	HTTP2 bool

	// Transport, when set, makes the round tripper of the suite's HTTP
	// clients instead of an *http.Transport: every request it sends must
	// reach target (host:port, or a unix socket path, on network) whatever
	// the URL's host, speaking TLS with tlsConfig to a secure server. It
	// lets a backend run the suite over another protocol, such as HTTP/3
	// with quic-go's http3.Transport. The suite closes it at cleanup
	// (Close, or CloseIdleConnections, whichever it has). The checks that
	// need a raw connection (a silent one, a hijacked one, the refusal of
	// new connections once Stop began) still dial network and target with
	// net.Dial, which for a server that serves HTTP/3 beside TCP checks
	// its TCP side. Nil: an *http.Transport (HTTP/2 as HTTP2 says).
	Transport func(network, target string, tlsConfig *tls.Config) http.RoundTripper

	// Cycles is how many start/stop cycles the leak test runs: 1000 by
	// default, 100 with -short.
	Cycles int
}

// Timeouts of the suite's waits. Each bounds a wait on an event that
// normally takes milliseconds; they are generous for loaded machines.
const (
	waitTimeout  = 10 * time.Second // Ready, Start returning, a response
	quickStop    = time.Second      // Stop with only idle connections open
	cutOffAfter  = 300 * time.Millisecond
	pollInterval = 5 * time.Millisecond
)

// targets returns where to dial srv.
func (h *Harness) targets(t *testing.T, srv adapter.Server) (network string, targets []string) {
	t.Helper()
	addr := addrOf(t, srv)
	if h.Targets != nil {
		return addr.Network(), h.Targets(addr)
	}
	return addr.Network(), []string{defaultTarget(addr)}
}

// defaultTarget reaches a wildcard address through IPv4 loopback.
func defaultTarget(addr net.Addr) string {
	if addr.Network() == "unix" {
		return addr.String()
	}
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return addr.String()
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		return net.JoinHostPort("127.0.0.1", port)
	}
	return addr.String()
}

func (h *Harness) tlsConfig() *tls.Config {
	if h.TLSClientConfig != nil {
		return h.TLSClientConfig.Clone()
	}
	return &tls.Config{InsecureSkipVerify: true} //nolint:gosec // test servers use self-signed certificates
}

// client returns an HTTP client whose every request reaches target, and
// the base URL to use with it. Its idle connections are closed at cleanup.
func (h *Harness) client(t *testing.T, srv adapter.Server, network, target string) (*http.Client, string) {
	t.Helper()
	scheme := "http"
	if isTLS(srv) {
		scheme = "https"
	}
	if h.Transport != nil {
		rt := h.Transport(network, target, h.tlsConfig())
		switch c := rt.(type) {
		case interface{ Close() error }:
			t.Cleanup(func() { _ = c.Close() })
		case interface{ CloseIdleConnections() }:
			t.Cleanup(c.CloseIdleConnections)
		}
		return &http.Client{Transport: rt, Timeout: waitTimeout}, scheme + "://backend"
	}
	d := &net.Dialer{Timeout: waitTimeout}
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return d.DialContext(ctx, network, target)
		},
		TLSClientConfig:   h.tlsConfig(),
		ForceAttemptHTTP2: h.HTTP2,
	}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: waitTimeout}, scheme + "://backend"
}

// dialRaw opens a connection to srv that speaks HTTP/1.1 (over TLS for a
// secure server) and is closed at cleanup.
func (h *Harness) dialRaw(t *testing.T, srv adapter.Server) net.Conn {
	t.Helper()
	network, targets := h.targets(t, srv)
	c, err := net.DialTimeout(network, targets[0], waitTimeout)
	if err != nil {
		t.Fatalf("%s: dial %s: %v", h.Name, targets[0], err)
	}
	t.Cleanup(func() { _ = c.Close() })
	if !isTLS(srv) {
		return c
	}
	cfg := h.tlsConfig()
	cfg.NextProtos = []string{"http/1.1"}
	tc := tls.Client(c, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if err := tc.HandshakeContext(ctx); err != nil {
		t.Fatalf("%s: TLS handshake: %v", h.Name, err)
	}
	return tc
}

// dialTCPOnly opens a plain connection that never sends anything (no TLS
// handshake either), closed at cleanup.
func (h *Harness) dialTCPOnly(t *testing.T, srv adapter.Server) net.Conn {
	t.Helper()
	network, targets := h.targets(t, srv)
	c, err := net.DialTimeout(network, targets[0], waitTimeout)
	if err != nil {
		t.Fatalf("%s: dial %s: %v", h.Name, targets[0], err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func isTLS(srv adapter.Server) bool {
	s, ok := srv.(adapter.Secure)
	return ok && s.IsTLS()
}

func addrOf(t *testing.T, srv adapter.Server) net.Addr {
	t.Helper()
	a, ok := srv.(adapter.Addresser)
	if !ok {
		t.Fatalf("%T does not implement adapter.Addresser, which the suite needs", srv)
	}
	addr := a.Addr()
	if addr == nil {
		t.Fatalf("%T: Addr is nil while serving", srv)
	}
	return addr
}
