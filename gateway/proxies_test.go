package gateway_test

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-49a6713b/cherrygo/engine"
	"github.com/seed-49a6713b/cherrygo/gateway"
)

func proxies(prefixes ...string) gateway.Proxies {
	var p gateway.Proxies
	for _, s := range prefixes {
		if s == "unix" {
			p.Unix = true
			continue
		}
		p.Prefixes = append(p.Prefixes, netip.MustParsePrefix(s))
	}
	return p
}

// seen is what the handler behind Forwarded got.
type seen struct {
	remote, scheme string
	same           bool // the very request the middleware was given
}

// throughForwarded passes r through Forwarded(p) and reports what the
// handler got; it checks that r itself is left as it was.
func throughForwarded(t *testing.T, p gateway.Proxies, r *http.Request) seen {
	t.Helper()
	remote, tlsState, ctx := r.RemoteAddr, r.TLS, r.Context()
	var got seen
	gateway.Forwarded(p)(http.HandlerFunc(func(_ http.ResponseWriter, r2 *http.Request) {
		got = seen{remote: r2.RemoteAddr, scheme: gateway.Scheme(r2), same: r2 == r}
		assert.Equal(t, tlsState, r2.TLS, "TLS is left alone")
	})).ServeHTTP(httptest.NewRecorder(), r)
	assert.Equal(t, remote, r.RemoteAddr, "the server's request is never changed")
	assert.Equal(t, ctx, r.Context(), "the server's request is never changed")
	return got
}

func TestForwardedFromLiteralRequests(t *testing.T) {
	trusted := proxies("10.0.0.0/8", "2001:db8:ffff::/48", "unix")
	for _, c := range []struct {
		name   string
		peer   string
		header map[string][]string
		tls    bool
		remote string // "" : the peer's, unchanged
		scheme string
	}{
		{name: "untrusted peer, every header spoofed", peer: "198.51.100.7:5000",
			header: map[string][]string{"X-Forwarded-For": {"203.0.113.9"}, "X-Forwarded-Proto": {"https"}, "Forwarded": {"for=203.0.113.9;proto=https"}},
			scheme: "http"},
		{name: "trusted peer without headers", peer: "10.0.0.2:5000", scheme: "http"},
		{name: "X-Forwarded-For chain", peer: "10.0.0.2:5000",
			header: map[string][]string{"X-Forwarded-For": {"198.51.100.1, 203.0.113.9, 10.1.1.1"}},
			remote: "203.0.113.9:0", scheme: "http"},
		{name: "X-Forwarded-For with a port", peer: "10.0.0.2:5000",
			header: map[string][]string{"X-Forwarded-For": {"203.0.113.9:4711"}},
			remote: "203.0.113.9:4711", scheme: "http"},
		{name: "X-Forwarded-Proto https", peer: "10.0.0.2:5000",
			header: map[string][]string{"X-Forwarded-For": {"203.0.113.9"}, "X-Forwarded-Proto": {"https"}},
			remote: "203.0.113.9:0", scheme: "https"},
		{name: "X-Forwarded-Proto alone", peer: "10.0.0.2:5000",
			header: map[string][]string{"X-Forwarded-Proto": {"HTTPS"}}, scheme: "https"},
		{name: "X-Forwarded-Proto neither http nor https", peer: "10.0.0.2:5000",
			header: map[string][]string{"X-Forwarded-For": {"203.0.113.9"}, "X-Forwarded-Proto": {"wss"}},
			remote: "203.0.113.9:0", scheme: "http"},
		{name: "X-Forwarded-Proto http over TLS", peer: "10.0.0.2:5000", tls: true,
			header: map[string][]string{"X-Forwarded-Proto": {"http"}}, scheme: "http"},
		{name: "TLS without headers", peer: "10.0.0.2:5000", tls: true, scheme: "https"},
		{name: "IPv6 peer and client", peer: "[2001:db8:ffff::1]:443",
			header: map[string][]string{"X-Forwarded-For": {"2001:db8::7, 2001:db8:ffff::2"}},
			remote: "[2001:db8::7]:0", scheme: "http"},
		{name: "Forwarded, quoted IPv6 with port", peer: "10.0.0.2:5000",
			header: map[string][]string{"Forwarded": {`for="[2001:db8:cafe::17]:4711";proto=https`}},
			remote: "[2001:db8:cafe::17]:4711", scheme: "https"},
		{name: "Forwarded preferred", peer: "10.0.0.2:5000",
			header: map[string][]string{"Forwarded": {`for=192.0.2.60`}, "X-Forwarded-For": {"203.0.113.9"}, "X-Forwarded-Proto": {"https"}},
			remote: "192.0.2.60:0", scheme: "http"},
		{name: "Forwarded chain over lines", peer: "10.0.0.2:5000",
			header: map[string][]string{"Forwarded": {`for=198.51.100.1;proto=http`, `for=192.0.2.60;proto=https, for=10.3.3.3;proto=http`}},
			remote: "192.0.2.60:0", scheme: "https"},
		{name: "Forwarded unknown at the peer", peer: "10.0.0.2:5000",
			header: map[string][]string{"Forwarded": {`for=198.51.100.1, for=unknown;proto=https`}},
			scheme: "https"},
		{name: "Forwarded obfuscated behind a trusted hop", peer: "10.0.0.2:5000",
			header: map[string][]string{"Forwarded": {`for=198.51.100.1, for=_hidden, for=10.3.3.3`}},
			remote: "10.3.3.3:0", scheme: "http"},
		{name: "every hop trusted", peer: "10.0.0.2:5000",
			header: map[string][]string{"X-Forwarded-For": {"10.9.9.9, 10.3.3.3"}},
			remote: "10.9.9.9:0", scheme: "http"},
		{name: "trusted unix peer", peer: "@",
			header: map[string][]string{"X-Forwarded-For": {"203.0.113.9"}},
			remote: "203.0.113.9:0", scheme: "http"},
		{name: "unix peer, empty address", peer: "",
			header: map[string][]string{"Forwarded": {`for=203.0.113.9`}},
			remote: "203.0.113.9:0", scheme: "http"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.RemoteAddr = c.peer
			if c.tls {
				r.TLS = &tls.ConnectionState{}
			}
			for k, v := range c.header {
				r.Header[k] = v
			}
			got := throughForwarded(t, trusted, r)
			want := c.remote
			if want == "" {
				want = c.peer
			}
			assert.Equal(t, want, got.remote)
			assert.Equal(t, c.scheme, got.scheme)
			connScheme := "http"
			if c.tls {
				connScheme = "https"
			}
			assert.Equal(t, c.remote == "" && c.scheme == connScheme, got.same,
				"a request nothing changes about is passed on as it is")
		})
	}
}

