package gateway_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"testing"

	"github.com/seed-49a6713b/cherrygo/gateway"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// records is a slog.Handler that sends every record to a channel.
type records chan slog.Record

func (records) Enabled(context.Context, slog.Level) bool { return true }
func (c records) Handle(_ context.Context, r slog.Record) error {
	c <- r.Clone()
	return nil
}
func (c records) WithAttrs([]slog.Attr) slog.Handler { return c }
func (c records) WithGroup(string) slog.Handler      { return c }

// attrs returns a record's attributes by key.
func attrs(r slog.Record) map[string]slog.Value {
	m := make(map[string]slog.Value)
	r.Attrs(func(a slog.Attr) bool {
		m[a.Key] = a.Value
		return true
	})
	return m
}

// panicky panics on /panic (after setting headers about its content, which
// must not reach the 500, and others, which stay) and answers "ok"
// elsewhere.
var panicky = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/panic" {
		h := w.Header()
		h.Set("Content-Type", "application/json")
		h.Set("ETag", `"v1"`)
		h.Set("Cache-Control", "public, max-age=3600")
		h.Set("Set-Cookie", "session=1")
		h.Set("X-Request-Id", "42")
		h.Set("Vary", "Origin")
		panic("boom")
	}
	_, _ = io.WriteString(w, "ok")
})

func TestRecoverPanicBecomes500AndServerKeepsServing(t *testing.T) {
	logs := make(records, 4)
	srv := serve(t, gateway.Recover(slog.New(logs))(panicky))

	res := get(t, srv.Client(), srv.URL+"/panic")
	assert.Equal(t, http.StatusInternalServerError, res.status)
	assert.Equal(t, "500 Internal Server Error\n", res.body)
	assert.Equal(t, "text/plain; charset=utf-8", res.header.Get("Content-Type"))
	assert.Empty(t, res.header.Get("ETag"), "validators of the lost response are dropped")
	assert.Empty(t, res.header.Get("Cache-Control"), "so is its caching")
	assert.Equal(t, "session=1", res.header.Get("Set-Cookie"), "cookies stay")
	assert.Equal(t, "42", res.header.Get("X-Request-Id"), "the app's own headers stay")
	assert.Equal(t, "Origin", res.header.Get("Vary"), "so does Vary")

	rec := receive(t, logs, "the panic's log record")
	assert.Equal(t, slog.LevelError, rec.Level)
	a := attrs(rec)
	assert.Equal(t, "boom", a["panic"].String())
	assert.Contains(t, a["stack"].String(), "recover_test.go")
	assert.Equal(t, "/panic", a["url"].String())
	assert.Equal(t, http.MethodGet, a["method"].String())

	res = get(t, srv.Client(), srv.URL+"/ok")
	assert.Equal(t, http.StatusOK, res.status)
	assert.Equal(t, "ok", res.body)
}

func TestRecoverAfterHeaderAbortsConnection(t *testing.T) {
	logs := make(records, 4)
	h := gateway.Recover(slog.New(logs))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "partial")
		_ = http.NewResponseController(w).Flush()
		panic("late boom")
	}))
	srv := serve(t, h)

	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL, nil)
	require.NoError(t, err)
	res := fetch(srv.Client(), req)
	assert.Equal(t, http.StatusOK, res.status, "the header had gone out")
	assert.ErrorIs(t, res.err, io.ErrUnexpectedEOF, "the body is cut off, not complete")

	rec := receive(t, logs, "the panic's log record")
	assert.Equal(t, "late boom", attrs(rec)["panic"].String())
}

func TestRecoverLetsErrAbortHandlerThrough(t *testing.T) {
	logs := make(records, 4)
	h := gateway.Recover(slog.New(logs))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		panic(http.ErrAbortHandler)
	}))
	srv := serve(t, h)

	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL, nil)
	require.NoError(t, err)
	res := fetch(srv.Client(), req)
	assert.Error(t, res.err, "the connection is aborted")
	// Recover would have logged before the abort reached the client.
	assert.Empty(t, logs, "nothing logged")
}
