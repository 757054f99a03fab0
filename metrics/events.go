package metrics

import (
	"context"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/seed-49a6713b/cherrygo/engine"
	"github.com/seed-49a6713b/cherrygo/engine/plugins"
)

// eventMetrics count what the bus's channels tell: graceful reloads and
// upgrades. They count from the process's start: an upgrade's new process
// begins again at zero.
type eventMetrics struct {
	reloads, upgrades, handedOver prometheus.Counter
	// stopRequested is set once a shutdown delay began (plugins'
	// ChannelStopRequested); it is never cleared, as the program is on its
	// way out.
	stopRequested atomic.Bool
}

func newEventMetrics() *eventMetrics {
	return &eventMetrics{
		reloads: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "cherrygo_reloads_total",
			Help: "Graceful reloads (the bus's graceful channel: SIGUSR1, Bus.Graceful).",
		}),
		upgrades: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "cherrygo_upgrades_total",
			Help: "Zero-downtime upgrades requested (SIGHUP, Manager.Upgrade), whether or not they went through.",
		}),
		handedOver: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "cherrygo_upgrades_handed_over_total",
			Help: "Upgrades that handed the service to a new process (this one then drains and exits).",
		}),
	}
}

// subscribe counts b's events from now on.
func (e *eventMetrics) subscribe(b *engine.Bus) {
	count := func(c prometheus.Counter) engine.Listener {
		return func(context.Context, any) (any, error) { c.Inc(); return nil, nil }
	}
	b.Subscribe(engine.ChannelGraceful, count(e.reloads), engine.DefaultPriority)
	b.Subscribe(plugins.ChannelUpgrade, count(e.upgrades), engine.DefaultPriority)
	b.Subscribe(plugins.ChannelHandedOver, count(e.handedOver), engine.DefaultPriority)
	b.Subscribe(plugins.ChannelStopRequested, func(context.Context, any) (any, error) {
		e.stopRequested.Store(true)
		return nil, nil
	}, engine.DefaultPriority-1)
}

func (e *eventMetrics) Describe(ch chan<- *prometheus.Desc) {
	for _, c := range e.counters() {
		c.Describe(ch)
	}
}

func (e *eventMetrics) Collect(ch chan<- prometheus.Metric) {
	for _, c := range e.counters() {
		c.Collect(ch)
	}
}

func (e *eventMetrics) counters() [3]prometheus.Counter {
	return [...]prometheus.Counter{e.reloads, e.upgrades, e.handedOver}
}
