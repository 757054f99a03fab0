package gateway_test

import (
	"encoding/json"
	"expvar"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/seed-49a6713b/cherrygo/gateway"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// statusEcho answers with the status in the query's s (default 200) and
// the body "body".
var statusEcho = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	code := http.StatusOK
	if s := r.URL.Query().Get("s"); s != "" {
		code, _ = strconv.Atoi(s)
	}
	if code == http.StatusFound {
		w.Header().Set("Location", "/elsewhere")
	}
	w.WriteHeader(code)
	_, _ = io.WriteString(w, "body")
})

func TestStatisticsCountsPerServerAndApp(t *testing.T) {
	stats := gateway.NewStatistics()
	mux := http.NewServeMux()
	mux.Handle("/a", stats.Middleware("main", "a")(statusEcho))
	mux.Handle("/b", stats.Middleware("main", "b")(statusEcho))
	main := serve(t, mux)
	admin := serve(t, stats.Middleware("admin", "")(statusEcho))
	client := &http.Client{
		Transport:     main.Client().Transport,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}

	for _, url := range []string{
		main.URL + "/a", main.URL + "/a?s=404", main.URL + "/b?s=302", main.URL + "/b?s=500",
		admin.URL + "/", admin.URL + "/?s=201",
	} {
		get(t, client, url)
	}
	res := post(t, client, main.URL+"/a", "xyz", false)
	assert.Equal(t, http.StatusOK, res.status)

	snap := stats.Snapshot()
	require.Len(t, snap.Apps, 3)
	a, b, adm := snap.Apps[0], snap.Apps[1], snap.Apps[2]
	assert.Equal(t, [2]string{"main", "a"}, [2]string{a.Server, a.App})
	assert.Equal(t, [2]string{"main", "b"}, [2]string{b.Server, b.App})
	assert.Equal(t, [2]string{"admin", ""}, [2]string{adm.Server, adm.App})

	assert.EqualValues(t, 3, a.Requests)
	assert.EqualValues(t, 3, a.BytesRead)
	assert.EqualValues(t, 12, a.BytesWritten)
	assert.Equal(t, gateway.StatusClasses{Success: 2, ClientError: 1}, a.Status)
	assert.Equal(t, gateway.StatusClasses{Redirection: 1, ServerError: 1}, b.Status)
	assert.Equal(t, gateway.StatusClasses{Success: 2}, adm.Status)

	assert.EqualValues(t, 7, snap.Total.Requests)
	assert.EqualValues(t, 28, snap.Total.BytesWritten)
	assert.EqualValues(t, 0, snap.Total.InFlight)
	assert.EqualValues(t, 0, snap.Total.Aborted)
	assert.Equal(t, gateway.StatusClasses{Success: 4, Redirection: 1, ClientError: 1, ServerError: 1}, snap.Total.Status)
	assert.False(t, snap.Since.IsZero())
}

func TestStatisticsInFlightAndAborted(t *testing.T) {
	stats := gateway.NewStatistics()
	entered := make(chan struct{}, 1)
	release := make(chan struct{})
	srv := serve(t, stats.Middleware("s", "a")(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/abort" {
			panic(http.ErrAbortHandler)
		}
		entered <- struct{}{}
		<-release
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
	pending := fetchAsync(srv.Client(), req)
	receive(t, entered, "the handler")
	assert.EqualValues(t, 1, stats.Snapshot().Total.InFlight)
	close(release)
	require.NoError(t, receive(t, pending, "the response").err)

	// POST: the client must not retry the aborted request.
	req, err = http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+"/abort", nil)
	require.NoError(t, err)
	assert.Error(t, fetch(srv.Client(), req).err)

	total := stats.Snapshot().Total
	assert.EqualValues(t, 0, total.InFlight)
	assert.EqualValues(t, 2, total.Requests)
	assert.EqualValues(t, 1, total.Aborted)
}

func TestStatisticsSamePairSharesEntry(t *testing.T) {
	stats := gateway.NewStatistics()
	srv1 := serve(t, stats.Middleware("s", "a")(statusEcho))
	srv2 := serve(t, stats.Middleware("s", "a")(statusEcho))
	get(t, srv1.Client(), srv1.URL)
	get(t, srv2.Client(), srv2.URL)

	snap := stats.Snapshot()
	require.Len(t, snap.Apps, 1)
	assert.EqualValues(t, 2, snap.Apps[0].Requests)
}

func TestStatisticsServeHTTPServesJSON(t *testing.T) {
	stats := gateway.NewStatistics()
	mux := http.NewServeMux()
	mux.Handle("/app", stats.Middleware("main", "app")(statusEcho))
	mux.Handle("/stats", stats)
	srv := serve(t, mux)
	get(t, srv.Client(), srv.URL+"/app?s=404")

	res := get(t, srv.Client(), srv.URL+"/stats")
	assert.Equal(t, http.StatusOK, res.status)
	assert.Equal(t, "application/json", res.header.Get("Content-Type"))
	var doc struct {
		Total map[string]any   `json:"total"`
		Apps  []map[string]any `json:"apps"`
	}
	require.NoError(t, json.Unmarshal([]byte(res.body), &doc))
	assert.EqualValues(t, 1, doc.Total["requests"])
	assert.Equal(t, map[string]any{"1xx": 0.0, "2xx": 0.0, "3xx": 0.0, "4xx": 1.0, "5xx": 0.0}, doc.Total["status"])
	require.Len(t, doc.Apps, 1)
	assert.Equal(t, "app", doc.Apps[0]["app"])
	assert.Equal(t, "main", doc.Apps[0]["server"])
}

func TestStatisticsPublish(t *testing.T) {
	stats := gateway.NewStatistics()
	srv := serve(t, stats.Middleware("s", "a")(statusEcho))
	get(t, srv.Client(), srv.URL)

	// expvar names live as long as the process: unique per run.
	name := fmt.Sprintf("cherrygo-%s-%p", t.Name(), stats)
	require.NoError(t, stats.Publish(name))
	v := expvar.Get(name)
	require.NotNil(t, v)
	assert.True(t, strings.Contains(v.String(), `"requests":1`), v.String())

	err := gateway.NewStatistics().Publish(name)
	require.ErrorIs(t, err, gateway.ErrPublished)
	assert.Contains(t, err.Error(), name)
}
