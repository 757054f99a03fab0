package metrics_test

import (
	"context"
	"io"
	"net/http"
	"os"

	"github.com/prometheus/client_golang/prometheus"

	cherrygo "github.com/seed-49a6713b/cherrygo"
	"github.com/seed-49a6713b/cherrygo/engine"
	"github.com/seed-49a6713b/cherrygo/metrics"
)

// One option, and SERVER_METRICS_PATH=/metrics in the environment (or an
// admin server: SERVER_NAMES=admin SERVER_ADMIN_SOCKET_PORT=9090
// SERVER_ADMIN_METRICS_PATH=/metrics).
func ExampleOption() {
	tree := engine.NewTree()
	tree.Mount("/", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, "Hello, world!")
	}))
	os.Exit(cherrygo.Quickstart(context.Background(), tree,
		metrics.Option(),
		cherrygo.WithDefaults("SERVER_METRICS_PATH=/metrics")))
}

// The program's own metrics, on a registry it gives, are scraped with the
// kit's.
func ExampleConfig_Option() {
	reg := prometheus.NewRegistry()
	widgets := prometheus.NewCounter(prometheus.CounterOpts{Name: "shop_widgets_sold_total", Help: "Widgets sold."})
	reg.MustRegister(widgets)

	tree := engine.NewTree()
	tree.Mount("/", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		widgets.Inc()
		io.WriteString(w, "one widget")
	}))
	os.Exit(cherrygo.Quickstart(context.Background(), tree,
		metrics.Config{Registry: reg, Buckets: prometheus.ExponentialBuckets(0.001, 4, 8)}.Option(),
		cherrygo.WithDefaults("SERVER_METRICS_PATH=/metrics")))
}
