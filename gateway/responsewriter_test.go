package gateway_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/seed-49a6713b/cherrygo/gateway"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The policies' private ResponseWriter wrapper is reached through the
// middlewares that use it: Statistics and AccessLog here.

// wrapped puts h behind AccessLog and Statistics, which share one
// wrapper. The access log is outside: once its line arrives, the
// statistics have counted the request.
func wrapped(stats *gateway.Statistics, out io.Writer, h http.Handler) http.Handler {
	return gateway.AccessLog(out)(stats.Middleware("s", "a")(h))
}

func TestResponseWriterFlush(t *testing.T) {
	flushers := map[string]func(http.ResponseWriter) error{
		"Flusher": func(w http.ResponseWriter) error {
			f, ok := w.(http.Flusher)
			if !ok {
				return http.ErrNotSupported
			}
			f.Flush()
			return nil
		},
		"ResponseController": func(w http.ResponseWriter) error {
			return http.NewResponseController(w).Flush()
		},
	}
	for name, flush := range flushers {
		t.Run(name, func(t *testing.T) {
			release := make(chan struct{})
			flushErr := make(chan error, 1)
			stats := gateway.NewStatistics()
			srv := serve(t, wrapped(stats, io.Discard, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.WriteString(w, "first")
				flushErr <- flush(w)
				<-release
				_, _ = io.WriteString(w, "second")
			})))
			t.Cleanup(func() {
				select {
				case <-release:
				default:
					close(release)
				}
			})

			req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL, nil)
			require.NoError(t, err)
			resp, err := srv.Client().Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			require.NoError(t, receive(t, flushErr, "the flush"))

			// "first" arrives while the handler is still blocked.
			head := make([]byte, len("first"))
			_, err = io.ReadFull(resp.Body, head)
			require.NoError(t, err)
			assert.Equal(t, "first", string(head))
			close(release)
			rest, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			assert.Equal(t, "second", string(rest))
		})
	}
}

func TestResponseWriterHijack(t *testing.T) {
	stats := gateway.NewStatistics()
	out := make(lines, 1)
	hijackErr := make(chan error, 1)
	srv := serve(t, wrapped(stats, out, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := w.(http.Hijacker); !ok {
			hijackErr <- http.ErrNotSupported
			return
		}
		conn, brw, err := http.NewResponseController(w).Hijack()
		hijackErr <- err
		if err != nil {
			return
		}
		defer conn.Close()
		_, _ = brw.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 8\r\nConnection: close\r\n\r\nhijacked")
		_ = brw.Flush()
	})))

	res := get(t, srv.Client(), srv.URL)
	require.NoError(t, receive(t, hijackErr, "the hijack"))
	assert.Equal(t, "hijacked", res.body)
	assert.Contains(t, receive(t, out, "the access log line"), `HTTP/1.1" - - `, "no status, no bytes")
	snap := stats.Snapshot()
	assert.EqualValues(t, 1, snap.Total.Requests)
	assert.Equal(t, gateway.StatusClasses{}, snap.Total.Status, "a hijack without status is in no class")
}

func TestResponseWriterUnwrapReachesDeadlinesAndFullDuplex(t *testing.T) {
	errs := make(chan error, 3)
	srv := serve(t, wrapped(gateway.NewStatistics(), io.Discard, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		errs <- rc.SetReadDeadline(time.Now().Add(time.Minute))
		errs <- rc.SetWriteDeadline(time.Now().Add(time.Minute))
		errs <- rc.EnableFullDuplex()
	})))

	get(t, srv.Client(), srv.URL)
	for range 3 {
		assert.NoError(t, receive(t, errs, "a ResponseController call"))
	}
}

// bareWriter is a ResponseWriter with no optional interface at all.
type bareWriter struct {
	header http.Header
	body   bytes.Buffer
	status int
}

func (b *bareWriter) Header() http.Header         { return b.header }
func (b *bareWriter) Write(p []byte) (int, error) { return b.body.Write(p) }
func (b *bareWriter) WriteHeader(code int)        { b.status = code }

func TestResponseWriterReportsMissingInterfaces(t *testing.T) {
	var flushErr, hijackErr error
	h := wrapped(gateway.NewStatistics(), io.Discard, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		flushErr = rc.Flush()
		_, _, hijackErr = rc.Hijack()
		_, _ = io.WriteString(w, "fine")
	}))
	bw := &bareWriter{header: http.Header{}}
	h.ServeHTTP(bw, httptest.NewRequest(http.MethodGet, "/", nil))

	assert.ErrorIs(t, flushErr, http.ErrNotSupported)
	assert.ErrorIs(t, hijackErr, http.ErrNotSupported)
	assert.Equal(t, "fine", bw.body.String())
}

func TestResponseWriterCountsReadFromAndInformational(t *testing.T) {
	path := filepath.Join(t.TempDir(), "payload")
	payload := bytes.Repeat([]byte("0123456789"), 10_000)
	require.NoError(t, os.WriteFile(path, payload, 0o600))

	stats := gateway.NewStatistics()
	out := make(lines, 1)
	srv := serve(t, wrapped(stats, out, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, err := os.Open(path)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		defer f.Close()
		w.WriteHeader(http.StatusEarlyHints) // informational: not the status
		_, _ = io.Copy(w, f)                 // through ReadFrom
	})))

	res := get(t, srv.Client(), srv.URL+"/file")
	assert.Equal(t, http.StatusOK, res.status)
	assert.Len(t, res.body, len(payload))
	assert.Contains(t, receive(t, out, "the access log line"), `"GET /file HTTP/1.1" 200 100000 `)
	snap := stats.Snapshot()
	assert.EqualValues(t, len(payload), snap.Total.BytesWritten)
	assert.Equal(t, gateway.StatusClasses{Success: 1}, snap.Total.Status)
}
