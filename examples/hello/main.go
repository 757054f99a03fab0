// Command hello is cherrygo's main job: a chi router answering GET and HEAD
// / with "Hello, world!", served by the default server that the SERVER_*
// variables describe (TCP on 127.0.0.1:8080 unless told otherwise; a unix
// socket with SERVER_SOCKET_FILE; TLS with SERVER_SSL_CERTIFICATE and
// SERVER_SSL_PRIVATE_KEY).
//
// It exits 0 after a graceful stop on SIGTERM or SIGINT, 2 after printing
// every configuration problem, and 1 when a server cannot start (the message
// names the address).
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"

	"github.com/go-chi/chi/v5"

	"github.com/seed-49a6713b/cherrygo/adapter"
	"github.com/seed-49a6713b/cherrygo/engine"
	"github.com/seed-49a6713b/cherrygo/engine/plugins"
	"github.com/seed-49a6713b/cherrygo/stdlib"
)

func main() {
	os.Exit(run(context.Background(), os.Stderr))
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

func run(ctx context.Context, stderr io.Writer) int {
	logger := slog.New(slog.NewTextHandler(stderr, nil))
	bus := engine.New(engine.WithLogger(logger))

	signals := &plugins.SignalHandler{}
	defer signals.Subscribe(bus)()

	backend := func(cfg adapter.Config, h http.Handler) (adapter.Server, error) {
		return stdlib.New(cfg, h, stdlib.WithLogger(logger))
	}
	servers, err := adapter.NewManager(bus, router(), adapter.WithBackend(backend))
	if err != nil {
		fmt.Fprintln(stderr, "hello:", err)
		return adapter.ExitCode(err)
	}
	if err := servers.Quickstart(ctx); err != nil {
		fmt.Fprintln(stderr, "hello:", err)
		return adapter.ExitCode(err)
	}
	return bus.ExitCode()
}
