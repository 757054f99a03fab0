package chiapp_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/go-chi/chi/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-49a6713b/cherrygo/chiapp"
	"github.com/seed-49a6713b/cherrygo/engine"
	"github.com/seed-49a6713b/cherrygo/engine/enginetest"
	"github.com/seed-49a6713b/cherrygo/gateway"
)

// blog is a chi router that reports what it sees.
func blog() chi.Router {
	r := chi.NewRouter()
	r.Get("/posts/{id}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "path=%s id=%s script=%s", r.URL.Path, chi.URLParam(r, "id"), engine.ScriptName(r))
	})
	r.Get("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "index script=%s", engine.ScriptName(r))
	})
	return r
}

// serve runs h on a real loopback server and returns a GET function.
func serve(t *testing.T, h http.Handler) func(path string) (int, string) {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	client := srv.Client()
	t.Cleanup(client.CloseIdleConnections)
	return func(path string) (int, string) {
		t.Helper()
		resp, err := client.Get(srv.URL + path)
		require.NoError(t, err)
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, string(body)
	}
}

func TestChiRouterMountedInTree(t *testing.T) {
	tree := engine.NewTree()
	chiapp.Mount(tree, "/blog", blog())
	get := serve(t, gateway.New(tree, gateway.Config{}))

	status, body := get("/blog/posts/42")
	assert.Equal(t, http.StatusOK, status)
	assert.Equal(t, "path=/posts/42 id=42 script=/blog", body)

	status, body = get("/blog")
	assert.Equal(t, http.StatusOK, status)
	assert.Equal(t, "index script=/blog", body)

	status, _ = get("/blogger/posts/1")
	assert.Equal(t, http.StatusNotFound, status, "script names match on segment boundaries")
}

func TestChiRouterMountedInTreeInProcess(t *testing.T) {
	tree := engine.NewTree()
	tree.Mount("/blog", blog()) // plain Mount works when no chi router is in front
	resp := enginetest.New(tree).Get("/blog/posts/7")
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	assert.Equal(t, "path=/posts/7 id=7 script=/blog", string(body))
}

func TestTreeMountedInChiRouter(t *testing.T) {
	tree := engine.NewTree()
	tree.Mount("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "root path=%s script=%s", r.URL.Path, engine.ScriptName(r))
	}))
	chiapp.Mount(tree, "/blog", blog())

	outer := chi.NewRouter()
	outer.Get("/health", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok") })
	outer.Mount("/app", chiapp.Handler(tree, gateway.Config{}))
	get := serve(t, outer)

	_, body := get("/health")
	assert.Equal(t, "ok", body, "the existing router keeps its own routes")

	_, body = get("/app/other/page")
	assert.Equal(t, "root path=/other/page script=/app", body)

	_, body = get("/app")
	assert.Equal(t, "root path=/ script=/app", body)

	_, body = get("/app/blog/posts/9")
	assert.Equal(t, "path=/posts/9 id=9 script=/app/blog", body, "chi inside the tree inside chi")
}

func TestURLParamsAtBothLevels(t *testing.T) {
	tree := engine.NewTree()
	inner := chi.NewRouter()
	inner.Get("/items/{item}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "tenant=%s item=%s", chi.URLParam(r, "tenant"), chi.URLParam(r, "item"))
	})
	chiapp.Mount(tree, "/shop", inner)
	outer := chi.NewRouter()
	outer.Mount("/t/{tenant}", chiapp.Handler(tree, gateway.Config{}))
	get := serve(t, outer)

	status, body := get("/t/acme/shop/items/5")
	assert.Equal(t, http.StatusOK, status)
	assert.Equal(t, "tenant=acme item=5", body)
}

func TestMountPoint(t *testing.T) {
	cases := []struct{ path, routePath, want string }{
		{"/app/x", "/x", "/app"},
		{"/app/", "/", "/app"},
		{"/app", "/", "/app"},
		{"/a/b/c", "/c", "/a/b"},
		{"/app/x", "", ""},
		{"/app/caf%C3%A9", "/café", "/app"},          // no raw path: chi routes on the decoded one
		{"/app/files/a%2Fb", "/files/a%2Fb", "/app"}, // raw path: chi routes on it
		{"/sp%20ace/x%2Fy", "/x%2Fy", "/sp ace"},     // the prefix comes back decoded
		{"/app/x", "/y", ""},                         // chi's route path does not end the path
	}
	for _, c := range cases {
		r := httptest.NewRequest(http.MethodGet, c.path, nil)
		rctx := chi.NewRouteContext()
		rctx.RoutePath = c.routePath
		r = r.WithContext(contextWith(r, rctx))
		assert.Equal(t, c.want, chiapp.MountPoint(r), "path %q route path %q", c.path, c.routePath)
	}
	assert.Equal(t, "", chiapp.MountPoint(httptest.NewRequest(http.MethodGet, "/x", nil)), "no chi context")
}

