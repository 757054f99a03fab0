// Command grown is examples/hello after it grew: the same three lines, and
// one more line per need, each an option of cherrygo.Quickstart:
//
//   - JSON logs: every line of the kit (lifecycle, servers, access log,
//     handler panics) goes to the one logger given;
//   - the access log, as records on that logger;
//   - a PID file, $TMPDIR/grown.pid, removed on exit;
//   - a background task that runs every second while the servers run;
//   - a named admin server, set by SERVER_ADMIN_* (SERVER_ADMIN_SOCKET_PORT,
//     9090 unless the environment says otherwise), serving its own mux;
//   - a custom *http.Server of the program's own on LEGACY_ADDR
//     (127.0.0.1:8081 by default), under the same lifecycle.
//
// README's "A main that grows" shows this main; a test builds and runs it.
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/seed-49a6713b/cherrygo"
	"github.com/seed-49a6713b/cherrygo/engine"
)

func main() {
	tree := engine.NewTree()
	tree.Mount("/", hello())
	os.Exit(cherrygo.Quickstart(context.Background(), tree,
		cherrygo.WithLogger(logger),                                         // JSON logs, everywhere
		cherrygo.WithAccessLog(nil),                                         // one record per request, on that logger
		cherrygo.WithPIDFile(filepath.Join(os.TempDir(), "grown.pid")),      // a PID file
		cherrygo.WithTask("refresh", time.Second, refresh),                  // a background task
		cherrygo.WithDefaults("SERVER_ADMIN_SOCKET_PORT=9090"),              // a default the environment may override
		cherrygo.WithNamedServer("admin", admin()),                          // a named server with a handler of its own
		cherrygo.WithHTTPServer("legacy", &http.Server{Addr: legacyAddr()}), // an *http.Server of the program's own
	))
}

var (
	logger    = slog.New(slog.NewJSONHandler(os.Stderr, nil))
	refreshes atomic.Int64
)

// hello is the application: the one of examples/hello, and a route that
// panics, to show where a handler's panic goes (a 500, and a log record).
func hello() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, "Hello, world!")
	})
	mux.HandleFunc("GET /panic", func(http.ResponseWriter, *http.Request) {
		panic("something broke")
	})
	return mux
}

// refresh is the background task.
func refresh(ctx context.Context) error {
	n := refreshes.Add(1)
	logger.InfoContext(ctx, "refreshed", "count", n)
	return nil
}

// admin is what the admin server serves.
func admin() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /refreshes", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, refreshes.Load())
	})
	return mux
}

func legacyAddr() string {
	if a := os.Getenv("LEGACY_ADDR"); a != "" {
		return a
	}
	return "127.0.0.1:8081"
}
