// Command backendapp is the program the backend tests run behind real
// peers (nginx, curl, an HTTP/3 client): examples/hello's answer at / plus
// what those tests look at, served by cherrygo.Quickstart, so that the
// SERVER_* variables alone choose how it is reached.
//
//	GET  /             "Hello, world!"
//	GET  /slow?d=1s    answers "slept 1s" after d (at most 30 s)
//	POST /ignore?d=1s  answers "ignored" after d without reading the body
//	GET  /inflight     the number of /slow and /ignore requests running now
//	POST /upload       reads the body (the body limit answers 413) and says its length
//	ANY  /app/...      an app mounted at /app: JSON with the mount point and
//	                   the rest of the path as the engine gives them, the
//	                   protocol, and the FastCGI variables the web server
//	                   passed that net/http keeps aside (fcgi.ProcessEnv)
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/fcgi"
	"os"
	"sync/atomic"
	"time"

	"github.com/seed-49a6713b/cherrygo"
	"github.com/seed-49a6713b/cherrygo/engine"
)

func main() {
	var inflight atomic.Int64
	root := http.NewServeMux()
	root.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "Hello, world!")
	})
	root.HandleFunc("GET /slow", func(w http.ResponseWriter, r *http.Request) {
		d, err := time.ParseDuration(r.URL.Query().Get("d"))
		if err != nil || d < 0 || d > 30*time.Second {
			http.Error(w, "d: a duration up to 30s", http.StatusBadRequest)
			return
		}
		inflight.Add(1)
		defer inflight.Add(-1)
		select {
		case <-time.After(d): // the work the request stands for
		case <-r.Context().Done():
			return
		}
		fmt.Fprintf(w, "slept %v", d)
	})
	root.HandleFunc("POST /ignore", func(w http.ResponseWriter, r *http.Request) {
		d, err := time.ParseDuration(r.URL.Query().Get("d"))
		if err != nil || d < 0 || d > 30*time.Second {
			http.Error(w, "d: a duration up to 30s", http.StatusBadRequest)
			return
		}
		inflight.Add(1)
		defer inflight.Add(-1)
		select {
		case <-time.After(d):
		case <-r.Context().Done():
			return
		}
		io.WriteString(w, "ignored")
	})
	root.HandleFunc("GET /inflight", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, inflight.Load())
	})
	root.HandleFunc("POST /upload", func(w http.ResponseWriter, r *http.Request) {
		n, err := io.Copy(io.Discard, r.Body)
		if err != nil {
			return // the body limit has answered
		}
		fmt.Fprintf(w, "%d bytes", n)
	})

	tree := engine.NewTree()
	tree.Mount("/", root)
	tree.Mount("/app", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"script_name": engine.ScriptName(r),
			"path_info":   r.URL.Path,
			"query":       r.URL.RawQuery,
			"proto":       r.Proto,
			"fcgi":        fcgi.ProcessEnv(r),
		})
	}))
	os.Exit(cherrygo.Quickstart(context.Background(), tree))
}
