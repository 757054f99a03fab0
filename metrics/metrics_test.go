package metrics_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	cherrygo "github.com/seed-49a6713b/cherrygo"
	"github.com/seed-49a6713b/cherrygo/engine"
	"github.com/seed-49a6713b/cherrygo/engine/plugins"
	"github.com/seed-49a6713b/cherrygo/metrics"
)

// testTree has an app at the root ("hello" at /, 404 elsewhere, an
// aborted response at /abort) and one at /api (201 "created").
func testTree() *engine.Tree {
	tree := engine.NewTree()
	tree.Mount("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/":
			_, _ = io.WriteString(w, "hello")
		case "/abort":
			panic(http.ErrAbortHandler)
		default:
			http.NotFound(w, r)
		}
	}))
	tree.Mount("/api", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, "created")
	}))
	return tree
}

func startManager(t *testing.T, environ map[string]string, opts ...cherrygo.Option) *cherrygo.Manager {
	t.Helper()
	opts = append([]cherrygo.Option{cherrygo.WithLogger(slog.New(slog.DiscardHandler)), cherrygo.WithEnvironment(environ)}, opts...)
	m, err := cherrygo.New(testTree(), opts...)
	require.NoError(t, err)
	require.NoError(t, m.Start(context.Background()))
	t.Cleanup(func() { _ = m.Exit(context.Background()) })
	return m
}

func client(t *testing.T) *http.Client {
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

func send(t *testing.T, c *http.Client, method, url, body string) int {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	require.NoError(t, err)
	resp, err := c.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, resp.Body)
	require.NoError(t, err)
	return resp.StatusCode
}

// scrape fetches url and parses it with Prometheus's own text parser.
func scrape(t *testing.T, c *http.Client, url string) families {
	t.Helper()
	resp, err := c.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, expfmt.TypeTextPlain, expfmt.ResponseFormat(resp.Header).FormatType(), resp.Header.Get("Content-Type"))
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	require.NoError(t, err)
	return fams
}

type families map[string]*dto.MetricFamily

// metric finds the sample of name whose labels include want, failing t
// when there is none.
func (f families) metric(t *testing.T, name string, want map[string]string) *dto.Metric {
	t.Helper()
	m, ok := f.find(name, want)
	require.True(t, ok, "no %s%v in the scrape", name, want)
	return m
}

