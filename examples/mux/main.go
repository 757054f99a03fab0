// Command mux shows an existing net/http.ServeMux application adopting the
// kit: the mux is mounted in an engine tree and served where the SERVER_*
// variables say, with the gateway's policies and a graceful lifecycle. A
// tree-wide hook adds a header to every response, something the mux alone
// would need a wrapper for.
package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"

	"github.com/seed-49a6713b/cherrygo"
	"github.com/seed-49a6713b/cherrygo/engine"
)

// mux is the application as it was before it met the kit.
func mux() *http.ServeMux {
	m := http.NewServeMux()
	m.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok\n") })
	m.HandleFunc("GET /users/{name}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello %s\n", r.PathValue("name"))
	})
	return m
}

func main() {
	tree := engine.NewTree()
	tree.Mount("/", mux())
	tree.Hook(engine.BeforeFinalize, engine.DefaultPriority, func(w http.ResponseWriter, _ *http.Request) error {
		w.Header().Set("X-Served-By", "cherrygo")
		return nil
	})
	os.Exit(cherrygo.Quickstart(context.Background(), tree))
}
