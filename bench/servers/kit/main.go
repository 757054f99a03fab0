package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/seed-49a6713b/cherrygo/adapter"
	"github.com/seed-49a6713b/cherrygo/engine"
	"github.com/seed-49a6713b/cherrygo/engine/plugins"
	"github.com/seed-49a6713b/cherrygo/stdlib"
)

// slowDelay is how long GET /slow holds its request.
const slowDelay = 2 * time.Second

func main() {
	os.Exit(run(context.Background(), os.Stderr))
}

// router is examples/hello's router plus GET /slow.
func router(stderr io.Writer) http.Handler {
	r := chi.NewRouter()
	hello := func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "Hello, world!")
	}
	r.Get("/", hello)
	r.Head("/", hello)
	r.Get("/slow", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(stderr, "slow-start")
		time.Sleep(slowDelay)
		hello(w, r)
	})
	return r
}

// run is examples/hello's run with the router above.
func run(ctx context.Context, stderr io.Writer) int {
	logger := slog.New(slog.NewTextHandler(stderr, nil))
	bus := engine.New(engine.WithLogger(logger))

	signals := &plugins.SignalHandler{}
	defer signals.Subscribe(bus)()

	backend := func(cfg adapter.Config, h http.Handler) (adapter.Server, error) {
		return stdlib.New(cfg, h, stdlib.WithLogger(logger))
	}
	servers, err := adapter.NewManager(bus, router(stderr), adapter.WithBackend(backend))
	if err != nil {
		fmt.Fprintln(stderr, "kit:", err)
		return adapter.ExitCode(err)
	}
	if err := servers.Quickstart(ctx); err != nil {
		fmt.Fprintln(stderr, "kit:", err)
		return adapter.ExitCode(err)
	}
	return bus.ExitCode()
}
