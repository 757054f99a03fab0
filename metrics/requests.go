package metrics

import (
	"context"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	cherrygo "github.com/seed-49a6713b/cherrygo"
	"github.com/seed-49a6713b/cherrygo/engine"
)

// requestMetrics are the per-request metrics, updated by the middleware
// of each server.
type requestMetrics struct {
	requests  *prometheus.CounterVec   // server, app, method, code
	duration  *prometheus.HistogramVec // server, app, method
	inFlight  *prometheus.GaugeVec     // server
	aborted   *prometheus.CounterVec   // server
	bodyIn    *prometheus.CounterVec   // server
	bodyOut   *prometheus.CounterVec   // server
	collected []prometheus.Collector
}

func newRequestMetrics(buckets []float64) *requestMetrics {
	if buckets == nil {
		buckets = prometheus.DefBuckets
	}
	rm := &requestMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cherrygo_http_requests_total",
			Help: "HTTP requests served, by server, app (its mount point), method and status class.",
		}, []string{"server", "app", "method", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "cherrygo_http_request_duration_seconds",
			Help:    "Time from the request reaching the gateway to its handler's return, by server, app and method.",
			Buckets: buckets,
		}, []string{"server", "app", "method"}),
		inFlight: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "cherrygo_http_requests_in_flight",
			Help: "HTTP requests being served now, by server.",
		}, []string{"server"}),
		aborted: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cherrygo_http_requests_aborted_total",
			Help: "HTTP requests whose response was cut off (the handler panicked, or failed after the header was sent), by server.",
		}, []string{"server"}),
		bodyIn: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cherrygo_http_request_body_bytes_total",
			Help: "Request body bytes declared by Content-Length (bodies of unknown length are not counted), by server.",
		}, []string{"server"}),
		bodyOut: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cherrygo_http_response_body_bytes_total",
			Help: "Response body bytes handed to the server for the client, by server.",
		}, []string{"server"}),
	}
	rm.collected = []prometheus.Collector{rm.requests, rm.duration, rm.inFlight, rm.aborted, rm.bodyIn, rm.bodyOut}
	return rm
}

// Describe and Collect make the per-request metrics one collector.
func (rm *requestMetrics) Describe(ch chan<- *prometheus.Desc) {
	for _, c := range rm.collected {
		c.Describe(ch)
	}
}

func (rm *requestMetrics) Collect(ch chan<- prometheus.Metric) {
	for _, c := range rm.collected {
		c.Collect(ch)
	}
}

// middleware is WithMiddleware's: it counts the requests of the server
// called name.
func (k *kit) middleware(name string, next http.Handler) http.Handler {
	server := serverLabel(name)
	rm := k.req
	return &observer{
		rm: rm, server: server, next: next,
		inFlight: rm.inFlight.WithLabelValues(server),
		aborted:  rm.aborted.WithLabelValues(server),
		bodyIn:   rm.bodyIn.WithLabelValues(server),
		bodyOut:  rm.bodyOut.WithLabelValues(server),
	}
}

// serverLabel is the server label of the server called name: "default"
// for the default server, as in the kit's logs.
func serverLabel(name string) string {
	if name == "" {
		return "default"
	}
	return name
}

// observer is the middleware's handler for one server.
type observer struct {
	rm                       *requestMetrics
	server                   string
	next                     http.Handler
	inFlight                 prometheus.Gauge
	aborted, bodyIn, bodyOut prometheus.Counter
}

func (o *observer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := &recorder{ResponseWriter: w}
	rec.ctx = recorderContext{Context: r.Context(), rec: rec}
	o.inFlight.Inc()
	if r.ContentLength > 0 {
		o.bodyIn.Add(float64(r.ContentLength))
	}
	finished := false
	defer func() {
		o.inFlight.Dec()
		method := methodLabel(r.Method)
		app := rec.app
		code := rec.class()
		if !finished && rec.status == 0 && !rec.hijacked {
			code = "aborted" // cut off before any status went out
		}
		o.rm.requests.WithLabelValues(o.server, app, method, code).Inc()
		o.rm.duration.WithLabelValues(o.server, app, method).Observe(time.Since(start).Seconds())
		if n := rec.sentBytes(r.Method); n > 0 {
			o.bodyOut.Add(float64(n))
		}
		if !finished {
			o.aborted.Inc()
		}
	}()
	o.next.ServeHTTP(rec, r.WithContext(&rec.ctx))
	finished = true
}

// recorderKey is the context key under which a request's recorder is
// found, by the after_request listener.
type recorderKey struct{}

// recorderContext is the request's context with its recorder as a value:
// it lives inside the recorder, so that both cost one allocation.
type recorderContext struct {
	context.Context
	rec *recorder
}

func (c *recorderContext) Value(key any) any {
	if _, ok := key.(recorderKey); ok {
		return c.rec
	}
	return c.Context.Value(key)
}

// subscribe makes the engine's after_request channel tell each request's
// recorder the mount point of the app that served it: the app label. A
// request no app was chosen for (the thread pool's 503, say, answered
// before the engine ran) keeps an empty app label.
func (rm *requestMetrics) subscribe(m *cherrygo.Manager) {
	buses := []*engine.Bus{m.Bus()}
	if tb := m.Tree().Bus; tb != nil && tb != m.Bus() {
		buses = append(buses, tb) // a tree of the program's with a bus of its own
	}
	for _, b := range buses {
		b.Subscribe(engine.ChannelAfterRequest, afterRequest, engine.DefaultPriority)
	}
}

// afterRequest is the after_request listener.
func afterRequest(_ context.Context, arg any) (any, error) {
	req, ok := arg.(*engine.Request)
	if !ok {
		return nil, nil
	}
	if rec, ok := req.Context().Value(recorderKey{}).(*recorder); ok {
		rec.app = appLabel(req.ScriptName)
	}
	return nil, nil
}

// appLabel is the app label of the mount point scriptName: "/" for the
// root app (and for a request no mounted app matched, which the engine
// answers 404 from the root).
func appLabel(scriptName string) string {
	if scriptName == "" {
		return "/"
	}
	return scriptName
}

// methodLabel is the method label: the method for the ones net/http
// names, "other" for the rest, so that a client cannot make up series.
func methodLabel(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return method
	}
	return "other"
}

// classes are the code label values by the status's first digit.
var classes = [...]string{"", "1xx", "2xx", "3xx", "4xx", "5xx", "6xx", "7xx", "8xx", "9xx"}

// statusClass is the code label of a final status: its class ("2xx", …), or
// "hijacked" for a connection taken over without a status written.
func statusClass(status int, hijacked bool) string {
	if status == 0 && hijacked {
		return "hijacked"
	}
	if status == 0 {
		status = http.StatusOK // nothing written: net/http sends 200
	}
	if d := status / 100; d >= 1 && d <= 9 {
		return classes[d]
	}
	return "other" // not reached: net/http refuses codes outside 100–999
}