func (f families) find(name string, want map[string]string) (*dto.Metric, bool) {
	fam, ok := f[name]
	if !ok {
		return nil, false
	}
next:
	for _, m := range fam.GetMetric() {
		got := map[string]string{}
		for _, l := range m.GetLabel() {
			got[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if got[k] != v {
				continue next
			}
		}
		return m, true
	}
	return nil, false
}

// value is the counter's or gauge's value.
func (f families) value(t *testing.T, name string, want map[string]string) float64 {
	t.Helper()
	m := f.metric(t, name, want)
	switch {
	case m.Counter != nil:
		return m.GetCounter().GetValue()
	case m.Gauge != nil:
		return m.GetGauge().GetValue()
	}
	t.Fatalf("%s is neither a counter nor a gauge", name)
	return 0
}

type labels = map[string]string

func TestMetricsMatchTheRequestsSent(t *testing.T) {
	m := startManager(t, map[string]string{
		"SERVER_SOCKET_HOST": "127.0.0.1", "SERVER_SOCKET_PORT": "0",
		"SERVER_METRICS_PATH": "/metrics",
	}, metrics.Option())
	c := client(t)
	base := m.URL()
	for range 3 {
		require.Equal(t, http.StatusOK, send(t, c, http.MethodGet, base+"/", ""))
	}
	for range 2 {
		require.Equal(t, http.StatusNotFound, send(t, c, http.MethodGet, base+"/missing", ""))
	}
	require.Equal(t, http.StatusCreated, send(t, c, http.MethodPost, base+"/api/items", "abc"))
	require.Equal(t, http.StatusOK, send(t, c, "BREW", base+"/", ""))
	require.Equal(t, http.StatusOK, send(t, c, "MAKE-UP", base+"/", ""))
	// On a connection of its own: the transport does not retry a request
	// whose fresh connection broke, as it may one on a reused connection.
	fresh := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second}
	_, err := fresh.Get(base + "/abort")
	require.Error(t, err, "an aborted response cuts the connection")

	f := scrape(t, c, base+"/metrics")
	def := "default"
	req := "cherrygo_http_requests_total"
	assert.Equal(t, 3.0, f.value(t, req, labels{"server": def, "app": "/", "method": "GET", "code": "2xx"}))
	assert.Equal(t, 2.0, f.value(t, req, labels{"server": def, "app": "/", "method": "GET", "code": "4xx"}))
	assert.Equal(t, 1.0, f.value(t, req, labels{"server": def, "app": "/api", "method": "POST", "code": "2xx"}))
	assert.Equal(t, 2.0, f.value(t, req, labels{"server": def, "app": "/", "method": "other", "code": "2xx"}), "made-up methods share one series")
	assert.Equal(t, 1.0, f.value(t, req, labels{"server": def, "app": "/", "method": "GET", "code": "aborted"}))
	total := 0.0
	for _, s := range f[req].GetMetric() {
		total += s.GetCounter().GetValue()
	}
	assert.Equal(t, 9.0, total, "every request once, the scrape not at all")

	h := f.metric(t, "cherrygo_http_request_duration_seconds", labels{"server": def, "app": "/", "method": "GET"}).GetHistogram()
	assert.Equal(t, uint64(6), h.GetSampleCount())
	assert.Greater(t, h.GetSampleSum(), 0.0)
	assert.Equal(t, dto.MetricType_HISTOGRAM, f["cherrygo_http_request_duration_seconds"].GetType())
	hp := f.metric(t, "cherrygo_http_request_duration_seconds", labels{"server": def, "app": "/api", "method": "POST"}).GetHistogram()
	assert.Equal(t, uint64(1), hp.GetSampleCount())

	assert.Equal(t, 0.0, f.value(t, "cherrygo_http_requests_in_flight", labels{"server": def}))
	assert.Equal(t, 1.0, f.value(t, "cherrygo_http_requests_aborted_total", labels{"server": def}))
	assert.Equal(t, 3.0, f.value(t, "cherrygo_http_request_body_bytes_total", labels{"server": def}))
	// 3 × "hello", 2 × "404 page not found\n", "created", 2 × "hello".
	assert.Equal(t, float64(3*5+2*19+7+2*5), f.value(t, "cherrygo_http_response_body_bytes_total", labels{"server": def}))

	assert.GreaterOrEqual(t, f.value(t, "cherrygo_connections", labels{"server": def, "state": "active"}), 1.0, "the scrape's own")
	for _, st := range []string{"new", "idle", "hijacked"} {
		f.metric(t, "cherrygo_connections", labels{"server": def, "state": st})
	}
	assert.Equal(t, 1.0, f.value(t, "cherrygo_server_serving", labels{"server": def}))
	assert.Equal(t, 1.0, f.value(t, "cherrygo_ready", nil))
	assert.Equal(t, 0.0, f.value(t, "cherrygo_stopping", nil))
	assert.Equal(t, 1.0, f.value(t, "cherrygo_bus_state", labels{"state": "started"}))
	assert.Equal(t, 0.0, f.value(t, "cherrygo_bus_state", labels{"state": "stopping"}))
	assert.Equal(t, 0.0, f.value(t, "cherrygo_reloads_total", nil))
	assert.Equal(t, 0.0, f.value(t, "cherrygo_upgrades_total", nil))
	assert.Equal(t, 0.0, f.value(t, "cherrygo_upgrades_handed_over_total", nil))
	f.metric(t, "go_goroutines", nil)
	f.metric(t, "process_start_time_seconds", nil)

	require.NoError(t, m.Bus().Graceful(context.Background()))
	f = scrape(t, c, base+"/metrics")
	assert.Equal(t, 1.0, f.value(t, "cherrygo_reloads_total", nil))
	assert.Equal(t, 1.0, f.value(t, "promhttp_metric_handler_requests_total", labels{"code": "200"}), "the first scrape")

	// The channels an upgrade's hand-over and a shutdown delay publish.
	_, err = m.Bus().Publish(context.Background(), plugins.ChannelHandedOver, 12345)
	require.NoError(t, err)
	_, err = m.Bus().Publish(context.Background(), plugins.ChannelStopRequested, time.Second)
	require.NoError(t, err)
	f = scrape(t, c, base+"/metrics")
	assert.Equal(t, 1.0, f.value(t, "cherrygo_upgrades_handed_over_total", nil))
	assert.Equal(t, 1.0, f.value(t, "cherrygo_stopping", nil))
	assert.Equal(t, 0.0, f.value(t, "cherrygo_ready", nil), "readiness fails during the shutdown delay")
	assert.Equal(t, 3.0, f.value(t, req, labels{"server": def, "app": "/", "method": "GET", "code": "2xx"}), "scrapes are still not counted")
}

