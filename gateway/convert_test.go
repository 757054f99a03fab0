package gateway_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-49a6713b/cherrygo/engine"
	"github.com/seed-49a6713b/cherrygo/gateway"
)

// readRequest parses a raw request as a server would.
func readRequest(t testing.TB, raw string) *http.Request {
	t.Helper()
	r, err := http.ReadRequest(bufio.NewReader(strings.NewReader(raw)))
	require.NoError(t, err)
	return r
}

func TestConvertFromLiteral(t *testing.T) {
	r := readRequest(t, "PUT /a/b%20c?x=1&y HTTP/1.0\r\nHost: example.com:81\r\nContent-Length: 3\r\nX-A: 1\r\n\r\nabc")
	r.RemoteAddr = "[2001:db8::1]:4242"
	r.TLS = &tls.ConnectionState{}
	ctx := context.WithValue(r.Context(), http.LocalAddrContextKey, &net.TCPAddr{IP: net.ParseIP("127.0.0.1"), Port: 8443})
	r = r.WithContext(ctx)

	var req engine.Request
	gateway.Convert(&req, r, "HTTP/1.1")
	assert.Equal(t, "PUT", req.Method)
	assert.Equal(t, "", req.ScriptName)
	assert.Equal(t, "/a/b c", req.PathInfo)
	assert.Equal(t, "x=1&y", req.QueryString)
	assert.Equal(t, "HTTP/1.0", req.Protocol)
	assert.Equal(t, "HTTP/1.1", req.ServerProtocol)
	assert.Equal(t, "HTTP/1.0", req.ResponseProtocol())
	assert.Equal(t, "https", req.Scheme)
	assert.Equal(t, "example.com:81", req.Host)
	assert.Equal(t, int64(3), req.ContentLength)
	assert.Equal(t, netip.MustParseAddrPort("[2001:db8::1]:4242"), req.Remote())
	assert.Equal(t, netip.MustParseAddrPort("127.0.0.1:8443"), req.Local())
	assert.Same(t, r, req.Source)
	assert.Equal(t, ctx, req.Context())
	// Shared, not copied.
	r.Header.Set("X-B", "2")
	assert.Equal(t, "2", req.Header.Get("X-B"))
	assert.Same(t, r.Body, req.Body)
}

func TestConvertOddAddresses(t *testing.T) {
	for addr, want := range map[string]netip.AddrPort{
		"":                   {},
		"@":                  {},
		"not an address":     {},
		"192.0.2.1:80":       netip.MustParseAddrPort("192.0.2.1:80"),
		"[::ffff:1.2.3.4]:5": netip.MustParseAddrPort("1.2.3.4:5"),
	} {
		r := readRequest(t, "GET / HTTP/1.1\r\nHost: h\r\n\r\n")
		r.RemoteAddr = addr
		r = r.WithContext(context.WithValue(r.Context(), http.LocalAddrContextKey, &net.UnixAddr{Name: "/tmp/s", Net: "unix"}))
		var req engine.Request
		gateway.Convert(&req, r, "")
		assert.Equal(t, want, req.Remote(), "RemoteAddr %q", addr)
		assert.False(t, req.Local().IsValid())
		assert.Equal(t, "http", req.Scheme)
	}
}

func TestConvertAllocatesNothing(t *testing.T) {
	r := readRequest(t, "GET /x?y=1 HTTP/1.1\r\nHost: h\r\n\r\n")
	r.RemoteAddr = "127.0.0.1:5000"
	r = r.WithContext(context.WithValue(r.Context(), http.LocalAddrContextKey, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 80}))
	req := new(engine.Request)
	assert.Zero(t, testing.AllocsPerRun(100, func() {
		gateway.Convert(req, r, "HTTP/1.1")
	}))
}
