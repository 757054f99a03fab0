// Command hello is cherrygo's main job: a chi router answering GET and HEAD
// / with "Hello, world!", served by the default server that the SERVER_*
// variables describe (TCP port 8080 on every interface unless told
// otherwise; a unix socket with SERVER_SOCKET_FILE; TLS with
// SERVER_SSL_CERTIFICATE and SERVER_SSL_PRIVATE_KEY, and HTTP/3 beside it
// with SERVER_HTTP3=true; FastCGI or h2c instead of HTTP with
// SERVER_BACKEND).
//
// It exits 0 after a graceful stop on SIGTERM or SIGINT, 2 after printing
// every configuration problem, and 1 when a server cannot start (the message
// names the address); SIGHUP hands the service to a new copy of the
// program without dropping a connection, SIGUSR1 reloads gracefully (the
// TLS certificate included).
package main

import (
	"context"
	"io"
	"net/http"
	"os"

	"github.com/go-chi/chi/v5"

	"github.com/seed-49a6713b/cherrygo"
	"github.com/seed-49a6713b/cherrygo/engine"
)

func main() {
	tree := engine.NewTree()
	tree.Mount("/", router())
	os.Exit(cherrygo.Quickstart(context.Background(), tree))
}

// router is the application: any http.Handler would do.
func router() http.Handler {
	r := chi.NewRouter()
	hello := func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "Hello, world!")
	}
	r.Get("/", hello)
	r.Head("/", hello)
	return r
}
