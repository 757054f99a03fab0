package cherrygo_test

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	proxyproto "github.com/pires/go-proxyproto"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-49a6713b/cherrygo"
	"github.com/seed-49a6713b/cherrygo/engine"
)

// accessLines collects access log lines, one per Write.
type accessLines struct {
	mu    sync.Mutex
	lines []string
}

func (a *accessLines) Write(p []byte) (int, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.lines = append(a.lines, string(p))
	return len(p), nil
}

// last returns the last line written.
func (a *accessLines) last() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.lines) == 0 {
		return ""
	}
	return a.lines[len(a.lines)-1]
}

// proxiedGet sends a GET on a new connection to addr, after header if it is not
// nil, and returns the body (the client address the app saw and its
// scheme). The access log line is written before the handler returns to
// the server, so it is there once the response is read.
func proxiedGet(t *testing.T, addr string, header *proxyproto.Header, extra string) string {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 10*time.Second)
	require.NoError(t, err)
	defer conn.Close()
	require.NoError(t, conn.SetDeadline(time.Now().Add(10*time.Second)))
	if header != nil {
		_, err = header.WriteTo(conn)
		require.NoError(t, err)
	}
	_, err = io.WriteString(conn, "GET / HTTP/1.1\r\nHost: backend\r\nConnection: close\r\n"+extra+"\r\n")
	require.NoError(t, err)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return string(body)
}

// SERVER_PROXY_PROTOCOL on the default server, SERVER_<NAME>_TRUSTED_PROXIES
// with forwarded headers on a named one, each from the environment map.
func TestManagerTrustedProxiesAndProxyProtocol(t *testing.T) {
	tree := engine.NewTree()
	tree.Mount("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req := engine.RequestFrom(r)
		_, _ = io.WriteString(w, req.Remote().String()+" "+req.Scheme)
	}))
	log := &accessLines{}
	m, err := cherrygo.New(tree,
		cherrygo.WithLogger(slog.New(slog.DiscardHandler)),
		cherrygo.WithAccessLog(log),
		cherrygo.WithEnvironment(map[string]string{
			"SERVER_SOCKET_HOST": "127.0.0.1", "SERVER_SOCKET_PORT": "0",
			"SERVER_TRUSTED_PROXIES": "127.0.0.1", "SERVER_PROXY_PROTOCOL": "true",
			"SERVER_NAMES":            "edge",
			"SERVER_EDGE_SOCKET_HOST": "127.0.0.1", "SERVER_EDGE_SOCKET_PORT": "0",
			"SERVER_EDGE_TRUSTED_PROXIES": "127.0.0.0/8, 10.0.0.0/8",
		}))
	require.NoError(t, err)
	require.NoError(t, m.Start(context.Background()))
	t.Cleanup(func() { _ = m.Exit(context.Background()) })
	addr, edge := m.Addr().String(), m.Server("edge").Addr().String()

	// The default server: the PROXY header gives the client's address;
	// forwarded headers from that client (not a trusted proxy) change
	// nothing.
	header := &proxyproto.Header{
		Version: 2, Command: proxyproto.PROXY, TransportProtocol: proxyproto.TCPv4,
		SourceAddr:      net.TCPAddrFromAddrPort(netip.MustParseAddrPort("203.0.113.7:4711")),
		DestinationAddr: net.TCPAddrFromAddrPort(netip.MustParseAddrPort("192.0.2.1:80")),
	}
	assert.Equal(t, "203.0.113.7:4711 http", proxiedGet(t, addr, header, "X-Forwarded-For: 198.51.100.1\r\nX-Forwarded-Proto: https\r\n"))
	assert.True(t, strings.HasPrefix(log.last(), "203.0.113.7 - - ["), log.last())
	header.Version = 1
	assert.Equal(t, "203.0.113.7:4711 http", proxiedGet(t, addr, header, ""))

	// A trusted peer without a header is refused.
	conn, err := net.DialTimeout("tcp", addr, 10*time.Second)
	require.NoError(t, err)
	defer conn.Close()
	require.NoError(t, conn.SetDeadline(time.Now().Add(10*time.Second)))
	_, err = io.WriteString(conn, "GET / HTTP/1.1\r\nHost: backend\r\n\r\n")
	require.NoError(t, err)
	n, err := io.Copy(io.Discard, conn)
	require.NoError(t, err, "closed, not timed out")
	assert.Zero(t, n)

	// The named server believes its trusted proxies' headers.
	assert.Equal(t, "198.51.100.9:0 https", proxiedGet(t, edge, nil, "X-Forwarded-For: 192.0.2.66, 198.51.100.9, 10.0.0.3\r\nX-Forwarded-Proto: https\r\n"))
	assert.True(t, strings.HasPrefix(log.last(), "198.51.100.9 - - ["), log.last())
	assert.Equal(t, "[2001:db8::1]:4711 https", proxiedGet(t, edge, nil, "Forwarded: for=\"[2001:db8::1]:4711\";proto=https\r\n"))
}

// Without SERVER_TRUSTED_PROXIES nobody's headers count.
func TestManagerTrustsNoProxyByDefault(t *testing.T) {
	tree := engine.NewTree()
	tree.Mount("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req := engine.RequestFrom(r)
		_, _ = io.WriteString(w, req.Remote().Addr().String()+" "+req.Scheme)
	}))
	m, err := cherrygo.New(tree,
		cherrygo.WithLogger(slog.New(slog.DiscardHandler)),
		cherrygo.WithEnvironment(map[string]string{"SERVER_SOCKET_HOST": "127.0.0.1", "SERVER_SOCKET_PORT": "0"}))
	require.NoError(t, err)
	require.NoError(t, m.Start(context.Background()))
	t.Cleanup(func() { _ = m.Exit(context.Background()) })
	assert.Equal(t, "127.0.0.1 http", proxiedGet(t, m.Addr().String(), nil,
		"X-Forwarded-For: 203.0.113.9\r\nX-Forwarded-Proto: https\r\nForwarded: for=203.0.113.9;proto=https\r\n"))
}
