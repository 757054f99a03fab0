package cherrygo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/seed-49a6713b/cherrygo/adapter"
	"github.com/seed-49a6713b/cherrygo/adapter/settings"
	"github.com/seed-49a6713b/cherrygo/engine"
	"github.com/seed-49a6713b/cherrygo/engine/plugins"
	"github.com/seed-49a6713b/cherrygo/gateway"
	"github.com/seed-49a6713b/cherrygo/stdlib"
)

// Manager is CherryPy's cherrypy.server together with the bus it runs on:
// it reads the settings of the default server and of the named ones, builds
// a server for each that is on (with the stdlib backends unless told
// otherwise), puts each behind the gateway with the policies its settings
// ask for, and subscribes them and the plugins to its own engine.Bus.
//
// Create it with New; Run serves until a signal or a failure ends it.
type Manager struct {
	bus      *engine.Bus
	tree     *engine.Tree
	log      *slog.Logger
	opts     options
	stats    *gateway.Statistics
	adapters []*adapter.ServerAdapter
	// inherited holds the sockets of socket activation, by server name.
	inherited map[string]net.Listener
	// inheritedUDP holds the UDP sockets of socket activation, by server
	// name, for HTTP/3.
	inheritedUDP map[string]net.PacketConn
	// handed holds the sockets an upgrade's old process handed this one;
	// h3After is closed once that process is gone (nil without a handed
	// UDP socket).
	handed  map[string][]handedSocket
	h3After <-chan struct{}
	// external names the servers whose sockets are someone else's
	// (systemd's), handable those that can hand theirs to an upgrade.
	external, handable map[string]bool
	// drain is the longest SHUTDOWN_TIMEOUT of the servers.
	drain time.Duration
	// delay is SERVER_SHUTDOWN_DELAY, the signal handler's Delay.
	delay time.Duration
	// stopRequested is set once a shutdown delay began: readiness fails.
	stopRequested  atomic.Bool
	metricsHandler http.Handler
}

// stopMargin is what a stop may take beyond its servers' drain: the stop
// listeners of plugins, StopGrace, a process's exit.
const stopMargin = 5 * time.Second

// drainBound is the longest SHUTDOWN_TIMEOUT of cfgs: the servers drain in
// parallel.
func drainBound(cfgs []settings.Config) time.Duration {
	var d time.Duration
	for _, c := range cfgs {
		d = max(d, c.ShutdownTimeout)
	}
	return d
}

