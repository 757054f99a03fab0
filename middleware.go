package cherrygo

import "net/http"

// WithMiddleware wraps the handler of every server the kit builds for the
// SERVER_* settings (the default server and the named ones, those of
// WithNamedServer included): at New, mw is called once per server with
// the server's name ("" for the default) and the gateway in front of its
// tree or handler, and what it returns serves that server's requests. It
// sits behind the server's SERVER_*_LIVENESS_PATH, READINESS_PATH and
// METRICS_PATH, whose requests it never sees, and in front of the
// gateway's policies (the thread pool, the body limit, the access log,
// statistics), so it sees their answers too. Several WithMiddleware wrap
// in the order given, the first outermost.
//
// The servers a program brings itself (WithServer, WithHTTPServer) are
// not wrapped: their handlers are the program's own. The metrics package
// counts requests with it.
func WithMiddleware(mw func(server string, next http.Handler) http.Handler) Option {
	return func(o *options) { o.middleware = append(o.middleware, mw) }
}

// Options bundles opts into one Option that applies them in order: for a
// package whose feature needs several (the metrics package's Option is a
// metrics handler and a middleware).
func Options(opts ...Option) Option {
	return func(o *options) {
		for _, opt := range opts {
			opt(o)
		}
	}
}

// wrap puts WithMiddleware's middlewares around h, the handler of the
// server called name; with none it returns h itself.
func (m *Manager) wrap(name string, h http.Handler) http.Handler {
	mws := m.opts.middleware
	for i := len(mws) - 1; i >= 0; i-- {
		h = mws[i](name, h)
	}
	return h
}
