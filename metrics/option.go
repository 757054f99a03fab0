package metrics

import (
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	cherrygo "github.com/seed-49a6713b/cherrygo"
)

// Config says where the metrics go. The zero value is the usual choice:
// a registry of the package's own, with Go's and the process's metrics.
type Config struct {
	// Registry receives the kit's metrics and is what SERVER_METRICS_PATH
	// serves, so that the program's own metrics registered on it are
	// scraped with them. Nil means a new registry with the Go runtime's
	// and the process's collectors (go_*, process_*) and promhttp's
	// scrape counters (promhttp_metric_handler_*); a registry given here
	// gets the kit's metrics only.
	Registry *prometheus.Registry
	// Buckets are the upper bounds, in seconds, of the request duration
	// histogram. Nil means prometheus.DefBuckets (5 ms to 10 s).
	Buckets []float64
}

// Option serves the kit's metrics in the Prometheus text format at the
// path SERVER_METRICS_PATH (SERVER_<NAME>_METRICS_PATH for a named server)
// sets: Config{}.Option().
func Option() cherrygo.Option { return Config{}.Option() }

// Option returns the cherrygo.Option that counts every request of the
// kit's servers (cherrygo.WithMiddleware) and serves the metrics at
// SERVER_METRICS_PATH (cherrygo.WithMetricsHandler).
//
// An Option serves the Manager it is given to: give each cherrygo.New an
// Option of its own. A second Manager built with the same one serves a
// 500 at its metrics path, and logs why.
func (c Config) Option() cherrygo.Option {
	k := newKit(c)
	return cherrygo.Options(
		cherrygo.WithMiddleware(k.middleware),
		cherrygo.WithMetricsHandler(k.handler),
	)
}

// kit is what one Option keeps: the per-request metrics, which the
// middleware updates from New on, and the registry.
type kit struct {
	reg     *prometheus.Registry
	ownReg  bool
	req     *requestMetrics
	events  *eventMetrics
	mu      sync.Mutex // guards manager
	manager *cherrygo.Manager
}

func newKit(c Config) *kit {
	k := &kit{reg: c.Registry, req: newRequestMetrics(c.Buckets), events: newEventMetrics()}
	if k.reg == nil {
		k.reg, k.ownReg = prometheus.NewRegistry(), true
	}
	return k
}

// handler is WithMetricsHandler's build: it binds the kit to m (the
// collector of m's state, the bus's channels) and returns the handler of
// the metrics path.
func (k *kit) handler(m *cherrygo.Manager) http.Handler {
	log := m.Logger()
	k.mu.Lock()
	other := k.manager != nil && k.manager != m
	if k.manager == nil {
		k.manager = m
	}
	k.mu.Unlock()
	if other {
		msg := "metrics: this metrics.Option already serves another Manager: give each cherrygo.New an Option of its own"
		log.Error(msg)
		return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			http.Error(w, msg, http.StatusInternalServerError)
		})
	}
	k.events.subscribe(m.Bus())
	k.req.subscribe(m)
	cs := []prometheus.Collector{k.req, k.events, &stateCollector{m: m, events: k.events}}
	if k.ownReg {
		cs = append(cs, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	for _, c := range cs {
		if err := k.reg.Register(c); err != nil {
			log.Error("metrics: cannot register the kit's metrics", "err", err)
		}
	}
	var h http.Handler = promhttp.HandlerFor(k.reg, promhttp.HandlerOpts{ErrorLog: errorLog{log}, Registry: k.reg})
	if k.ownReg {
		h = promhttp.InstrumentMetricHandler(k.reg, h)
	}
	return h
}

// errorLog passes promhttp's errors to the kit's logger.
type errorLog struct{ log *slog.Logger }

func (e errorLog) Println(v ...any) {
	e.log.Error("metrics: " + strings.TrimSuffix(fmt.Sprintln(v...), "\n"))
}