// New builds the servers the SERVER_* variables describe (and those the
// options add) for tree, and subscribes them and the options' plugins to a
// new bus. Nothing binds until Run or Start.
//
// A nil tree is an empty one. A tree without a Bus gets the manager's, so
// that before_request and after_request are published, and a tree without
// a Logger gets the manager's, so that handler panics are logged where
// everything else is.
//
// A bad setting gives a *settings.ConfigError listing every problem (each
// naming the variable, its value and the form it accepts); a variable no
// server reads is logged as a warning naming the closest known one.
func New(tree *engine.Tree, opts ...Option) (*Manager, error) {
	m := &Manager{opts: options{stderr: os.Stderr}, external: map[string]bool{}, handable: map[string]bool{}}
	for _, o := range opts {
		o(&m.opts)
	}
	o := &m.opts
	if o.logger == nil {
		o.logger = slog.New(slog.NewTextHandler(o.stderr, nil))
	}
	m.log = o.logger
	if tree == nil {
		tree = engine.NewTree()
	}
	ownBackend := o.backend != nil
	if !ownBackend {
		o.backend = func(cfg settings.Config, h http.Handler) (adapter.Server, error) {
			opts := []stdlib.Option{stdlib.WithLogger(m.log), stdlib.WithListener(m.inherited[cfg.Name]), stdlib.WithPacketConn(m.inheritedUDP[cfg.Name])}
			m.handable[cfg.Name] = true
			return stdlib.New(cfg, h, append(opts, handedOptions(m.handed[cfg.Name], m.h3After)...)...)
		}
	}
	// The hand-over of an upgrade comes before socket activation: an
	// upgrade's new process gets systemd's sockets from the old one.
	handoff, err := plugins.ReceiveHandoff()
	if err != nil {
		return nil, err
	}

	environ, err := m.environment()
	if err != nil {
		closeHandoff(handoff)
		return nil, err
	}
	cfgs, err := settings.Load(environ)
	if err != nil {
		closeHandoff(handoff)
		return nil, err
	}
	for _, w := range settings.Unknown(environ) {
		m.log.Warn(w)
	}
	if err := m.endpointProblems(cfgs); err != nil {
		closeHandoff(handoff)
		return nil, err
	}
	m.drain, m.delay = drainBound(cfgs), cfgs[0].ShutdownDelay
	m.bus = engine.New(engine.WithLogger(m.log), engine.WithStopTimeout(max(engine.DefaultStopTimeout, m.drain+stopMargin)))
	if tree.Bus == nil {
		tree.Bus = m.bus
	}
	if tree.Logger == nil {
		tree.Logger = m.log
	}
	m.tree = tree
	if m.inherited, m.inheritedUDP, err = m.inherit(cfgs); err != nil {
		return nil, err
	}
	if len(m.inherited) > 0 && ownBackend {
		return nil, errors.New("cherrygo: socket activation passed sockets, but WithBackend's servers cannot take them: only the stdlib backend can")
	}
	for name, l := range m.inherited {
		m.external[name] = true
		m.log.Info("socket activation", "server", label(name), "network", l.Addr().Network(), "addr", l.Addr().String())
	}
	for name, pc := range m.inheritedUDP {
		m.log.Info("socket activation", "server", label(name), "network", pc.LocalAddr().Network(), "addr", pc.LocalAddr().String(), "http3", true)
	}
	if m.handed, err = m.takeHandoff(handoff, cfgs); err != nil {
		return nil, err
	}
	for name, hs := range m.handed {
		if _, custom := o.httpServers[name]; ownBackend && !custom {
			m.log.Warn("upgrade: WithBackend's servers cannot take handed-over sockets: binding anew", "server", label(name))
			continue
		}
		for _, h := range hs {
			m.external[name] = m.external[name] || h.external
		}
	}
	for _, srv := range o.withTree {
		srv.Handler = gateway.New(tree, m.gatewayConfig(cfgs[0]))
	}
	m.rebuildHTTPServers(m.handed)
	for name := range o.httpServers {
		m.handable[name] = true
	}
	configured := map[string]bool{}
	for _, cfg := range cfgs {
		configured[cfg.Name] = true
		if !cfg.On {
			m.log.Info("server is switched off", "server", cfg.Name)
			continue
		}
		if err := m.add(cfg); err != nil {
			return nil, err
		}
	}
	for _, name := range o.order { // servers of the program's own that SERVER_NAMES does not list
		if s, ok := o.custom[name]; ok && !configured[name] {
			cfg := cfgs[0]
			cfg.Name = name
			m.adapters = append(m.adapters, m.adapt(cfg, s, false))
		}
	}

	(&plugins.SystemdNotify{Status: m.status}).Subscribe(m.bus) // nothing without NOTIFY_SOCKET
	for _, p := range o.plugins {
		p.Subscribe(m.bus)
	}
	m.bus.SubscribeComponent(serverGroup(m.adapters), engine.PriorityServerStart, engine.PriorityServerStop)
	m.subscribeUpgrade(handoff)
	m.bus.Subscribe(engine.ChannelGraceful, m.reloadCertificates, engine.DefaultPriority)
	m.bus.Subscribe(plugins.ChannelStopRequested, func(context.Context, any) (any, error) {
		m.stopRequested.Store(true)
		return nil, nil
	}, engine.DefaultPriority-1) // before the others hear of it
	if m.opts.metrics != nil {
		m.metricsHandler = m.opts.metrics(m)
	}
	return m, nil
}

