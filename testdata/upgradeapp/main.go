// Command upgradeapp is the program the root package's upgrade tests run:
// Quickstart with a PID file (UPGRADEAPP_PID_FILE), answering / with
// "Hello, world!" and /slow with its header at once and its body after d (a
// duration query parameter, 1s by default), and POST /upload with the
// length of the body it read ("N bytes"), naming the process that answered
// in X-Pid.
//
// Built with -ldflags "-X main.badSetting=NAME=VALUE" it sets that
// variable before it reads its settings: the "new build" of a failing
// upgrade, which exits 2 on the bad setting. Built with "-X main.hang=1" it
// ignores SIGTERM and never starts: the new build that never says it is
// ready. UPGRADEAPP_UPGRADE_TIMEOUT (a duration) bounds an upgrade's wait.
package main

import (
	"context"
	"io"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/seed-49a6713b/cherrygo"
	"github.com/seed-49a6713b/cherrygo/engine"
)

var badSetting, hang string

func main() {
	if name, value, ok := strings.Cut(badSetting, "="); ok {
		os.Setenv(name, value)
	}
	if hang != "" {
		signal.Ignore(syscall.SIGTERM)
		select {}
	}
	timeout, _ := time.ParseDuration(os.Getenv("UPGRADEAPP_UPGRADE_TIMEOUT"))
	pid := strconv.Itoa(os.Getpid())
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("X-Pid", pid)
		io.WriteString(w, "Hello, world!")
	})
	mux.HandleFunc("GET /slow", func(w http.ResponseWriter, r *http.Request) {
		d, err := time.ParseDuration(r.URL.Query().Get("d"))
		if err != nil {
			d = time.Second
		}
		// The header goes at once, so that the client knows which
		// process has the request in flight; the body after d.
		w.Header().Set("X-Pid", pid)
		w.WriteHeader(http.StatusOK)
		_ = http.NewResponseController(w).Flush()
		time.Sleep(d) // the request in flight that a stop must let finish
		io.WriteString(w, "slow")
	})
	mux.HandleFunc("POST /upload", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Pid", pid)
		n, err := io.Copy(io.Discard, r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		io.WriteString(w, strconv.FormatInt(n, 10)+" bytes")
	})
	tree := engine.NewTree()
	tree.Mount("/", mux)
	os.Exit(cherrygo.Quickstart(context.Background(), tree,
		cherrygo.WithPIDFile(os.Getenv("UPGRADEAPP_PID_FILE")),
		cherrygo.WithUpgradeTimeout(timeout)))
}
