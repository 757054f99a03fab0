// Command chi shows an existing chi application adopting the kit. The app
// below is an ordinary chi router with its own middleware and routes; the
// kit adds only the three lines marked "cherrygo", and in return the app
// gets the SERVER_* settings (TCP, unix socket, TLS, limits, thread pool),
// the gateway's policies, engine hooks and a graceful lifecycle.
package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/seed-49a6713b/cherrygo"
	"github.com/seed-49a6713b/cherrygo/chiapp"
	"github.com/seed-49a6713b/cherrygo/engine"
)

// app is the application as it was before it met the kit.
func app() chi.Router {
	r := chi.NewRouter()
	r.Use(middleware.RequestID)
	r.Get("/healthz", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok\n") })
	r.Get("/users/{name}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello %s\n", chi.URLParam(r, "name"))
	})
	r.Get("/teapot", func(http.ResponseWriter, *http.Request) {
		// Raised errors become responses (the engine's HTTPError).
		engine.RaiseStatus(http.StatusTeapot, "short and stout")
	})
	return r
}

func main() {
	tree := engine.NewTree()                                 // cherrygo
	chiapp.Mount(tree, "/", app())                           // cherrygo
	os.Exit(cherrygo.Quickstart(context.Background(), tree)) // cherrygo
}
