package engine_test

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-49a6713b/cherrygo/engine"
)

// runKept serves target on a fresh Request through tree and returns the
// Request with the context its app kept.
func runKept(t *testing.T, tree *engine.Tree, w http.ResponseWriter, target string, kept *context.Context) *engine.Request {
	t.Helper()
	src := httptest.NewRequest(http.MethodGet, target, nil)
	req := new(engine.Request)
	req.Method, req.PathInfo, req.Protocol, req.Host = src.Method, src.URL.Path, src.Proto, src.Host
	req.Header, req.Body, req.Source = src.Header, src.Body, src
	req.SetContext(context.WithValue(src.Context(), keptKey{}, target))
	req.Run(tree, w)
	require.NotNil(t, *kept, "the app ran")
	return req
}

type keptKey struct{}

// A released Request may serve again; the context its app kept still
// holds its own values and script name, and reaches no engine request.
func TestReleaseReusesAndCutsKeptContexts(t *testing.T) {
	var kept context.Context
	tree := engine.NewTree()
	tree.Mount("/app", http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	tree.Hook(engine.OnEndRequest, 0, func(_ http.ResponseWriter, r *http.Request) error {
		kept = r.Context()
		return nil
	})
	req := runKept(t, tree, httptest.NewRecorder(), "/app/x", &kept)
	require.True(t, req.Release())
	assert.Empty(t, req.PathInfo, "Release resets the request")
	assert.Nil(t, engine.FromContext(kept))
	assert.Equal(t, "/app/x", kept.Value(keptKey{}))
	assert.Equal(t, "/app", engine.ScriptName(httptest.NewRequest(http.MethodGet, "/", nil).WithContext(kept)))
}

// A Request somebody asked for while it ran is not released: whoever got
// it may go on reading it, and the kept context still reaches it.
func TestReleaseRefusesAClaimedRequest(t *testing.T) {
	var kept context.Context
	tree := engine.NewTree()
	tree.Mount("/", http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		kept = r.Context()
		_ = engine.RequestFrom(r)
	}))
	req := runKept(t, tree, httptest.NewRecorder(), "/y", &kept)
	assert.False(t, req.Release())
	assert.Equal(t, "/y", req.PathInfo, "left alone")
	assert.Same(t, req, engine.FromContext(kept))
}

// A bus listener on the request channels gets the Request: it is not
// released either.
func TestReleaseRefusesARequestPublished(t *testing.T) {
	var kept context.Context
	tree := engine.NewTree()
	tree.Bus = engine.New(engine.WithLogger(discardLogger()))
	tree.Bus.Subscribe(engine.ChannelAfterRequest, func(context.Context, any) (any, error) { return nil, nil }, 0)
	tree.Mount("/", http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { kept = r.Context() }))
	req := runKept(t, tree, httptest.NewRecorder(), "/z", &kept)
	assert.False(t, req.Release())
	assert.Same(t, req, engine.FromContext(kept))
}

// A handler that hijacked the connection may go on with its request (a
// WebSocket loop): the Request is not released.
func TestReleaseRefusesAfterHijack(t *testing.T) {
	var kept context.Context
	tree := engine.NewTree()
	tree.Mount("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		kept = r.Context()
		c, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			c.Close()
		}
	}))
	client, server := net.Pipe()
	defer client.Close()
	w := &hijackWriter{ResponseRecorder: httptest.NewRecorder(), conn: server}
	req := runKept(t, tree, w, "/ws", &kept)
	require.True(t, w.hijacked)
	assert.False(t, req.Release())
}

type hijackWriter struct {
	*httptest.ResponseRecorder
	conn     net.Conn
	hijacked bool
}

func (w *hijackWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	w.hijacked = true
	return w.conn, bufio.NewReadWriter(bufio.NewReader(w.conn), bufio.NewWriter(w.conn)), nil
}

// Asking for a Request through a kept context races with its release:
// either the question comes first and the Request is not reused, or the
// release does and the question gets nil. Under -race this also checks
// that the winner of a release reuses memory nobody else reads.
func TestReleaseRacesWithAKeptContext(t *testing.T) {
	var kept context.Context
	tree := engine.NewTree()
	tree.Mount("/", http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { kept = r.Context() }))
	outcomes := map[bool]int{}
	for range 200 {
		kept = nil
		req := runKept(t, tree, httptest.NewRecorder(), "/race", &kept)
		ctx := kept
		got := make(chan string, 1)
		go func() {
			if er := engine.FromContext(ctx); er != nil {
				got <- er.PathInfo // only safe if er is never reused
				return
			}
			got <- ""
		}()
		released := req.Release()
		if released {
			req.PathInfo = "reused" // as the next request would
		}
		seen := <-got
		outcomes[released]++
		if released {
			assert.Empty(t, seen, "a released Request is not handed out")
		} else {
			assert.Equal(t, "/race", seen)
		}
	}
	t.Logf("released %d times, claimed first %d times", outcomes[true], outcomes[false])
}
