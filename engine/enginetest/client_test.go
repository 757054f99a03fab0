package enginetest_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-49a6713b/cherrygo/engine"
	"github.com/seed-49a6713b/cherrygo/engine/enginetest"
)

func echo() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("X-Method", r.Method)
		w.Header().Set("X-Host", r.Host)
		w.Header().Set("X-Type", r.Header.Get("Content-Type"))
		w.Header().Set("X-Custom", r.Header.Get("X-Custom"))
		w.Write(b)
	})
}

func TestClientMethods(t *testing.T) {
	tree := engine.NewTree()
	tree.Mount("/", echo())
	c := enginetest.New(tree)
	c.Header.Set("X-Custom", "yes")

	resp := c.PostString("/x", "text/plain", "payload")
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	assert.Equal(t, "payload", string(b))
	assert.Equal(t, "POST", resp.Header.Get("X-Method"))
	assert.Equal(t, "localhost", resp.Header.Get("X-Host"))
	assert.Equal(t, "text/plain", resp.Header.Get("X-Type"))
	assert.Equal(t, "yes", resp.Header.Get("X-Custom"))

	resp = c.Head("/x")
	assert.Equal(t, "HEAD", resp.Header.Get("X-Method"))

	c.Host = "example.org"
	assert.Equal(t, "example.org", c.Get("/").Header.Get("X-Host"))
}

func TestClientWithoutHostGets400(t *testing.T) {
	tree := engine.NewTree()
	tree.Mount("/", echo())
	c := enginetest.New(tree)
	c.Host = ""
	assert.Equal(t, http.StatusBadRequest, c.Get("/").StatusCode)
}

func TestClientHijackIsNotSupported(t *testing.T) {
	tree := engine.NewTree()
	errs := make(chan error, 1)
	tree.Mount("/", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _, err := http.NewResponseController(w).Hijack()
		errs <- err
	}))
	enginetest.New(tree).Get("/")
	assert.ErrorIs(t, <-errs, http.ErrNotSupported)
}

// A response a server would cut off does not read as a whole one: its
// body fails with io.ErrUnexpectedEOF after what was written.
func TestClientReportsCutResponses(t *testing.T) {
	tree := engine.NewTree()
	tree.Logger = slog.New(slog.DiscardHandler)
	tree.Mount("/abort", http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic(http.ErrAbortHandler) }))
	tree.Mount("/late", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, "partial")
		panic("late")
	}))
	tree.Mount("/whole", echo())
	c := enginetest.New(tree)
	for path, want := range map[string]string{"/abort": "", "/late": "partial"} {
		resp := c.Get(path)
		b, err := io.ReadAll(resp.Body)
		assert.ErrorIs(t, err, io.ErrUnexpectedEOF, path)
		assert.Equal(t, want, string(b), path)
	}
	b, err := io.ReadAll(c.Get("/whole").Body)
	require.NoError(t, err)
	assert.Empty(t, b)
}

// Each request the client runs is its own, as behind the gateway: a
// context the app kept reaches its own engine request afterwards.
func TestClientKeptContextsStayTheirOwn(t *testing.T) {
	var kept []context.Context
	tree := engine.NewTree()
	tree.Mount("/", http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		kept = append(kept, r.Context())
	}))
	c := enginetest.New(tree)
	c.Get("/one")
	c.Get("/two")
	require.Len(t, kept, 2)
	for i, path := range []string{"/one", "/two"} {
		if req := engine.FromContext(kept[i]); assert.NotNil(t, req) {
			assert.Equal(t, path, req.PathInfo)
		}
		select {
		case <-kept[i].Done():
		default:
			t.Errorf("%s: the context is not done once the request ended", path)
		}
	}
}
