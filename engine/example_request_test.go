package engine_test

import (
	"fmt"
	"io"
	"net/http"

	"github.com/seed-49a6713b/cherrygo/engine"
	"github.com/seed-49a6713b/cherrygo/engine/enginetest"
)

// Mount apps on a tree; the longest script name wins, and each app sees
// its own path.
func ExampleTree_Mount() {
	tree := engine.NewTree()
	tree.Mount("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "root app: %s", r.URL.Path)
	}))
	tree.Mount("/blog", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "blog app at %q: %s", engine.ScriptName(r), r.URL.Path)
	}))

	c := enginetest.New(tree)
	for _, path := range []string{"/blog/posts/1", "/blogger", "/blog"} {
		b, _ := io.ReadAll(c.Get(path).Body)
		fmt.Println(string(b))
	}
	// Output:
	// blog app at "/blog": /posts/1
	// root app: /blogger
	// blog app at "/blog": /
}

// Handlers raise HTTP errors and redirects as values; the tree answers
// them with its error page.
func ExampleRaise() {
	tree := engine.NewTree()
	tree.Mount("/posts", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/old":
			engine.RaiseRedirect("new", http.StatusMovedPermanently)
		case "/new":
			io.WriteString(w, "the new post")
		default:
			engine.Raise(&engine.HTTPError{Status: http.StatusNotFound, Message: "no such post"})
		}
	}))
	tree.ErrorPage = func(w http.ResponseWriter, _ *http.Request, e *engine.HTTPError) {
		w.WriteHeader(e.Status)
		fmt.Fprintf(w, "sorry: %s", e.Message)
	}

	c := enginetest.New(tree)
	resp := c.Get("/posts/old")
	fmt.Println(resp.StatusCode, resp.Header.Get("Location"))
	resp = c.Get("/posts/42")
	b, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.StatusCode, string(b))
	// Output:
	// 301 /posts/new
	// 404 sorry: no such post
}

// Hooks run at fixed points of every request, tree-wide or per app, in
// priority order.
func ExampleApp_Hook() {
	tree := engine.NewTree()
	admin := tree.Mount("/admin", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, "secret settings")
	}))
	admin.Hook(engine.BeforeHandler, 10, func(_ http.ResponseWriter, r *http.Request) error {
		if r.Header.Get("Authorization") == "" {
			return &engine.HTTPError{Status: http.StatusUnauthorized, Message: "log in first"}
		}
		return nil
	})
	tree.Hook(engine.BeforeFinalize, engine.DefaultPriority, func(w http.ResponseWriter, r *http.Request) error {
		w.Header().Set("X-Request-Id", fmt.Sprint(engine.RequestFrom(r).ID))
		return nil
	})

	c := enginetest.New(tree)
	resp := c.Get("/admin/")
	fmt.Println(resp.StatusCode)
	c.Header.Set("Authorization", "Bearer x")
	resp = c.Get("/admin/")
	fmt.Println(resp.StatusCode, resp.Header.Get("X-Request-Id"))
	// Output:
	// 401
	// 200 2
}

// A request built from plain values, without net/http, runs on the tree
// like any other.
func ExampleRequest_Run() {
	tree := engine.NewTree()
	tree.Mount("/api", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req := engine.RequestFrom(r)
		fmt.Fprintf(w, "%s %s (script %s) from %s", req.Method, req.PathInfo, req.ScriptName, req.Remote().Addr())
	}))
	req := engine.NewRequest(http.MethodGet, "/api/status", nil)
	req.RemoteAddr = "192.0.2.10:40000"
	rec := enginetest.New(tree).Record(req)
	fmt.Println(rec.Body.String())
	// Output:
	// GET /status (script /api) from 192.0.2.10
}
