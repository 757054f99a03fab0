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
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// lines is an io.Writer that sends each Write, as a string, to a channel.
type lines chan string

func (l lines) Write(p []byte) (int, error) {
	l <- string(p)
	return len(p), nil
}

// fixedClock returns a clock stuck at 10 Oct 2000 13:55:36 -0700.
func fixedClock() func() time.Time {
	at := time.Date(2000, time.October, 10, 13, 55, 36, 0, time.FixedZone("", -7*60*60))
	return func() time.Time { return at }
}

func TestAccessLogCombinedLogFormat(t *testing.T) {
	out := make(lines, 4)
	log := &gateway.AccessLogger{Out: out, Now: fixedClock()}
	srv := serve(t, log.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "hello")
	})))

	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+"/a.gif?x=1", nil)
	require.NoError(t, err)
	req.SetBasicAuth("alice", "secret")
	req.Header.Set("Referer", "http://example.com/start")
	req.Header.Set("User-Agent", "agent/1.0")
	res := fetch(srv.Client(), req)
	require.NoError(t, res.err)

	assert.Equal(t,
		`127.0.0.1 - alice [10/Oct/2000:13:55:36 -0700] "GET /a.gif?x=1 HTTP/1.1" 200 5 "http://example.com/start" "agent/1.0"`+"\n",
		receive(t, out, "the access log line"))
}

func TestAccessLogDashesAndEscapes(t *testing.T) {
	out := make(lines, 4)
	log := &gateway.AccessLogger{Out: out, Now: fixedClock()}
	srv := serve(t, log.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	})))

	exchange(t, srv.Listener.Addr().String(),
		"DELETE /x HTTP/1.1\r\nHost: h\r\nUser-Agent: a \"quoted\" \\ agent\r\nConnection: close\r\n\r\n")
	assert.Equal(t,
		`127.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "DELETE /x HTTP/1.1" 204 - "-" "a \"quoted\" \\ agent"`+"\n",
		receive(t, out, "the access log line"))
}

// Fields the network cannot carry (control characters, invalid UTF-8, a
// unix socket's address) are checked with a recorder.
func TestAccessLogEscapesControlAndInvalidBytes(t *testing.T) {
	out := make(lines, 4)
	log := &gateway.AccessLogger{Out: out, Now: fixedClock()}
	h := log.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.NotFound(w, r)
	}))
	req := httptest.NewRequest(http.MethodGet, "/caf%C3%A9", nil)
	req.RequestURI = "/caf\xe9\n"
	req.RemoteAddr = "@"
	req.Header.Set("User-Agent", "tab\there é")
	h.ServeHTTP(httptest.NewRecorder(), req)

	assert.Equal(t,
		`- - - [10/Oct/2000:13:55:36 -0700] "GET /caf\xe9\x0a HTTP/1.1" 404 19 "-" "tab\x09here é"`+"\n",
		receive(t, out, "the access log line"))
}

func TestAccessLogOneWritePerLineUnderLoad(t *testing.T) {
	const n = 40
	out := make(lines, n)
	srv := serve(t, gateway.AccessLog(out)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, strings.Repeat("x", 100))
	})))

	results := make([]<-chan result, n)
	for i := range results {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+"/load", nil)
		require.NoError(t, err)
		results[i] = fetchAsync(srv.Client(), req)
	}
	for _, ch := range results {
		res := receive(t, ch, "a response")
		require.NoError(t, res.err)
	}
	for range n {
		line := receive(t, out, "an access log line")
		assert.Equal(t, 1, strings.Count(line, "\n"), "one line per Write: %q", line)
		assert.Contains(t, line, `"GET /load HTTP/1.1" 200 100 "-" "Go-http-client/1.1"`)
	}
}

// With Recover inside it, the access log sees the 500 of a panic.
func TestAccessLogSeesRecoveredPanic(t *testing.T) {
	out := make(lines, 4)
	logs := make(records, 4)
	srv := serve(t, gateway.AccessLog(out)(gateway.Recover(slog.New(logs))(panicky)))

	res := get(t, srv.Client(), srv.URL+"/panic")
	assert.Equal(t, http.StatusInternalServerError, res.status)
	assert.Contains(t, receive(t, out, "the access log line"), `"GET /panic HTTP/1.1" 500 26 `)
	receive(t, logs, "the panic's log record")
}

// A response cut off mid-body is told apart from a whole one by the
// Completion field ("-" against OK), and by the slog record's aborted.
func TestAccessLogMarksCutOffResponses(t *testing.T) {
	cut := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "10")
		_, _ = io.WriteString(w, "part")
		if r.URL.Path == "/cut" {
			w.(http.Flusher).Flush()
			panic(http.ErrAbortHandler)
		}
		_, _ = io.WriteString(w, "-whole")
	})
	out := make(lines, 4)
	clf := &gateway.AccessLogger{Out: out, Now: fixedClock(), Completion: true}
	logs := make(records, 4)
	srv := serve(t, clf.Middleware(gateway.AccessLogSlog(slog.New(logs))(cut)))

	res := get(t, srv.Client(), srv.URL+"/whole")
	assert.Equal(t, "part-whole", res.body)
	assert.True(t, strings.HasSuffix(receive(t, out, "the whole response's line"), `"GET /whole HTTP/1.1" 200 10 "-" "Go-http-client/1.1" OK`+"\n"))
	assert.False(t, attrs(receive(t, logs, "the whole response's record"))["aborted"].Bool())

	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+"/cut", nil)
	require.NoError(t, err)
	res = fetch(srv.Client(), req)
	assert.ErrorIs(t, res.err, io.ErrUnexpectedEOF, "the client sees the response cut off")
	assert.True(t, strings.HasSuffix(receive(t, out, "the cut response's line"), `"GET /cut HTTP/1.1" 200 4 "-" "Go-http-client/1.1" -`+"\n"))
	assert.True(t, attrs(receive(t, logs, "the cut response's record"))["aborted"].Bool())
}

func TestAccessLogSlog(t *testing.T) {
	logs := make(records, 4)
	srv := serve(t, gateway.AccessLogSlog(slog.New(logs))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, "made")
	})))

	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+"/things?id=7", strings.NewReader("x"))
	require.NoError(t, err)
	req.Header.Set("User-Agent", "agent/2.0")
	res := fetch(srv.Client(), req)
	require.NoError(t, res.err)

	rec := receive(t, logs, "the access log record")
	assert.Equal(t, slog.LevelInfo, rec.Level)
	assert.Equal(t, "request", rec.Message)
	a := attrs(rec)
	assert.Equal(t, "127.0.0.1", a["remote"].String())
	assert.Equal(t, http.MethodPost, a["method"].String())
	assert.Equal(t, "/things?id=7", a["uri"].String())
	assert.Equal(t, "HTTP/1.1", a["proto"].String())
	assert.EqualValues(t, http.StatusCreated, a["status"].Int64())
	assert.EqualValues(t, 4, a["bytes"].Int64())
	assert.Equal(t, "agent/2.0", a["user_agent"].String())
	assert.Equal(t, slog.KindDuration, a["duration"].Kind())
}