// An admin server serves the metrics while the default one serves the
// application: the default server's requests show on the admin server,
// whose scrapes are not counted.
func TestMetricsOnAdminServer(t *testing.T) {
	m := startManager(t, map[string]string{
		"SERVER_SOCKET_HOST": "127.0.0.1", "SERVER_SOCKET_PORT": "0",
		"SERVER_NAMES":             "admin",
		"SERVER_ADMIN_SOCKET_HOST": "127.0.0.1", "SERVER_ADMIN_SOCKET_PORT": "0",
		"SERVER_ADMIN_METRICS_PATH": "/metrics",
	}, metrics.Option())
	c := client(t)
	admin := m.Server("admin")
	require.NotNil(t, admin)
	for range 2 {
		require.Equal(t, http.StatusOK, send(t, c, http.MethodGet, m.URL()+"/", ""))
	}
	require.Equal(t, http.StatusNotFound, send(t, c, http.MethodGet, m.URL()+"/metrics", ""), "the path is the admin server's only")

	f := scrape(t, c, admin.URL()+"/metrics")
	req := "cherrygo_http_requests_total"
	assert.Equal(t, 2.0, f.value(t, req, labels{"server": "default", "app": "/", "method": "GET", "code": "2xx"}))
	assert.Equal(t, 1.0, f.value(t, req, labels{"server": "default", "app": "/", "method": "GET", "code": "4xx"}))
	_, counted := f.find(req, labels{"server": "admin"})
	assert.False(t, counted, "scrapes are not counted")
	assert.Equal(t, 0.0, f.value(t, "cherrygo_http_requests_in_flight", labels{"server": "admin"}))
	assert.Equal(t, 0.0, f.value(t, "cherrygo_http_requests_in_flight", labels{"server": "default"}))
	assert.GreaterOrEqual(t, f.value(t, "cherrygo_connections", labels{"server": "admin", "state": "active"}), 1.0)
	f.metric(t, "cherrygo_connections", labels{"server": "default", "state": "idle"})
	assert.Equal(t, 1.0, f.value(t, "cherrygo_server_serving", labels{"server": "admin"}))
	assert.Equal(t, 1.0, f.value(t, "cherrygo_server_serving", labels{"server": "default"}))
	assert.Equal(t, 1.0, f.value(t, "cherrygo_ready", nil))
}

// A registry of the program's own is served with the kit's metrics and
// the program's, and without the Go and process collectors it did not ask
// for.
func TestMetricsWithOwnRegistry(t *testing.T) {
	reg := prometheus.NewRegistry()
	mine := prometheus.NewCounter(prometheus.CounterOpts{Name: "app_widgets_total", Help: "Widgets."})
	reg.MustRegister(mine)
	mine.Add(7)
	m := startManager(t, map[string]string{
		"SERVER_SOCKET_HOST": "127.0.0.1", "SERVER_SOCKET_PORT": "0",
		"SERVER_METRICS_PATH": "/metrics",
	}, metrics.Config{Registry: reg, Buckets: []float64{0.5, 1}}.Option())
	c := client(t)
	require.Equal(t, http.StatusOK, send(t, c, http.MethodGet, m.URL()+"/", ""))
	f := scrape(t, c, m.URL()+"/metrics")
	assert.Equal(t, 7.0, f.value(t, "app_widgets_total", nil))
	h := f.metric(t, "cherrygo_http_request_duration_seconds", labels{"server": "default"}).GetHistogram()
	assert.Len(t, h.GetBucket(), 3, "0.5, 1 and +Inf")
	assert.Equal(t, uint64(1), h.GetSampleCount())
	assert.NotContains(t, f, "go_goroutines")
}

// An Option serves one Manager: a second one built with it says so.
func TestMetricsOptionServesOneManager(t *testing.T) {
	env := map[string]string{
		"SERVER_SOCKET_HOST": "127.0.0.1", "SERVER_SOCKET_PORT": "0",
		"SERVER_METRICS_PATH": "/metrics",
	}
	opt := metrics.Option()
	m1 := startManager(t, env, opt)
	m2 := startManager(t, env, opt)
	c := client(t)
	scrape(t, c, m1.URL()+"/metrics")
	assert.Equal(t, http.StatusInternalServerError, send(t, c, http.MethodGet, m2.URL()+"/metrics", ""))
}

// Without the option, SERVER_METRICS_PATH is a configuration error.
func TestMetricsPathNeedsTheOption(t *testing.T) {
	_, err := cherrygo.New(testTree(), cherrygo.WithLogger(slog.New(slog.DiscardHandler)),
		cherrygo.WithEnvironment(map[string]string{"SERVER_METRICS_PATH": "/metrics"}))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "SERVER_METRICS_PATH")
}
