package cherrygo

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"

	"github.com/seed-49a6713b/cherrygo/adapter"
	"github.com/seed-49a6713b/cherrygo/adapter/settings"
	"github.com/seed-49a6713b/cherrygo/engine"
	"github.com/seed-49a6713b/cherrygo/engine/plugins"
	"github.com/seed-49a6713b/cherrygo/stdlib"
)

// Option adjusts Quickstart.
type Option func(*options)

type options struct {
	stderr   io.Writer
	logger   *slog.Logger
	environ  map[string]string
	managers []adapter.ManagerOption
	signals  *plugins.SignalHandler
	ready    func(*adapter.Manager)
}

// WithStderr sets where the log and the error messages go (os.Stderr by
// default).
func WithStderr(w io.Writer) Option { return func(s *options) { s.stderr = w } }

// WithLogger sets the logger (a text logger on stderr by default).
func WithLogger(l *slog.Logger) Option { return func(s *options) { s.logger = l } }

// WithEnvironment reads the SERVER_* settings from environ instead of the
// process environment.
func WithEnvironment(environ map[string]string) Option {
	return func(s *options) { s.environ = environ }
}

// WithManagerOptions passes options on to adapter.NewManager (named custom
// servers, an access log, …).
func WithManagerOptions(opts ...adapter.ManagerOption) Option {
	return func(s *options) { s.managers = append(s.managers, opts...) }
}

// WithSignals replaces the default signal handler (tests inject signals
// through one whose Signals channel they own).
func WithSignals(h *plugins.SignalHandler) Option { return func(s *options) { s.signals = h } }

// WithReady calls fn once every server is serving, in a goroutine the bus
// owns (the manager tells the bound addresses).
func WithReady(fn func(*adapter.Manager)) Option { return func(s *options) { s.ready = fn } }

// Quickstart serves tree on the servers the SERVER_* variables describe,
// with stdlib backends, the gateway and the signal handler, until a signal
// or a failure ends it, and returns the exit code for main:
//
//	0    stopped gracefully: SIGTERM, SIGINT or ctx cancelled, also when
//	     the drain had to cut requests off once SHUTDOWN_TIMEOUT passed
//	     (that is logged as a warning saying how many)
//	1    a server could not start (the message names the address) or died
//	2    a bad setting (every problem is printed)
//	130  a second SIGINT while the first stop is under way
//
// SIGHUP and SIGUSR1 reload gracefully (the bus's graceful channel).
//
// It is CherryPy's cherrypy.quickstart; the pieces it puts together are
// public, for a main that needs more control.
func Quickstart(ctx context.Context, tree *engine.Tree, opts ...Option) int {
	s := options{stderr: os.Stderr}
	for _, o := range opts {
		o(&s)
	}
	if s.logger == nil {
		s.logger = slog.New(slog.NewTextHandler(s.stderr, nil))
	}
	if s.signals == nil {
		s.signals = &plugins.SignalHandler{}
	}
	fail := func(err error) int {
		fmt.Fprintf(s.stderr, "%s: %v\n", filepath.Base(os.Args[0]), err)
		return adapter.ExitCode(err)
	}

	bus := engine.New(engine.WithLogger(s.logger))
	defer s.signals.Subscribe(bus)()

	backend := func(cfg settings.Config, h http.Handler) (adapter.Server, error) {
		return stdlib.New(cfg, h, stdlib.WithLogger(s.logger))
	}
	mopts := append([]adapter.ManagerOption{adapter.WithBackend(backend)}, s.managers...)
	if s.environ != nil {
		mopts = append(mopts, adapter.WithEnvironment(s.environ))
	}
	servers, err := adapter.NewManager(bus, tree, mopts...)
	if err != nil {
		return fail(err)
	}
	defer servers.Close()
	var ready func(context.Context)
	if s.ready != nil {
		ready = func(context.Context) { s.ready(servers) }
	}
	if err := servers.QuickstartWithCallback(ctx, ready); err != nil {
		return fail(err)
	}
	return bus.ExitCode()
}
