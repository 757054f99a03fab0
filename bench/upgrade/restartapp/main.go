// Command restartapp is examples/hello with the SIGHUP behaviour it had
// before the zero-downtime upgrade: plugins.HangupRestart, a re-exec in
// place, where the servers stop and the new image binds the port again.
//
// It exists only as the baseline of bench/upgrade/run.sh, which loads both
// programs with wrk while sending SIGHUPs and compares what the clients
// see; everything but the signal handler is the same as examples/hello, so
// that the difference measured is the SIGHUP behaviour alone.
package main

import (
	"context"
	"io"
	"net/http"
	"os"

	"github.com/go-chi/chi/v5"

	"github.com/seed-49a6713b/cherrygo"
	"github.com/seed-49a6713b/cherrygo/engine"
	"github.com/seed-49a6713b/cherrygo/engine/plugins"
)

func main() {
	tree := engine.NewTree()
	tree.Mount("/", router())
	os.Exit(cherrygo.Quickstart(context.Background(), tree,
		cherrygo.WithSignals(&plugins.SignalHandler{Hangup: plugins.HangupRestart})))
}

// router is examples/hello's application, unchanged.
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
