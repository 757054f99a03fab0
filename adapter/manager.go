package adapter

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"

	"github.com/seed-49a6713b/cherrygo/adapter/settings"
	"github.com/seed-49a6713b/cherrygo/engine"
	"github.com/seed-49a6713b/cherrygo/gateway"
)

// Backend builds the server for one server's settings; stdlib.New is the
// kit's own.
// It must check everything it can (TLS files, say) before returning, and
// not bind: binding is Start's job.
type Backend func(cfg settings.Config, h http.Handler) (Server, error)

// Manager is CherryPy's cherrypy.server: it holds the settings of the
// default server and of the named ones, builds a server for each that is
// on, and subscribes each to the bus through a ServerAdapter.
type Manager struct {
	bus      *engine.Bus
	tree     *engine.Tree
	stats    *gateway.Statistics
	access   io.Writer
	backend  Backend
	environ  map[string]string
	configs  []settings.Config
	custom   map[string]Server
	log      *slog.Logger
	adapters []*ServerAdapter
	unsub    func() // unsubscribes the servers from the bus
}

// ManagerOption configures a Manager.
type ManagerOption func(*Manager)

// WithBackend sets how servers are built from their settings.
func WithBackend(b Backend) ManagerOption { return func(m *Manager) { m.backend = b } }

// WithConfigs gives the settings directly instead of reading them from the
// environment; the first is the default server.
func WithConfigs(cfgs ...settings.Config) ManagerOption {
	return func(m *Manager) { m.configs = cfgs }
}

// WithEnvironment reads the settings from environ instead of the process
// environment (tests use it).
func WithEnvironment(environ map[string]string) ManagerOption {
	return func(m *Manager) { m.environ = environ }
}

// WithServer uses s for the server called name ("" for the default) instead
// of building one with the Backend: a server from outside this kit.
func WithServer(name string, s Server) ManagerOption {
	return func(m *Manager) {
		if m.custom == nil {
			m.custom = map[string]Server{}
		}
		m.custom[name] = s
	}
}

// WithAccessLog writes one Combined Log Format line per request of every
// server the manager builds to w.
func WithAccessLog(w io.Writer) ManagerOption { return func(m *Manager) { m.access = w } }

// WithLogger sets the logger for the manager, its adapters and the
// servers' policies, and for the tree when it has none (the bus's logger
// by default).
func WithLogger(l *slog.Logger) ManagerOption { return func(m *Manager) { m.log = l } }

// NewManager reads the settings (from the environment unless WithConfigs or
// WithEnvironment is given), builds a server for every one that is on and
// subscribes each to bus. Nothing binds until the bus starts.
//
// Every server the Backend builds serves tree through the gateway
// (gateway.New), with the policies its settings ask for; a tree without a Bus
// gets bus, so that before_request and after_request are published, and a
// tree without a Logger gets the manager's, so that handler panics are
// logged where everything else is.
//
// A bad setting gives a *settings.ConfigError listing every problem.
func NewManager(bus *engine.Bus, tree *engine.Tree, opts ...ManagerOption) (*Manager, error) {
	if tree == nil {
		tree = engine.NewTree()
	}
	if tree.Bus == nil {
		tree.Bus = bus
	}
	m := &Manager{bus: bus, tree: tree}
	for _, o := range opts {
		o(m)
	}
	if m.log == nil {
		m.log = bus.Logger()
	}
	if tree.Logger == nil {
		tree.Logger = m.log // handler panics and hook failures go where the rest goes
	}
	if m.configs == nil {
		environ := m.environ
		if environ == nil {
			environ = settings.Environ()
		}
		var err error
		if m.configs, err = settings.Load(environ); err != nil {
			return nil, err
		}
		for _, w := range settings.Unknown(environ) {
			m.log.Warn(w)
		}
	}
	var problems []*settings.SettingError
	for _, cfg := range m.configs {
		var ce *settings.ConfigError
		if err := cfg.Validate(); errors.As(err, &ce) {
			problems = append(problems, ce.Problems...)
		}
	}
	if len(problems) > 0 {
		return nil, &settings.ConfigError{Problems: problems}
	}
	for _, cfg := range m.configs {
		if !cfg.On {
			m.log.Info("server is switched off", "server", cfg.Name)
			continue
		}
		if err := m.add(cfg); err != nil {
			return nil, err
		}
	}
	m.unsub = bus.SubscribeComponent(serverGroup(m.adapters), engine.PriorityServerStart, engine.PriorityServerStop)
	return m, nil
}

func (m *Manager) add(cfg settings.Config) error {
	opts := []AdapterOption{
		WithName(cfg.Name),
		WithShutdownTimeout(cfg.ShutdownTimeout),
		WithAdapterLogger(m.log),
	}
	server, custom := m.custom[cfg.Name]
	if !custom {
		if m.backend == nil {
			return fmt.Errorf("adapter: server %q: %w (give the manager a Backend such as stdlib.New, or a Server)", cfg.Name, ErrNoServer)
		}
		var err error
		if server, err = m.backend(cfg, gateway.New(m.tree, m.gatewayConfig(cfg))); err != nil {
			return err
		}
		opts = append(opts, WithAddress(cfg.Network(), cfg.Addr()))
	}
	m.adapters = append(m.adapters, NewServerAdapter(m.bus, server, opts...))
	return nil
}

