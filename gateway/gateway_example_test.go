package gateway_test

import (
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/seed-49a6713b/cherrygo/engine"
	"github.com/seed-49a6713b/cherrygo/gateway"
)

// Serve a tree through the gateway with CherryPy-like policies. Any
// net/http server (or this kit's stdlib backends) can serve the result.
func ExampleNew() {
	tree := engine.NewTree()
	tree.Mount("/api", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req := engine.RequestFrom(r)
		fmt.Fprintf(w, "request %d for %s from %s\n", req.ID, req.PathInfo, req.Remote().Addr())
	}))
	h := gateway.New(tree, gateway.Config{
		MaxBodySize:  1 << 20,
		ThreadPool:   32,
		QueueSize:    128,
		QueueTimeout: 10 * time.Second,
		AccessLog:    os.Stdout,
	})
	srv := &http.Server{Addr: "127.0.0.1:0", Handler: h, ReadHeaderTimeout: 10 * time.Second}
	_ = srv // srv.ListenAndServe() in a program
}
