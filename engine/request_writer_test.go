package engine_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-49a6713b/cherrygo/engine"
)

// serveTree serves tree on a loopback server with a minimal front end.
func serveTree(t *testing.T, tree *engine.Tree) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req := engine.NewRequest(r.Method, "", r.Body)
		req.PathInfo, req.QueryString, req.Header, req.Host = r.URL.Path, r.URL.RawQuery, r.Header, r.Host
		req.Source = r
		req.SetContext(r.Context())
		req.Run(tree, w)
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(srv.Client().CloseIdleConnections)
	return srv
}

func TestWriterFlushesThroughResponseController(t *testing.T) {
	tree := engine.NewTree()
	next := make(chan struct{})
	tree.Mount("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		for i := range 3 {
			io.WriteString(w, strings.Repeat("x", i+1)+"\n")
			if err := rc.Flush(); err != nil {
				return
			}
			select {
			case <-next:
			case <-r.Context().Done():
				return
			}
		}
	}))
	srv := serveTree(t, tree)
	resp, err := srv.Client().Get(srv.URL)
	require.NoError(t, err)
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	for i := range 3 {
		line, err := br.ReadString('\n')
		require.NoError(t, err)
		assert.Equal(t, strings.Repeat("x", i+1)+"\n", line)
		select {
		case next <- struct{}{}:
		case <-time.After(reqWait):
			t.Fatal("handler gone")
		}
	}
}

func TestWriterHijacks(t *testing.T) {
	tree := engine.NewTree()
	tree.Mount("/", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if err := http.NewResponseController(w).SetReadDeadline(time.Now().Add(reqWait)); err != nil {
			panic(err)
		}
		conn, brw, err := w.(http.Hijacker).Hijack()
		if err != nil {
			panic(err)
		}
		defer conn.Close()
		brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n")
		brw.Flush()
		line, _ := brw.ReadString('\n')
		brw.WriteString("echo: " + line)
		brw.Flush()
	}))
	srv := serveTree(t, tree)
	conn, err := net.DialTimeout("tcp", srv.Listener.Addr().String(), reqWait)
	require.NoError(t, err)
	defer conn.Close()
	require.NoError(t, conn.SetDeadline(time.Now().Add(reqWait)))
	io.WriteString(conn, "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n")
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	require.NoError(t, err)
	assert.Equal(t, http.StatusSwitchingProtocols, resp.StatusCode)
	io.WriteString(conn, "hello\n")
	line, err := br.ReadString('\n')
	require.NoError(t, err)
	assert.Equal(t, "echo: hello\n", line)
}

func TestWriterReadFromAndTrailers(t *testing.T) {
	tree := engine.NewTree()
	tree.Mount("/", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Trailer", "X-Sum")
		io.Copy(w, strings.NewReader("body"))
		w.Header().Set("X-Sum", "4")
	}))
	srv := serveTree(t, tree)
	resp, err := srv.Client().Get(srv.URL)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	assert.Equal(t, "body", string(b))
	assert.Equal(t, "4", resp.Trailer.Get("X-Sum"))
}
