package gateway

import (
	"io"
	"log/slog"
	"time"

	"github.com/seed-49a6713b/cherrygo/engine"
)

// Config holds the per-request policies the gateway applies in front of the
// engine. The zero value applies none of them: no body limit, no
// concurrency limit, HTTP/1.1, no access log, no statistics.
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
	// Statistics, when non-nil, counts requests per server and app.
	Statistics *Statistics
	// ServerName names the server in statistics ("" for the default).
	ServerName string
	// AccessLog, when non-nil, receives one Combined Log Format line per
	// request.
	AccessLog io.Writer
	// Tracebacks puts the stack of a panic in the 500 page.
	Tracebacks bool
	// Bus, when non-nil, gets before_request and after_request published.
	Bus *engine.Bus
	// Logger receives errors (panics, failed error pages). Default: discard.
	Logger *slog.Logger
}