// environment is the process environment (or WithEnvironment's) over
// WithDefaults', with the servers of WithNamedServer added to
// SERVER_NAMES.
func (m *Manager) environment() (map[string]string, error) {
	o := &m.opts
	env := o.environ
	if env == nil {
		env = settings.Environ()
	}
	merged := maps.Clone(o.defaults)
	if merged == nil {
		merged = map[string]string{}
	}
	maps.Copy(merged, env)
	if len(o.handlers) == 0 {
		return merged, nil
	}
	listed := map[string]bool{}
	for n := range strings.SplitSeq(merged["SERVER_NAMES"], ",") {
		listed[strings.ToLower(strings.TrimSpace(n))] = true
	}
	names := merged["SERVER_NAMES"]
	for _, name := range o.order {
		if _, ok := o.handlers[name]; !ok {
			continue
		}
		if !validName(name) {
			return nil, fmt.Errorf("cherrygo: WithNamedServer(%q): a server name is letters, digits and underscores", name)
		}
		if !listed[strings.ToLower(name)] {
			names = strings.TrimPrefix(names+","+name, ",")
		}
	}
	merged["SERVER_NAMES"] = names
	return merged, nil
}

func validName(name string) bool {
	return name != "" && !strings.ContainsFunc(name, func(r rune) bool {
		return !(r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z')
	})
}

// add builds the server cfg describes (or takes the program's own) and its
// adapter.
func (m *Manager) add(cfg settings.Config) error {
	if s, ok := m.opts.custom[cfg.Name]; ok {
		m.adapters = append(m.adapters, m.adapt(cfg, s, false))
		return nil
	}
	tree := m.tree
	if h, ok := m.handlerFor(cfg.Name); ok {
		tree = engine.NewTree()
		tree.Bus, tree.Logger = m.bus, m.log
		tree.ErrorPage, tree.Tracebacks = m.tree.ErrorPage, m.tree.Tracebacks
		tree.Mount("/", h)
	}
	s, err := m.opts.backend(cfg, m.withEndpoints(cfg, m.wrap(cfg.Name, gateway.New(tree, m.gatewayConfig(cfg)))))
	if err != nil {
		return err
	}
	m.adapters = append(m.adapters, m.adapt(cfg, s, true))
	return nil
}

// handlerFor returns WithNamedServer's handler for the server called name.
func (m *Manager) handlerFor(name string) (http.Handler, bool) {
	for n, h := range m.opts.handlers {
		if strings.EqualFold(n, name) {
			return h, true
		}
	}
	return nil, false
}

func (m *Manager) adapt(cfg settings.Config, s adapter.Server, withAddress bool) *adapter.ServerAdapter {
	opts := []adapter.Option{
		adapter.WithName(cfg.Name),
		adapter.WithShutdownTimeout(cfg.ShutdownTimeout),
		adapter.WithLogger(m.log),
	}
	if withAddress {
		opts = append(opts, adapter.WithAddress(cfg.Network(), cfg.Addr()))
	}
	return adapter.NewServerAdapter(m.bus, s, opts...)
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
		TrustedProxies:  gateway.Proxies{Prefixes: cfg.TrustedProxies.Prefixes, Unix: cfg.TrustedProxies.Unix},
		ServerName:      cfg.Name,
		Logger:          m.log,
	}
	if m.opts.accessOn {
		if m.opts.accessOut != nil {
			gc.AccessLog = m.opts.accessOut
		} else {
			gc.AccessLogger = m.log
		}
	}
	if cfg.Statistics {
		if m.stats == nil {
			m.stats = gateway.NewStatistics()
		}
		gc.Statistics = m.stats
	}
	return gc
}

// serverGroup starts the manager's servers in order and stops them all at
// once, so that stopping N servers takes one SHUTDOWN_TIMEOUT, not N.
type serverGroup []*adapter.ServerAdapter

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