// serverGroup starts the manager's servers in order and stops them all at
// once, so that stopping N servers takes one SHUTDOWN_TIMEOUT, not N.
type serverGroup []*ServerAdapter

// Start starts each server in turn; when one fails, those already started
// are stopped again before the error returns.
func (g serverGroup) Start(ctx context.Context) error {
	for i, a := range g {
		if err := a.Start(ctx); err != nil {
			if stopErr := g[:i].Stop(context.WithoutCancel(ctx)); stopErr != nil {
				return errors.Join(err, stopErr)
			}
			return err
		}
	}
	return nil
}

// Stop stops every server concurrently and returns their errors joined.
func (g serverGroup) Stop(ctx context.Context) error {
	errs := make([]error, len(g))
	var wg sync.WaitGroup
	for i, a := range g {
		wg.Go(func() { errs[i] = a.Stop(ctx) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// gatewayConfig is cfg's per-request policies, with the manager's shared
// statistics and access log.
func (m *Manager) gatewayConfig(cfg settings.Config) gateway.Config {
	gc := gateway.Config{
		MaxBodySize:     cfg.MaxRequestBodySize,
		ThreadPool:      cfg.ThreadPool,
		QueueSize:       cfg.AcceptedQueueSize,
		QueueTimeout:    cfg.AcceptedQueueTimeout,
		ProtocolVersion: cfg.ProtocolVersion,
		ReverseDNS:      cfg.ReverseDNS,
		ServerName:      cfg.Name,
	}
	gc.AccessLog = m.access
	gc.Logger = m.log
	if cfg.Statistics {
		if m.stats == nil {
			m.stats = gateway.NewStatistics()
		}
		gc.Statistics = m.stats
	}
	return gc
}

// Statistics returns the request statistics of the servers whose
// SERVER_*STATISTICS is on (nil when none is). It is an http.Handler that
// serves them as JSON, and can be published through expvar.
func (m *Manager) Statistics() *gateway.Statistics { return m.stats }

// Tree returns the tree the manager's servers serve.
func (m *Manager) Tree() *engine.Tree { return m.tree }

// Close unsubscribes every server from the bus. It does not stop them.
func (m *Manager) Close() {
	if m.unsub != nil {
		m.unsub()
		m.unsub = nil
	}
}

// Start starts the bus, and so every server, without blocking. On failure
// the servers that started are stopped again and the error says which
// address failed.
func (m *Manager) Start(ctx context.Context) error { return m.bus.Start(ctx) }

// StartWithCallback starts the bus and then runs fn in a goroutine the bus
// owns.
func (m *Manager) StartWithCallback(ctx context.Context, fn func(ctx context.Context)) error {
	return m.bus.StartWithCallback(ctx, fn)
}

// Quickstart starts the bus and blocks until it exits (a signal, an exit
// request, a server failing). It returns the start error, or the first
// error a server died of, or nil after a clean exit; the bus's ExitCode
// tells main what to exit with. When ctx ends first, that is a graceful
// stop, as a SIGTERM is: Quickstart makes the bus exit (so nothing keeps
// serving) and returns nil, or what went wrong on the way out.
func (m *Manager) Quickstart(ctx context.Context) error {
	return m.QuickstartWithCallback(ctx, nil)
}

// QuickstartWithCallback is Quickstart, running fn (when not nil) in a
// goroutine the bus owns once every server is serving.
func (m *Manager) QuickstartWithCallback(ctx context.Context, fn func(ctx context.Context)) error {
	start := m.Start
	if fn != nil {
		start = func(ctx context.Context) error { return m.StartWithCallback(ctx, fn) }
	}
	if err := start(ctx); err != nil {
		return err
	}
	if err := m.bus.Block(ctx); err != nil {
		// The servers' own shutdown timeouts bound this exit.
		exitErr := m.bus.Exit(context.WithoutCancel(ctx))
		if ctx.Err() == nil { // not ctx: a re-exec that failed, say
			return errors.Join(err, exitErr)
		}
		if exitErr != nil { // ctx ended: a graceful stop, unless it failed
			return exitErr
		}
	}
	for _, a := range m.adapters {
		if err := a.Err(); err != nil {
			return err
		}
	}
	return nil
}

// Servers returns the adapters of the servers that are on, the default
// server first.
func (m *Manager) Servers() []*ServerAdapter { return m.adapters }

// Server returns the adapter of the server called name, or nil.
func (m *Manager) Server(name string) *ServerAdapter {
	for _, a := range m.adapters {
		if a.name == name {
			return a
		}
	}
	return nil
}

// Addr returns the default server's bound address (the real port when
// configured with 0), or nil when it is not on.
func (m *Manager) Addr() net.Addr {
	if a := m.Server(""); a != nil {
		return a.Addr()
	}
	return nil
}

// URL returns the default server's base URL ("http://127.0.0.1:8080",
// "https://…", "unix:/path"), or "" when it is not on.
func (m *Manager) URL() string {
	if a := m.Server(""); a != nil {
		return a.URL()
	}
	return ""
}

// ExitCode maps the error a main got from the kit to a process exit code:
// 0 for nil, 2 for a configuration error, 1 for anything else (a bind
// failure, a server that died).
func ExitCode(err error) int {
	var ce *settings.ConfigError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ce):
		return 2
	default:
		return 1
	}
}
