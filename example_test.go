package cherrygo_test

import (
	"context"
	"io"
	"net/http"
	"os"

	"github.com/seed-49a6713b/cherrygo"
	"github.com/seed-49a6713b/cherrygo/engine"
)

// The whole program: mount an app, serve it where SERVER_* says.
func ExampleQuickstart() {
	tree := engine.NewTree()
	tree.Mount("/", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, "Hello, world!")
	}))
	os.Exit(cherrygo.Quickstart(context.Background(), tree))
}