// Run serves until the program is told to stop, and returns nil after a
// graceful stop. It is what Quickstart runs; a main that wants the error
// rather than an exit code calls it itself.
//
// Run subscribes the signal handler (SIGTERM and SIGINT stop, SIGHUP
// upgrades without downtime, SIGUSR1 reloads gracefully; see WithSignals
// and Upgrade), starts every server (rolling
// back and returning the error, which names the address, when one cannot
// start), calls WithReady's function, and blocks until the bus exits. When
// ctx ends first, that is a graceful stop, as a SIGTERM is: Run stops the
// servers and returns nil, or what went wrong on the way out. It returns
// the error a server died of, if one did. The bus's ExitCode then tells
// main what to exit with (Quickstart does that).
func (m *Manager) Run(ctx context.Context) error {
	signals := m.opts.signals
	if signals == nil {
		signals = &plugins.SignalHandler{Hangup: plugins.HangupUpgrade}
	}
	if signals.Delay == 0 && m.delay > 0 {
		h := *signals // the program's handler stays as it was
		h.Delay = m.delay
		signals = &h
	}
	defer signals.Subscribe(m.bus)()

	var err error
	if fn := m.opts.ready; fn != nil {
		err = m.bus.StartWithCallback(ctx, func(context.Context) { fn(m) })
	} else {
		err = m.bus.Start(ctx)
	}
	if err != nil {
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

// Start starts every server and returns once each is verified serving,
// without signals and without blocking: for a test, or a program that
// embeds the manager in a lifecycle of its own. Exit stops them again.
func (m *Manager) Start(ctx context.Context) error { return m.bus.Start(ctx) }

// Exit stops every server (draining within their SHUTDOWN_TIMEOUT) and
// the plugins, for good.
func (m *Manager) Exit(ctx context.Context) error { return m.bus.Exit(ctx) }

// ExitCode is what main should exit with once Run returned nil (see
// Quickstart).
func (m *Manager) ExitCode() int { return m.bus.ExitCode() }

// Bus returns the manager's bus, for subscribing listeners to its
// channels.
func (m *Manager) Bus() *engine.Bus { return m.bus }

// Tree returns the tree the servers serve.
func (m *Manager) Tree() *engine.Tree { return m.tree }

// Logger returns the logger every part of the kit logs to.
func (m *Manager) Logger() *slog.Logger { return m.log }

// Statistics returns the request statistics of the servers whose
// SERVER_*STATISTICS is on (nil when none is). It is an http.Handler that
// serves them as JSON, and can be published through expvar.
func (m *Manager) Statistics() *gateway.Statistics { return m.stats }

// status is the STATUS= line of sd_notify: the addresses served.
func (m *Manager) status() string {
	urls := make([]string, 0, len(m.adapters))
	for _, a := range m.adapters {
		if u := a.URL(); u != "" {
			urls = append(urls, label(a.Name())+" "+u)
		}
	}
	return "serving: " + strings.Join(urls, ", ")
}

// Servers returns the adapters of the servers that are on: the default
// server first, then the named ones.
func (m *Manager) Servers() []*adapter.ServerAdapter { return slices.Clone(m.adapters) }

// Server returns the adapter of the server called name ("" for the
// default), or nil.
func (m *Manager) Server(name string) *adapter.ServerAdapter {
	for _, a := range m.adapters {
		if strings.EqualFold(a.Name(), name) {
			return a
		}
	}
	return nil
}

// Addr returns the default server's bound address (the real port when
// configured with 0), or nil when it is not serving.
func (m *Manager) Addr() net.Addr {
	if a := m.Server(""); a != nil {
		return a.Addr()
	}
	return nil
}

// URL returns the default server's base URL ("http://127.0.0.1:8080",
// "https://…", "unix:/path"), or "" when it is not serving.
func (m *Manager) URL() string {
	if a := m.Server(""); a != nil {
		return a.URL()
	}
	return ""
}

// Upgrade hands the service to a new copy of the program without refusing
// or dropping a connection, as SIGHUP does under Run: the executable on
// disk now starts with the same arguments, environment and working
// directory, serves every socket of this process once its own checks pass,
// and this one then drains and exits (see plugins.Upgrader). It returns at
// once; the log tells how the upgrade went.
func (m *Manager) Upgrade() {
	_, _ = m.bus.Publish(context.Background(), plugins.ChannelUpgrade, nil)
}

// certificateReloader is a server whose TLS pair can be read again while it
// runs (stdlib.Server).
type certificateReloader interface {
	ReloadCertificate() error
}

// reloadCertificates, on the graceful channel (SIGUSR1, SIGHUP by
// default, Bus.Graceful), has every server that can read its TLS files
// again do so. A pair that is refused leaves that server presenting the
// previous one; the server has logged which file, and the graceful reload
// goes on, so one bad file never stops the others reloading.
func (m *Manager) reloadCertificates(context.Context, any) (any, error) {
	for _, a := range m.adapters {
		if r, ok := a.Server().(certificateReloader); ok {
			_ = r.ReloadCertificate()
		}
	}
	return nil, nil
}
