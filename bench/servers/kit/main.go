package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/seed-49a6713b/cherrygo"
	"github.com/seed-49a6713b/cherrygo/engine"
)

// slowDelay is how long GET /slow holds its request.
const slowDelay = 2 * time.Second

func main() {
	tree := engine.NewTree()
	tree.Mount("/", router(os.Stderr))
	os.Exit(cherrygo.Quickstart(context.Background(), tree))
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
