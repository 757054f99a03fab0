package gateway

import (
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"

	"github.com/seed-49a6713b/cherrygo/internal/contentheaders"
)

// Recover returns a middleware that turns a panicking handler into a 500
// Internal Server Error, so one bad request never takes the server down
// (net/http would recover too, but only by dropping the connection).
//
// The panic value and the stack are logged at level Error on logger
// (slog.Default() when nil), with the request's method and URL. What the
// client gets depends on how far the response had gone:
//
//   - nothing written yet: the headers about the content the handler
//     meant to send are dropped (the same ones an engine error page
//     drops; cookies, CORS headers and Vary stay) and the client gets a
//     plain-text 500;
//   - header (and maybe part of the body) already sent: a 500 can no
//     longer be sent, so Recover aborts the connection by panicking with
//     http.ErrAbortHandler, and the client sees a cut-off response rather
//     than one that looks complete;
//   - the connection was hijacked: nothing more is sent.
//
// A panic with http.ErrAbortHandler itself is the handler's way of asking
// net/http to abort the connection: Recover lets it through untouched and
// logs nothing.
func Recover(logger *slog.Logger) func(http.Handler) http.Handler {
	if logger == nil {
		logger = slog.Default()
	}
	return func(next http.Handler) http.Handler {
		return &recoverer{logger: logger, next: next}
	}
}

// recoverer is Recover's handler.
type recoverer struct {
	logger *slog.Logger
	next   http.Handler
}

func (h *recoverer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rw := wrap(w)
	defer func() {
		v := recover()
		if v == nil {
			return
		}
		if v == http.ErrAbortHandler {
			panic(v)
		}
		h.logger.LogAttrs(r.Context(), slog.LevelError, "panic serving request",
			slog.String("method", r.Method),
			slog.String("url", r.URL.String()),
			slog.String("remote", r.RemoteAddr),
			slog.String("panic", fmt.Sprint(v)),
			slog.String("stack", string(debug.Stack())),
		)
		switch {
		case rw.hijacked:
		case rw.wrote():
			panic(http.ErrAbortHandler)
		default:
			contentheaders.Clear(rw.Header(), http.StatusInternalServerError)
			http.Error(rw, "500 Internal Server Error", http.StatusInternalServerError)
		}
	}()
	h.next.ServeHTTP(rw, r)
}
