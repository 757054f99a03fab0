package chiapp_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/go-chi/chi/v5"

	"github.com/seed-49a6713b/cherrygo/chiapp"
	"github.com/seed-49a6713b/cherrygo/engine"
	"github.com/seed-49a6713b/cherrygo/engine/enginetest"
	"github.com/seed-49a6713b/cherrygo/gateway"
)

// A chi router mounted in the tree at /blog routes on what follows /blog.
func ExampleMount() {
	posts := chi.NewRouter()
	posts.Get("/posts/{id}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "post %s at %s under %s", chi.URLParam(r, "id"), r.URL.Path, engine.ScriptName(r))
	})
	tree := engine.NewTree()
	chiapp.Mount(tree, "/blog", posts)

	resp := enginetest.New(tree).Get("/blog/posts/42")
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(string(body))
	// Output: post 42 at /posts/42 under /blog
}

// An existing chi router adopts the engine for everything under /app.
func ExampleHandler() {
	tree := engine.NewTree()
	tree.Mount("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "script name %s, path %s", engine.ScriptName(r), r.URL.Path)
	}))

	r := chi.NewRouter()
	r.Mount("/app", chiapp.Handler(tree, gateway.Config{MaxBodySize: 1 << 20}))

	srv := httptest.NewServer(r) // or any server; see examples/chi
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL + "/app/hello")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(string(body))
	srv.Client().CloseIdleConnections()
	// Output: script name /app, path /hello
}
