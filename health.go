package cherrygo

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/seed-49a6713b/cherrygo/adapter/settings"
	"github.com/seed-49a6713b/cherrygo/engine"
)

// DefaultCheckTimeout bounds a health check added with a timeout that is
// not positive.
const DefaultCheckTimeout = time.Second

// healthCheck is an application check of WithReadinessCheck or
// WithLivenessCheck.
type healthCheck struct {
	name    string
	timeout time.Duration
	fn      func(ctx context.Context) error
}

// WithReadinessCheck adds an application check to readiness (the server's
// SERVER_READINESS_PATH, and Manager.Ready): each probe calls check with a
// context that ends after timeout (DefaultCheckTimeout when not positive),
// and an error, or no answer in time, makes readiness 503 with a line
// naming the check. The checks of one probe run concurrently.
func WithReadinessCheck(name string, timeout time.Duration, check func(ctx context.Context) error) Option {
	return func(o *options) {
		o.readyChecks = append(o.readyChecks, healthCheck{name, timeout, check})
	}
}

// WithLivenessCheck adds an application check to liveness
// (SERVER_LIVENESS_PATH), as WithReadinessCheck does to readiness. Keep
// liveness checks to what a restart of the process would cure: a failing
// one makes an orchestrator kill the process.
func WithLivenessCheck(name string, timeout time.Duration, check func(ctx context.Context) error) Option {
	return func(o *options) {
		o.liveChecks = append(o.liveChecks, healthCheck{name, timeout, check})
	}
}

// WithMetricsHandler serves what build returns at SERVER_METRICS_PATH (on
// each server that sets it). The metrics package uses it; a program that
// does not import that package links no metrics code. build is called
// once, at the end of New.
func WithMetricsHandler(build func(m *Manager) http.Handler) Option {
	return func(o *options) { o.metrics = build }
}

// Ready reports why the program is not ready to take traffic, one reason
// per failing condition, or nothing when it is: the bus is Started, no
// stop (shutdown delay or drain) is under way, every server serves, and
// every WithReadinessCheck check passes within its timeout.
func (m *Manager) Ready(ctx context.Context) []string {
	var reasons []string
	if m.stopRequested.Load() {
		reasons = append(reasons, "stopping: shutdown delay")
	}
	switch st := m.bus.State(); st {
	case engine.Started:
	case engine.Stopping, engine.Exiting:
		if !m.stopRequested.Load() {
			reasons = append(reasons, "stopping: draining")
		}
	default:
		reasons = append(reasons, "bus: "+strings.ToLower(st.String()))
	}
	for _, a := range m.adapters {
		if !a.Running() {
			reasons = append(reasons, "server "+label(a.Name())+": not serving")
		}
	}
	return append(reasons, runChecks(ctx, m.opts.readyChecks)...)
}

// Live reports why the process should be restarted, or nothing: it answers
// (a wedged process would not) and every WithLivenessCheck check passes.
func (m *Manager) Live(ctx context.Context) []string {
	return runChecks(ctx, m.opts.liveChecks)
}

// runChecks runs checks concurrently and returns a line for each failure.
func runChecks(ctx context.Context, checks []healthCheck) []string {
	if len(checks) == 0 {
		return nil
	}
	failed := make([]string, len(checks))
	var wg sync.WaitGroup
	for i, c := range checks {
		wg.Go(func() { failed[i] = runCheck(ctx, c) })
	}
	wg.Wait()
	var out []string
	for _, f := range failed {
		if f != "" {
			out = append(out, f)
		}
	}
	return out
}

// runCheck runs one check; a check that ignores its context is not waited
// for past its timeout (its goroutine finishes on its own).
func runCheck(ctx context.Context, c healthCheck) string {
	timeout := c.timeout
	if timeout <= 0 {
		timeout = DefaultCheckTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		defer func() {
			if v := recover(); v != nil {
				done <- fmt.Errorf("panic: %v", v)
			}
		}()
		done <- c.fn(ctx)
	}()
	var err error
	select {
	case err = <-done:
	case <-ctx.Done():
		err = ctx.Err()
	}
	switch {
	case err == nil:
		return ""
	case errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil:
		return fmt.Sprintf("check %s: no answer within %v", c.name, timeout)
	default:
		return fmt.Sprintf("check %s: %v", c.name, oneLine(err.Error()))
	}
}

