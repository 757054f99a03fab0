package enginetest_test

import (
	"fmt"
	"io"
	"net/http"

	"github.com/seed-49a6713b/cherrygo/engine"
	"github.com/seed-49a6713b/cherrygo/engine/enginetest"
)

// Test an app mounted on a tree without a server or a socket.
func Example() {
	tree := engine.NewTree()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /posts/{id}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "post %s", r.PathValue("id"))
	})
	tree.Mount("/blog", mux)

	c := enginetest.New(tree)
	resp := c.Get("/blog/posts/7")
	b, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.StatusCode, string(b))
	fmt.Println(c.Get("/shop").StatusCode)
	// Output:
	// 200 post 7
	// 404
}
