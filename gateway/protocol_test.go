package gateway_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/seed-49a6713b/cherrygo/engine"
	"github.com/seed-49a6713b/cherrygo/gateway"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// streaming writes its body in two flushed parts, so its length is
// unknown when the header goes out, and reports the protocol it saw.
var streaming = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Proto", r.Proto)
	_, _ = io.WriteString(w, "hello ")
	_ = http.NewResponseController(w).Flush()
	_, _ = io.WriteString(w, "world")
})

// dial opens a raw connection to srv's listener, closed with the test and
// bounded by waitTimeout.
func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	require.NoError(t, c.SetDeadline(time.Now().Add(waitTimeout)))
	return c
}

// exchange writes req on a new connection and returns everything the
// server sends until it closes the connection.
func exchange(t *testing.T, addr, req string) string {
	t.Helper()
	c := dial(t, addr)
	_, err := io.WriteString(c, req)
	require.NoError(t, err)
	raw, err := io.ReadAll(c)
	require.NoError(t, err, "the server must close the connection")
	return string(raw)
}

func TestProtocolHTTP10AnswersHTTP11RequestAsHTTP10(t *testing.T) {
	srv := serve(t, gateway.Protocol("HTTP/1.0")(streaming))

	raw := exchange(t, srv.Listener.Addr().String(), "GET / HTTP/1.1\r\nHost: example\r\n\r\n")
	assert.True(t, strings.HasPrefix(raw, "HTTP/1.0 200 OK\r\n"), "status line: %q", raw)
	assert.NotContains(t, strings.ToLower(raw), "transfer-encoding")
	assert.Contains(t, raw, "X-Proto: HTTP/1.0\r\n")
	assert.True(t, strings.HasSuffix(raw, "\r\n\r\nhello world"), "body ends with the connection: %q", raw)
}

func TestProtocolHTTP10ClosesEvenWithKnownLength(t *testing.T) {
	h := gateway.Protocol("HTTP/1.0")(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "2")
		_, _ = io.WriteString(w, "ok")
	}))
	srv := serve(t, h)

	// Two pipelined requests: the second is never answered.
	raw := exchange(t, srv.Listener.Addr().String(),
		"GET / HTTP/1.1\r\nHost: example\r\n\r\nGET / HTTP/1.1\r\nHost: example\r\n\r\n")
	assert.True(t, strings.HasPrefix(raw, "HTTP/1.0 200 OK\r\n"), "status line: %q", raw)
	assert.Equal(t, 1, strings.Count(raw, "HTTP/1."), "one response, then close: %q", raw)
	assert.True(t, strings.HasSuffix(raw, "\r\n\r\nok"), raw)
}

func TestProtocolHTTP10KeepsAliveForHTTP10Client(t *testing.T) {
	h := gateway.Protocol("HTTP/1.0")(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "short") // buffered whole: net/http sets the length
	}))
	srv := serve(t, h)
	c := dial(t, srv.Listener.Addr().String())
	br := bufio.NewReader(c)

	for i := range 2 {
		_, err := io.WriteString(c, "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
		require.NoError(t, err)
		resp, err := http.ReadResponse(br, nil)
		require.NoError(t, err, "response %d", i)
		body, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		_ = resp.Body.Close()
		assert.Equal(t, "HTTP/1.0", resp.Proto)
		assert.Equal(t, "keep-alive", resp.Header.Get("Connection"))
		assert.Equal(t, "short", string(body))
	}
}

func TestProtocolHTTP11AndEmptyAndOthersChangeNothing(t *testing.T) {
	next := &ptrHandler{}
	for _, v := range []string{"", "HTTP/1.1", "HTTP/2.0", "bogus"} {
		assert.Same(t, next, gateway.Protocol(v)(next), "version %q", v)
	}

	srv := serve(t, gateway.Protocol("HTTP/1.1")(streaming))
	c := dial(t, srv.Listener.Addr().String())
	_, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: example\r\n\r\n")
	require.NoError(t, err)
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, "HTTP/1.1", resp.Proto)
	assert.Equal(t, []string{"chunked"}, resp.TransferEncoding)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	assert.Equal(t, "hello world", string(body))
}

// New puts Protocol outermost, so that the policies' own answers (the body
// limit's 413 here, the pool's 503 likewise) go out as HTTP/1.0 too.
func TestGatewayProtocolCoversPolicyAnswers(t *testing.T) {
	tree := engine.NewTree()
	tree.Mount("/", streaming)
	srv := serve(t, gateway.New(tree, gateway.Config{ProtocolVersion: "HTTP/1.0", MaxBodySize: 4}))

	raw := exchange(t, srv.Listener.Addr().String(), "POST / HTTP/1.1\r\nHost: example\r\nContent-Length: 10\r\n\r\n0123456789")
	assert.True(t, strings.HasPrefix(raw, "HTTP/1.0 413 "), "status line: %q", raw)
}