// TestOrderOfMiddlewareAndHooks checks the order the package doc promises.
func TestOrderOfMiddlewareAndHooks(t *testing.T) {
	var (
		mu    sync.Mutex
		order []string
	)
	note := func(s string) {
		mu.Lock()
		defer mu.Unlock()
		order = append(order, s)
	}
	mw := func(name string) func(http.Handler) http.Handler {
		return func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				note(name)
				next.ServeHTTP(w, r)
			})
		}
	}
	hook := func(name string) engine.Hook {
		return func(http.ResponseWriter, *http.Request) error { note(name); return nil }
	}

	tree := engine.NewTree()
	inner := chi.NewRouter()
	inner.Use(mw("inner middleware"))
	inner.Get("/", func(w http.ResponseWriter, _ *http.Request) {
		note("handler")
		io.WriteString(w, "done")
	})
	app := chiapp.Mount(tree, "/x", inner)
	tree.Hook(engine.OnStartResource, 50, hook("on_start_resource (tree)"))
	tree.Hook(engine.BeforeHandler, 50, hook("before_handler (tree)"))
	app.Hook(engine.BeforeHandler, 50, hook("before_handler (app)"))
	app.Hook(engine.BeforeFinalize, 50, hook("before_finalize (app)"))
	tree.Hook(engine.OnEndRequest, 50, hook("on_end_request (tree)"))

	outer := chi.NewRouter()
	outer.Use(mw("outer middleware"))
	outer.Mount("/app", chiapp.Handler(tree, gateway.Config{}))
	get := serve(t, outer)

	status, body := get("/app/x")
	require.Equal(t, http.StatusOK, status, body)
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, []string{
		"outer middleware",
		"on_start_resource (tree)",
		"before_handler (tree)",
		"before_handler (app)",
		"inner middleware",
		"handler",
		"before_finalize (app)",
		"on_end_request (tree)",
	}, order)
}

func TestHookErrorKeepsRequestFromInnerRouter(t *testing.T) {
	tree := engine.NewTree()
	reached := false
	inner := chi.NewRouter()
	inner.Use(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { reached = true; next.ServeHTTP(w, r) })
	})
	inner.Get("/", func(http.ResponseWriter, *http.Request) {})
	app := chiapp.Mount(tree, "/x", inner)
	app.Hook(engine.BeforeHandler, 50, func(http.ResponseWriter, *http.Request) error {
		return &engine.HTTPError{Status: http.StatusForbidden, Message: "no"}
	})
	get := serve(t, gateway.New(tree, gateway.Config{}))
	status, body := get("/x")
	assert.Equal(t, http.StatusForbidden, status)
	assert.True(t, strings.Contains(body, "no"), body)
	assert.False(t, reached)
}

func TestEscapedPathsThroughBothRouters(t *testing.T) {
	tree := engine.NewTree()
	files := chi.NewRouter()
	files.Get("/{name}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "name=%s script=%s", chi.URLParam(r, "name"), engine.ScriptName(r))
	})
	files.Get("/sp ace", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "space") })
	chiapp.Mount(tree, "/files", files)
	outer := chi.NewRouter()
	outer.Mount("/app", chiapp.Handler(tree, gateway.Config{}))
	get := serve(t, outer)

	status, body := get("/app/files/caf%c3%a9") // lower-case escapes: the request has a raw path
	assert.Equal(t, http.StatusOK, status, body)
	assert.Contains(t, body, "script=/app/files")

	status, body = get("/app/files/sp%20ace")
	assert.Equal(t, http.StatusOK, status, body)
	assert.Equal(t, "space", body)
}

// The handlers of a chi router in the tree may keep their request, also
// when another chi router sits in front of the tree: the engine hands
// each request's app a request of its own.
func TestHandlersBehindNestedChiMayKeepTheirRequest(t *testing.T) {
	type kept struct {
		r    *http.Request
		path string
	}
	var all []kept
	inner := chi.NewRouter()
	inner.Get("/items/{id}", func(_ http.ResponseWriter, r *http.Request) {
		all = append(all, kept{r, r.URL.Path})
	})
	tree := engine.NewTree()
	chiapp.Mount(tree, "/shop", inner)
	outer := chi.NewRouter()
	outer.Mount("/app", chiapp.Handler(tree, gateway.Config{}))
	for i := range 20 {
		outer.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, fmt.Sprintf("/app/shop/items/%d", i), nil))
	}
	require.Len(t, all, 20)
	for _, k := range all {
		assert.Equal(t, k.path, k.r.URL.Path, "a kept request shows another request's path")
	}
}
