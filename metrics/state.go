package metrics

import (
	"context"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	cherrygo "github.com/seed-49a6713b/cherrygo"
	"github.com/seed-49a6713b/cherrygo/engine"
	"github.com/seed-49a6713b/cherrygo/stdlib"
)

// Descriptions of the metrics read from the manager at each scrape.
var (
	readyDesc = prometheus.NewDesc("cherrygo_ready",
		"1 while the program is ready for traffic (what SERVER_READINESS_PATH answers 200 for: Manager.Ready has no reason against), else 0.", nil, nil)
	stoppingDesc = prometheus.NewDesc("cherrygo_stopping",
		"1 once a stop began: a shutdown delay (SERVER_SHUTDOWN_DELAY: readiness fails, the servers still serve) or the drain (the bus STOPPING or EXITING), else 0.", nil, nil)
	busStateDesc = prometheus.NewDesc("cherrygo_bus_state",
		"The bus's state: 1 for the current one, 0 for the others.", []string{"state"}, nil)
	serverDesc = prometheus.NewDesc("cherrygo_server_serving",
		"1 while the server is serving, else 0.", []string{"server"}, nil)
	connDesc = prometheus.NewDesc("cherrygo_connections",
		"Open connections of the server, by http.ConnState (new, active, idle, hijacked); the kit's own servers only.", []string{"server", "state"}, nil)
)

// busStates are the bus's states, in order, for cherrygo_bus_state.
var busStates = [...]engine.State{engine.Stopped, engine.Starting, engine.Started, engine.Stopping, engine.Exiting}

// connCounter is a server that counts its connections by state, as the
// stdlib backends do.
type connCounter interface{ Connections() stdlib.ConnCounts }

// stateCollector reads the manager's state at each scrape.
type stateCollector struct {
	m      *cherrygo.Manager
	events *eventMetrics
}

func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range [...]*prometheus.Desc{readyDesc, stoppingDesc, busStateDesc, serverDesc, connDesc} {
		ch <- d
	}
}

// Collect runs Manager.Ready, whose readiness checks each end within their
// own timeout.
func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	m := c.m
	ch <- gauge(readyDesc, len(m.Ready(context.Background())) == 0)
	st := m.Bus().State()
	ch <- gauge(stoppingDesc, c.events.stopRequested.Load() || st == engine.Stopping || st == engine.Exiting)
	for _, s := range busStates {
		ch <- gauge(busStateDesc, s == st, strings.ToLower(s.String()))
	}
	for _, a := range m.Servers() {
		server := serverLabel(a.Name())
		ch <- gauge(serverDesc, a.Running(), server)
		cc, ok := a.Server().(connCounter)
		if !ok {
			continue
		}
		n := cc.Connections()
		for _, s := range [...]struct {
			state string
			n     int
		}{{"new", n.New}, {"active", n.Active}, {"idle", n.Idle}, {"hijacked", n.Hijacked}} {
			ch <- prometheus.MustNewConstMetric(connDesc, prometheus.GaugeValue, float64(s.n), server, s.state)
		}
	}
}

// gauge is a 0/1 gauge of desc.
func gauge(desc *prometheus.Desc, on bool, labels ...string) prometheus.Metric {
	v := 0.0
	if on {
		v = 1
	}
	return prometheus.MustNewConstMetric(desc, prometheus.GaugeValue, v, labels...)
}