func TestForwardedUnixPeerNeedsUnix(t *testing.T) {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.RemoteAddr = "@"
	r.Header.Set("X-Forwarded-For", "203.0.113.9")
	got := throughForwarded(t, proxies("0.0.0.0/0", "::/0"), r)
	assert.Equal(t, "@", got.remote)
	assert.True(t, got.same)
}

// nextHandler is a handler a pointer identifies.
type nextHandler struct{ calls int }

func (h *nextHandler) ServeHTTP(http.ResponseWriter, *http.Request) { h.calls++ }

func TestForwardedOffCostsNothing(t *testing.T) {
	next := &nextHandler{}
	assert.Same(t, next, gateway.Forwarded(gateway.Proxies{})(next), "no proxies: next itself")

	// An untrusted peer costs a parse of its address, and no allocation.
	on := gateway.Forwarded(proxies("10.0.0.0/8"))(next)
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.RemoteAddr = "198.51.100.7:5000"
	r.Header.Set("X-Forwarded-For", "203.0.113.9")
	rec := httptest.NewRecorder()
	assert.Zero(t, testing.AllocsPerRun(100, func() { on.ServeHTTP(rec, r) }))
	assert.NotZero(t, next.calls)
}

// served is what one request through a gateway on a real socket showed:
// the engine request's client address and scheme, and the access log.
type served struct {
	remote netip.AddrPort
	scheme string
	log    string
}

