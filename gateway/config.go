package gateway

import (
	"io"
	"log/slog"
	"net/http"
	"time"
)

// Config holds the per-request policies the gateway applies in front of the
// engine. The zero value applies none of them: no body limit, no
// concurrency limit, HTTP/1.1, no trusted proxies, no access log, no
// statistics.
//
// Error pages, tracebacks and the bus's before_request/after_request
// channels are set on the engine.Tree (ErrorPage, Tracebacks, Bus), which
// every server of the tree shares.
type Config struct {
	// MaxBodySize bounds request bodies in bytes (413 beyond); 0: no limit.
	MaxBodySize int64
	// ThreadPool bounds the handlers running at once; 0: no limit.
	ThreadPool int
	// QueueSize bounds the requests waiting for a ThreadPool slot;
	// -1: no bound; 0: none wait.
	QueueSize int
	// QueueTimeout is how long a request waits for a slot before 503.
	QueueTimeout time.Duration
	// ProtocolVersion is the highest protocol spoken ("HTTP/1.1" when empty).
	ProtocolVersion string
	// ReverseDNS resolves the client's host name.
	ReverseDNS bool
	// TrustedProxies are the proxies whose Forwarded, X-Forwarded-For and
	// X-Forwarded-Proto headers give the client's address and scheme (see
	// Forwarded). Empty: nobody's, the headers change nothing.
	TrustedProxies Proxies
	// Statistics, when non-nil, counts requests per server and app.
	Statistics *Statistics
	// ServerName names the server in statistics ("" for the default).
	ServerName string
	// AccessLog, when non-nil, receives one Combined Log Format line per
	// request.
	AccessLog io.Writer
	// AccessLogger, when non-nil, receives one "request" record per
	// request (see AccessLogSlog), for a structured log.
	AccessLogger *slog.Logger
	// MountPoint, when set, tells how much of the request's URL.Path is the
	// path at which the gateway itself is mounted inside another router
	// (chiapp.MountPoint reads it from chi). That prefix becomes the engine
	// request's ScriptName, and only the rest is routed through the tree.
	// Nil: the gateway is at the root, ScriptName starts empty.
	MountPoint func(r *http.Request) string
	// Logger receives the policies' errors (a panic Recover caught); nil
	// means slog.Default(). The engine's own errors (panics of apps and
	// hooks, failed error pages) go to the tree's Logger.
	Logger *slog.Logger
}
