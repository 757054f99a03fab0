package rawserve_test

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"

	"github.com/seed-49a6713b/cherrygo/bench/servers/internal/rawserve"
)

func ExampleHello() {
	rec := httptest.NewRecorder()
	rawserve.Hello(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	fmt.Println(rec.Code, rec.Header().Get("Content-Type"), rec.Body.String())
	// Output: 200 text/plain; charset=utf-8 Hello, world!
}

// Run serves a handler where the SERVER_* variables say until SIGTERM or
// SIGINT. (Compiled, not run: it blocks until a signal.)
func ExampleRun() {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", rawserve.Hello)
	if err := rawserve.Run(rawserve.FromEnv(), mux, slog.Default()); err != nil {
		fmt.Println(err)
	}
}