// forwardedGateway serves a gateway with trusted on l (a TCP loopback
// listener when nil) and returns a function that sends one GET with
// header and reports what it showed.
func forwardedGateway(t *testing.T, trusted gateway.Proxies, l net.Listener) func(header map[string]string) served {
	t.Helper()
	tree := engine.NewTree()
	reqs := make(chan *engine.Request, 1)
	tree.Mount("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reqs <- engine.RequestFrom(r)
		_, _ = io.WriteString(w, "ok")
	}))
	out := make(lines, 1)
	srv := httptest.NewUnstartedServer(gateway.New(tree, gateway.Config{TrustedProxies: trusted, AccessLog: out}))
	tr := &http.Transport{}
	if l != nil {
		_ = srv.Listener.Close()
		srv.Listener = l
		tr.DialContext = func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", l.Addr().String())
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	t.Cleanup(tr.CloseIdleConnections)
	client := &http.Client{Transport: tr, Timeout: waitTimeout}
	url := "http://" + srv.Listener.Addr().String() + "/"
	if l != nil {
		url = "http://backend/"
	}
	return func(header map[string]string) served {
		t.Helper()
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
		require.NoError(t, err)
		for k, v := range header {
			req.Header.Set(k, v)
		}
		res := fetch(client, req)
		require.NoError(t, res.err)
		require.Equal(t, http.StatusOK, res.status)
		r := receive(t, reqs, "the engine request")
		return served{remote: r.Remote(), scheme: r.Scheme, log: receive(t, out, "the access log line")}
	}
}

var spoofed = map[string]string{
	"X-Forwarded-For":   "203.0.113.9",
	"X-Forwarded-Proto": "https",
	"Forwarded":         `for="[2001:db8::1]:4711";proto=https`,
}

func TestForwardedIgnoredFromUntrustedPeer(t *testing.T) {
	get := forwardedGateway(t, proxies("10.0.0.0/8"), nil)
	for _, h := range []map[string]string{
		{"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"},
		{"Forwarded": `for="[2001:db8::1]:4711";proto=https`},
		spoofed,
	} {
		s := get(h)
		assert.Equal(t, "127.0.0.1", s.remote.Addr().String(), h)
		assert.NotZero(t, s.remote.Port())
		assert.Equal(t, "http", s.scheme, h)
		assert.True(t, strings.HasPrefix(s.log, "127.0.0.1 - - ["), s.log)
	}
}

func TestForwardedFromTrustedPeer(t *testing.T) {
	get := forwardedGateway(t, proxies("127.0.0.1/32", "10.0.0.0/8"), nil)

	s := get(map[string]string{"X-Forwarded-For": "198.51.100.66, 203.0.113.9, 10.0.0.2", "X-Forwarded-Proto": "https"})
	assert.Equal(t, netip.MustParseAddrPort("203.0.113.9:0"), s.remote)
	assert.Equal(t, "https", s.scheme)
	assert.True(t, strings.HasPrefix(s.log, "203.0.113.9 - - ["), s.log)

	s = get(spoofed) // Forwarded wins
	assert.Equal(t, netip.MustParseAddrPort("[2001:db8::1]:4711"), s.remote)
	assert.Equal(t, "https", s.scheme)
	assert.True(t, strings.HasPrefix(s.log, "2001:db8::1 - - ["), s.log)

	s = get(nil)
	assert.Equal(t, "127.0.0.1", s.remote.Addr().String())
	assert.Equal(t, "http", s.scheme)
}

func TestForwardedFromUnixSocketPeer(t *testing.T) {
	dir, err := os.MkdirTemp("", "cg")
	require.NoError(t, err)
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	for i, c := range []struct {
		trusted gateway.Proxies
		remote  string
	}{
		{proxies("unix"), "203.0.113.9"},
		{proxies("0.0.0.0/0", "::/0"), ""}, // IP prefixes never cover a unix peer
	} {
		l, err := net.Listen("unix", filepath.Join(dir, "s"+strconv.Itoa(i)))
		require.NoError(t, err)
		get := forwardedGateway(t, c.trusted, l)
		s := get(map[string]string{"X-Forwarded-For": "203.0.113.9"})
		if c.remote == "" {
			assert.False(t, s.remote.IsValid(), s.remote)
			assert.True(t, strings.HasPrefix(s.log, "- - - ["), s.log)
		} else {
			assert.Equal(t, c.remote, s.remote.Addr().String())
			assert.True(t, strings.HasPrefix(s.log, c.remote+" - - ["), s.log)
		}
	}
}