func oneLine(s string) string { return strings.ReplaceAll(s, "\n", " ") }

// ReadinessHandler answers 200 "ok" while Ready has nothing to say, else
// 503 with one line per reason: what SERVER_READINESS_PATH serves, for a
// program that mounts it on a router of its own.
func (m *Manager) ReadinessHandler() http.Handler { return healthHandler(m.Ready) }

// LivenessHandler is ReadinessHandler for Live (SERVER_LIVENESS_PATH).
func (m *Manager) LivenessHandler() http.Handler { return healthHandler(m.Live) }

func healthHandler(probe func(context.Context) []string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		h := w.Header()
		h.Set("Content-Type", "text/plain; charset=utf-8")
		h.Set("Cache-Control", "no-store")
		h.Set("X-Content-Type-Options", "nosniff")
		reasons := probe(r.Context())
		if len(reasons) == 0 {
			_, _ = w.Write([]byte("ok\n"))
			return
		}
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte(strings.Join(reasons, "\n") + "\n"))
	})
}

// endpoints answers the health and metrics paths of one server before its
// application does.
type endpoints struct {
	m                   *Manager
	live, ready, metric string
	liveH, readyH       http.Handler
	next                http.Handler
}

func (e *endpoints) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch p := r.URL.Path; {
	case p == e.ready && e.ready != "":
		e.readyH.ServeHTTP(w, r)
	case p == e.live && e.live != "":
		e.liveH.ServeHTTP(w, r)
	case p == e.metric && e.metric != "":
		e.m.metricsHandler.ServeHTTP(w, r)
	default:
		e.next.ServeHTTP(w, r)
	}
}

// withEndpoints puts cfg's health and metrics paths in front of h; with
// none set it returns h itself, at no cost per request.
func (m *Manager) withEndpoints(cfg settings.Config, h http.Handler) http.Handler {
	if cfg.LivenessPath == "" && cfg.ReadinessPath == "" && cfg.MetricsPath == "" {
		return h
	}
	return &endpoints{
		m: m, live: cfg.LivenessPath, ready: cfg.ReadinessPath, metric: cfg.MetricsPath,
		liveH: m.LivenessHandler(), readyH: m.ReadinessHandler(), next: h,
	}
}

// endpointProblems are the health and metrics settings that cannot be
// served: a metrics path without WithMetricsHandler, and any of them on a
// server the program brings itself.
func (m *Manager) endpointProblems(cfgs []settings.Config) error {
	var problems []*settings.SettingError
	for _, cfg := range cfgs {
		if !cfg.On {
			continue
		}
		_, custom := m.opts.custom[cfg.Name]
		for _, ep := range []struct{ key, path string }{{"LIVENESS_PATH", cfg.LivenessPath}, {"READINESS_PATH", cfg.ReadinessPath}, {"METRICS_PATH", cfg.MetricsPath}} {
			switch {
			case ep.path == "":
			case custom:
				problems = append(problems, &settings.SettingError{
					Var: cfg.Prefix() + ep.key, Value: ep.path,
					Accepted: "unset on a server the program brings itself (WithServer): mount Manager.ReadinessHandler or LivenessHandler on its router instead",
				})
			case ep.key == "METRICS_PATH" && m.opts.metrics == nil:
				problems = append(problems, &settings.SettingError{
					Var: cfg.Prefix() + ep.key, Value: ep.path,
					Accepted: "a path only in a program that serves metrics (the metrics package's option); this one does not",
				})
			}
		}
	}
	if len(problems) > 0 {
		return &settings.ConfigError{Problems: problems}
	}
	return nil
}
