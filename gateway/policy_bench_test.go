package gateway_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/seed-49a6713b/cherrygo/gateway"
)

// nopWriter is a ResponseWriter that discards everything, so that a
// benchmark measures the policy and not the writer.
type nopWriter struct{ header http.Header }

func (w *nopWriter) Header() http.Header         { return w.header }
func (w *nopWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *nopWriter) WriteHeader(int)             {}

// BenchmarkPolicies measures each policy's overhead around a handler that
// writes two bytes, called in process (no network).
func BenchmarkPolicies(b *testing.B) {
	ok := []byte("ok")
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write(ok) })
	stats := gateway.NewStatistics()
	policies := []struct {
		name string
		h    http.Handler
	}{
		{"none", app},
		{"MaxBodySize", gateway.MaxBodySize(1 << 20)(app)},
		{"ThreadPool", gateway.ThreadPool(64, -1, time.Second)(app)},
		{"Protocol", gateway.Protocol("HTTP/1.0")(app)},
		{"Recover", gateway.Recover(slog.New(slog.DiscardHandler))(app)},
		{"AccessLog", gateway.AccessLog(io.Discard)(app)},
		{"AccessLogSlog", gateway.AccessLogSlog(slog.New(slog.DiscardHandler))(app)},
		{"Statistics", stats.Middleware("s", "a")(app)},
		{"All", stats.Middleware("s", "all")(gateway.AccessLog(io.Discard)(
			gateway.Recover(slog.New(slog.DiscardHandler))(gateway.ThreadPool(64, -1, time.Second)(
				gateway.MaxBodySize(1 << 20)(gateway.Protocol("HTTP/1.0")(app))))))},
	}
	for _, p := range policies {
		b.Run(p.name, func(b *testing.B) {
			w := &nopWriter{header: http.Header{}}
			r := httptest.NewRequest(http.MethodPost, "/bench?x=1", strings.NewReader("0123456789"))
			r.RemoteAddr = "192.0.2.1:1234"
			b.ReportAllocs()
			for b.Loop() {
				r.ProtoMinor = 1 // Protocol lowers it in place
				p.h.ServeHTTP(w, r)
			}
		})
	}
}
