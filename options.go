package cherrygo

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/seed-49a6713b/cherrygo/adapter"
	"github.com/seed-49a6713b/cherrygo/adapter/settings"
	"github.com/seed-49a6713b/cherrygo/engine"
	"github.com/seed-49a6713b/cherrygo/engine/plugins"
	"github.com/seed-49a6713b/cherrygo/stdlib"
)

// Option adds one thing to a Manager (and so to Quickstart): a logger, a
// plugin, a server. Every option of the kit's front door has this type.
type Option func(*options)

type options struct {
	stderr   io.Writer
	logger   *slog.Logger
	environ  map[string]string // nil: the process environment
	defaults map[string]string
	backend  Backend
	handlers map[string]http.Handler // named servers serving a handler of their own
	custom   map[string]adapter.Server
	// httpServers are WithHTTPServer's, by name: an upgrade's new process
	// wraps them around the sockets it is handed.
	httpServers map[string]*http.Server
	withTree    []*http.Server // WithHTTPServer servers without a Handler
	order       []string       // custom and handler names in the order given
	accessOn    bool
	accessOut   io.Writer // nil with accessOn: records on the logger
	plugins     []Plugin
	signals     *plugins.SignalHandler
	ready       func(*Manager)
	// upgradeTimeout bounds an upgrade's wait for the new process
	// (plugins.Upgrader.ReadyTimeout).
	upgradeTimeout time.Duration
	readyChecks    []healthCheck
	liveChecks     []healthCheck
	metrics        func(*Manager) http.Handler
	middleware     []func(server string, next http.Handler) http.Handler // WithMiddleware's, outermost first
}

// Plugin is anything that subscribes itself to a bus, as every plugin of
// engine/plugins does: Subscribe returns the function that unsubscribes
// it.
type Plugin interface {
	Subscribe(b *engine.Bus) (unsubscribe func())
}

// Backend builds the server for one server's settings, for a program that
// brings servers of its own kind for the SERVER_* settings. stdlib.New is
// the default. It must check what it can (TLS files, say) and must not
// bind: binding is Start's job.
type Backend func(cfg settings.Config, h http.Handler) (adapter.Server, error)

// WithLogger sends every log line of the kit to l: the bus's lifecycle,
// each server's, the plugins', the gateway policies', handler panics
// (unless the tree has a Logger of its own) and, with WithAccessLog(nil),
// the access log. By default they go to a text logger on stderr.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithStderr sets where Quickstart prints a failure, and where the default
// logger writes (os.Stderr by default).
func WithStderr(w io.Writer) Option { return func(o *options) { o.stderr = w } }

// WithEnvironment reads the SERVER_* settings from environ instead of the
// process environment: tests use it.
func WithEnvironment(environ map[string]string) Option {
	return func(o *options) { o.environ = environ }
}

// WithDefaults gives settings in code, as "NAME=value" strings
// (WithDefaults("SERVER_SOCKET_PORT=9000")): each is used unless the
// environment sets that variable, so the environment still has the last
// word. They are checked as the environment is; a string without "=" is
// ignored.
func WithDefaults(vars ...string) Option {
	return func(o *options) {
		if o.defaults == nil {
			o.defaults = map[string]string{}
		}
		for _, v := range vars {
			if name, value, ok := strings.Cut(v, "="); ok {
				o.defaults[name] = value
			}
		}
	}
}

// WithNamedServer adds the server called name, serving h instead of the
// tree: an admin server for metrics and health, say. Its settings are the
// SERVER_<NAME>_* variables, read as if SERVER_NAMES listed it (its port
// must then differ from the default server's: SERVER_ADMIN_SOCKET_PORT).
// h goes through the gateway like the tree does, with that server's
// policies.
func WithNamedServer(name string, h http.Handler) Option {
	return func(o *options) {
		if o.handlers == nil {
			o.handlers = map[string]http.Handler{}
		}
		if _, dup := o.handlers[name]; !dup {
			o.order = append(o.order, name)
		}
		o.handlers[name] = h
	}
}

// WithServer runs s, a server from outside the kit, as the server called
// name ("" replaces the default server): the bus starts and stops it
// through an adapter.ServerAdapter with the kit's checks. Only
// SERVER_<NAME>_ON and SERVER_<NAME>_SHUTDOWN_TIMEOUT apply to it, when
// SERVER_NAMES lists it; otherwise it stops within the default server's
// SHUTDOWN_TIMEOUT.
func WithServer(name string, s adapter.Server) Option {
	return func(o *options) {
		if o.custom == nil {
			o.custom = map[string]adapter.Server{}
		}
		if _, dup := o.custom[name]; !dup {
			o.order = append(o.order, name)
		}
		o.custom[name] = s
	}
}

// WithHTTPServer runs srv, an *http.Server the program set up itself, as
// the server called name (see WithServer and stdlib.HTTPServer). When
// srv.Handler is nil it serves the tree through the gateway, with the
// default policies, rather than http.DefaultServeMux.
func WithHTTPServer(name string, srv *http.Server) Option {
	return func(o *options) {
		if srv.Handler == nil {
			o.withTree = append(o.withTree, srv)
		}
		WithServer(name, stdlib.NewHTTPServer(srv))(o)
		httpServerOption(name, srv)(o)
	}
}

// WithBackend builds the SERVER_* servers with b instead of stdlib.New.
func WithBackend(b Backend) Option { return func(o *options) { o.backend = b } }

// WithAccessLog logs every request of every server. A non-nil w receives
// one Combined Log Format line per request (as CherryPy's access log
// does); a nil w logs a "request" record on the kit's logger instead (see
// WithLogger), with the same fields.
func WithAccessLog(w io.Writer) Option {
	return func(o *options) { o.accessOn, o.accessOut = true, w }
}

// WithPlugin subscribes p to the bus, for a plugin of engine/plugins
// (DropPrivileges, Autoreloader, …) or one of the program's own.
func WithPlugin(p Plugin) Option { return func(o *options) { o.plugins = append(o.plugins, p) } }

// WithPIDFile writes the process ID to path while the program runs
// (engine/plugins.PIDFile).
func WithPIDFile(path string) Option { return WithPlugin(&plugins.PIDFile{Path: path}) }

// WithTask calls fn every interval while the servers run, in a goroutine
// the bus owns (engine/plugins.BackgroundTask): stopped with the bus and
// restarted on a graceful reload. An error or panic of fn is logged and
// the task goes on.
func WithTask(name string, interval time.Duration, fn func(ctx context.Context) error) Option {
	return WithPlugin(&plugins.BackgroundTask{Name: name, Interval: interval, Fn: fn})
}

// WithSignals replaces the signal handler Run subscribes (a zero
// plugins.SignalHandler, for the process's own signals): tests give one
// whose Signals channel they own.
func WithSignals(h *plugins.SignalHandler) Option { return func(o *options) { o.signals = h } }

// WithReady calls fn once every server is serving, in a goroutine the bus
// owns (m tells the bound addresses).
func WithReady(fn func(m *Manager)) Option { return func(o *options) { o.ready = fn } }

// WithUpgradeTimeout bounds how long an upgrade (SIGHUP, Manager.Upgrade)
// waits for the new process to say it serves before it stops that process
// and serves on; plugins.DefaultUpgradeTimeout (a minute) by default.
func WithUpgradeTimeout(d time.Duration) Option {
	return func(o *options) { o.upgradeTimeout = d }
}
