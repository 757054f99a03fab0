package adapter

import (
	"io/fs"
	"time"
)

// Config is one server's settings, CherryPy's server.* namespace. Load fills
// it from SERVER_* variables (SERVER_<NAME>_* for a named server); the zero
// value is not the default: use Default or Load.
type Config struct {
	// Name is the server's name: "" for the default server, else the name
	// from SERVER_NAMES (lower case). It is not read from a variable.
	Name string `env:"-"`

	// On switches a named server on or off (SERVER_<NAME>_ON). The default
	// server is always on.
	On bool `env:"ON" envDefault:"true"`

	// Host is the address to bind (socket_host).
	Host string `env:"SOCKET_HOST" envDefault:"127.0.0.1"`
	// Port is the TCP port (socket_port); 0 binds an ephemeral port.
	Port int `env:"SOCKET_PORT" envDefault:"8080"`
	// SocketFile is a unix socket path (socket_file); it replaces Host/Port.
	SocketFile string `env:"SOCKET_FILE"`
	// SocketFileMode is the unix socket file's permission bits, in octal.
	SocketFileMode fs.FileMode `env:"SOCKET_FILE_MODE" envDefault:"0660"`
	// SocketQueueSize is the listen backlog; 0 uses the system's maximum
	// (net.core.somaxconn), as Go's own listeners do.
	SocketQueueSize int `env:"SOCKET_QUEUE_SIZE" envDefault:"0"`
	// SocketTimeout bounds the header read, idle keep-alive time and each
	// stalled read or write of a connection.
	SocketTimeout time.Duration `env:"SOCKET_TIMEOUT" envDefault:"10s"`

	// ThreadPool is how many handlers may run at once; 0 means no limit.
	ThreadPool int `env:"THREAD_POOL" envDefault:"0"`
	// AcceptedQueueSize is how many requests may wait for a free slot of
	// ThreadPool; -1 means no bound.
	AcceptedQueueSize int `env:"ACCEPTED_QUEUE_SIZE" envDefault:"-1"`
	// AcceptedQueueTimeout is how long a request waits for a slot before it
	// gets 503 with Retry-After.
	AcceptedQueueTimeout time.Duration `env:"ACCEPTED_QUEUE_TIMEOUT" envDefault:"10s"`
	// ShutdownTimeout is how long Stop lets in-flight requests finish
	// before it force-closes their connections.
	ShutdownTimeout time.Duration `env:"SHUTDOWN_TIMEOUT" envDefault:"5s"`

	// ProtocolVersion is the highest protocol spoken: "HTTP/1.1" or
	// "HTTP/1.0".
	ProtocolVersion string `env:"PROTOCOL_VERSION" envDefault:"HTTP/1.1"`
	// ReverseDNS resolves the client's host name for each request.
	ReverseDNS bool `env:"REVERSE_DNS" envDefault:"false"`
	// MaxRequestHeaderSize bounds the request line and headers, in bytes;
	// larger requests get 431. 0 means no limit of our own.
	MaxRequestHeaderSize int64 `env:"MAX_REQUEST_HEADER_SIZE" envDefault:"512000"`
	// MaxRequestBodySize bounds the request body, in bytes; larger bodies
	// get 413. 0 means no limit.
	MaxRequestBodySize int64 `env:"MAX_REQUEST_BODY_SIZE" envDefault:"104857600"`

	// SSLCertificate and SSLPrivateKey are PEM files; both set → HTTPS.
	SSLCertificate string `env:"SSL_CERTIFICATE"`
	SSLPrivateKey  string `env:"SSL_PRIVATE_KEY"`
	// SSLCertificateChain is a PEM file of intermediate certificates.
	SSLCertificateChain string `env:"SSL_CERTIFICATE_CHAIN"`
	// HTTP2 offers HTTP/2 over TLS (ALPN h2).
	HTTP2 bool `env:"HTTP2" envDefault:"true"`

	// NoDelay sets TCP_NODELAY on accepted connections.
	NoDelay bool `env:"NODELAY" envDefault:"true"`
	// Statistics collects per-server request statistics.
	Statistics bool `env:"STATISTICS" envDefault:"false"`
}
