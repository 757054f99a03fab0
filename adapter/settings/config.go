package settings

import (
	"io/fs"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Config is one server's settings, CherryPy's server.* namespace. Load fills
// it from SERVER_* variables (SERVER_<NAME>_* for a named server); the zero
// value is not the default: use Default or Load, and Validate a Config built
// by hand.
//
// Each field names its variable after the prefix. A variable set to the
// empty string counts as unset (its default applies), except SOCKET_HOST,
// where empty means all interfaces.
type Config struct {
	// Name is the server's name: "" for the default server, else the name
	// from SERVER_NAMES (lower case). It is not read from a variable; it
	// decides the prefix of the variables named in error messages.
	Name string `env:"-"`

	// On switches a named server on or off (SERVER_<NAME>_ON, default
	// true). The default server is always on: Load sets On for it and
	// rejects SERVER_ON set to anything but true.
	On bool `env:"ON" envDefault:"true"`

	// Host is the address to bind (socket_host). Default "": all
	// interfaces, as CherryPy 3 documents socket_host ("listen on any
	// available interface"), so that a server in a container is reachable.
	// Set "127.0.0.1" for this machine only.
	//
	//   - "" (unset, or set but empty) or "*": all interfaces, IPv4 and
	//     IPv6 (dual-stack).
	//   - "0.0.0.0": all IPv4 interfaces only.
	//   - "::": all interfaces, dual-stack.
	//   - an IPv6 literal, with or without brackets ("[::1]" and "::1");
	//     Load stores it without brackets.
	//   - a host name ("localhost"), bound on each address it resolves to.
	Host string `env:"SOCKET_HOST"`
	// Port is the TCP port (socket_port), 0 to 65535; 0 binds an ephemeral
	// port. Default 8080.
	Port int `env:"SOCKET_PORT" envDefault:"8080"`
	// SocketFile is a unix socket path (socket_file); when set it replaces
	// Host and Port, and setting SOCKET_HOST or SOCKET_PORT as well is an
	// error. Default: none (TCP).
	SocketFile string `env:"SOCKET_FILE"`
	// SocketFileMode is the unix socket file's permission bits, octal
	// ("0660", "660" or "0o660"), at most 0777. Default 0660: owner and
	// group may connect, other users may not.
	SocketFileMode fs.FileMode `env:"SOCKET_FILE_MODE" envDefault:"0660"`
	// SocketFileGroup is the group the unix socket file is given (a group
	// name or a numeric id), so that with the default mode 0660 a proxy
	// running as that group (nginx's www-data) may connect while other
	// users may not. It needs SocketFile; the process must be allowed to
	// give the file that group (a member of it, or root). Default: none
	// (the process's own group).
	SocketFileGroup string `env:"SOCKET_FILE_GROUP"`
	// SocketQueueSize is the listen backlog; 0 (the default) uses the
	// system's maximum (net.core.somaxconn), as Go's own listeners do.
	SocketQueueSize int `env:"SOCKET_QUEUE_SIZE" envDefault:"0"`
	// SocketTimeout bounds the header read, idle keep-alive time and each
	// stalled read or write of a connection; 0 means no timeout. Default
	// 10 s.
	SocketTimeout time.Duration `env:"SOCKET_TIMEOUT" envDefault:"10s"`

	// ThreadPool is how many handlers may run at once; 0 (the default)
	// means no limit.
	ThreadPool int `env:"THREAD_POOL" envDefault:"0"`
	// AcceptedQueueSize is how many requests may wait for a free slot of
	// ThreadPool; -1 (the default) means no bound, 0 that none wait.
	AcceptedQueueSize int `env:"ACCEPTED_QUEUE_SIZE" envDefault:"-1"`
	// AcceptedQueueTimeout is how long a request waits for a slot before it
	// gets 503 with Retry-After. Default 10 s.
	AcceptedQueueTimeout time.Duration `env:"ACCEPTED_QUEUE_TIMEOUT" envDefault:"10s"`
	// ShutdownTimeout is how long Stop lets in-flight requests finish
	// before it force-closes their connections; 0 closes them at once.
	// Default 5 s.
	ShutdownTimeout time.Duration `env:"SHUTDOWN_TIMEOUT" envDefault:"5s"`

	// ProtocolVersion is the highest protocol spoken: "HTTP/1.1" (the
	// default) or "HTTP/1.0". Empty, in a Config built by hand, means
	// HTTP/1.1.
	ProtocolVersion string `env:"PROTOCOL_VERSION" envDefault:"HTTP/1.1"`
	// ReverseDNS resolves the client's host name for each request.
	// Default false.
	ReverseDNS bool `env:"REVERSE_DNS" envDefault:"false"`
	// MaxRequestHeaderSize bounds the request line and headers, in bytes;
	// larger requests get 431. 0 means no limit of our own. Default
	// 512000 (500 KiB).
	MaxRequestHeaderSize int64 `env:"MAX_REQUEST_HEADER_SIZE" envDefault:"512000"`
	// MaxRequestBodySize bounds the request body, in bytes; larger bodies
	// get 413. 0 means no limit. Default 104857600 (100 MiB).
	MaxRequestBodySize int64 `env:"MAX_REQUEST_BODY_SIZE" envDefault:"104857600"`

	// SSLCertificate and SSLPrivateKey are PEM files; both set → HTTPS,
	// one without the other is an error. Default: none.
	SSLCertificate string `env:"SSL_CERTIFICATE"`
	SSLPrivateKey  string `env:"SSL_PRIVATE_KEY"`
	// SSLCertificateChain is a PEM file of intermediate certificates; it
	// needs SSLCertificate. Default: none.
	SSLCertificateChain string `env:"SSL_CERTIFICATE_CHAIN"`
	// HTTP2 offers HTTP/2 over TLS (ALPN h2). Default true.
	HTTP2 bool `env:"HTTP2" envDefault:"true"`
	// HTTP3 makes a TLS server also serve HTTP/3 (QUIC) on the UDP port of
	// the same number, advertised to TCP clients by an Alt-Svc header. It
	// needs SSLCertificate and a TCP socket. Default false.
	HTTP3 bool `env:"HTTP3" envDefault:"false"`

	// Backend is the protocol the server speaks on its socket: "http"
	// (the default: HTTP/1.1, and HTTP/2 over TLS), "fastcgi" (FastCGI,
	// for a web server in front: nginx's fastcgi_pass; no TLS), or "h2c"
	// (HTTP/1.1 and HTTP/2 with prior knowledge, in clear; no TLS).
	Backend string `env:"BACKEND" envDefault:"http"`

	// NoDelay sets TCP_NODELAY on accepted connections. Default true.
	NoDelay bool `env:"NODELAY" envDefault:"true"`
	// Statistics collects per-server request statistics. Default false.
	Statistics bool `env:"STATISTICS" envDefault:"false"`

	// ShutdownDelay is how long a stop asked for by SIGTERM or SIGINT goes
	// on serving, with readiness failing, before the drain begins: the
	// time load balancers need to stop sending new requests. The whole
	// process's, so only the default server's variable is read; setting
	// it on a named server is an error. Default 0.
	ShutdownDelay time.Duration `env:"SHUTDOWN_DELAY" envDefault:"0s"`
	// LivenessPath and ReadinessPath, when set, are paths this server
	// answers itself, before the application: liveness 200 while the
	// process is not wedged, readiness 200 only while every server serves
	// and no stop is under way, else 503 with the reasons. MetricsPath
	// serves the Prometheus metrics of a program that uses the metrics
	// package. Each is an absolute path; default none.
	LivenessPath  string `env:"LIVENESS_PATH"`
	ReadinessPath string `env:"READINESS_PATH"`
	MetricsPath   string `env:"METRICS_PATH"`
	// TrustedProxies are the peers whose X-Forwarded-For, Forwarded and
	// X-Forwarded-Proto headers (and PROXY protocol header) are believed:
	// a comma-separated list of CIDR prefixes or addresses, and "unix"
	// for peers on a unix socket. Default empty: nobody.
	TrustedProxies Proxies `env:"TRUSTED_PROXIES"`
	// ProxyProtocol makes the server read a PROXY protocol (v1 or v2)
	// header at the start of each connection from a trusted peer; it
	// needs TrustedProxies. Default false.
	ProxyProtocol bool `env:"PROXY_PROTOCOL" envDefault:"false"`
}

// Proxies is a set of trusted peers (see Config.TrustedProxies); the zero
// value trusts nobody.
type Proxies struct {
	Prefixes []netip.Prefix
	// Unix trusts every peer on a unix socket.
	Unix bool
}

// ParseProxies reads TRUSTED_PROXIES' form: a comma-separated list of CIDR
// prefixes ("10.0.0.0/8", "fd00::/8"), addresses ("192.0.2.7", a prefix
// of one) and "unix"; spaces around the items are ignored.
func ParseProxies(s string) (Proxies, error) {
	var p Proxies
	for item := range strings.SplitSeq(s, ",") {
		item = strings.TrimSpace(item)
		switch {
		case item == "":
			continue
		case item == "unix":
			p.Unix = true
		case strings.Contains(item, "/"):
			prefix, err := netip.ParsePrefix(item)
			if err != nil {
				return Proxies{}, err
			}
			p.Prefixes = append(p.Prefixes, prefix.Masked())
		default:
			addr, err := netip.ParseAddr(item)
			if err != nil {
				return Proxies{}, err
			}
			addr = addr.Unmap()
			p.Prefixes = append(p.Prefixes, netip.PrefixFrom(addr, addr.BitLen()))
		}
	}
	return p, nil
}

// Empty reports whether p trusts nobody.
func (p Proxies) Empty() bool { return !p.Unix && len(p.Prefixes) == 0 }

// Contains reports whether a peer at addr is trusted. IPv4-mapped IPv6
// addresses count as IPv4.
func (p Proxies) Contains(addr netip.Addr) bool {
	addr = addr.Unmap()
	for _, prefix := range p.Prefixes {
		if prefix.Contains(addr) {
			return true
		}
	}
	return false
}

// Trusts reports whether the peer of a connection, by its remote address,
// is trusted: a unix socket peer when Unix is set, a TCP peer whose
// address one of the prefixes contains.
func (p Proxies) Trusts(remote net.Addr) bool {
	switch a := remote.(type) {
	case *net.UnixAddr:
		return p.Unix
	case *net.TCPAddr:
		ip, ok := netip.AddrFromSlice(a.IP)
		return ok && p.Contains(ip)
	case nil:
		return false
	default:
		ap, err := netip.ParseAddrPort(remote.String())
		return err == nil && p.Contains(ap.Addr())
	}
}

// String is the list in TRUSTED_PROXIES' form.
func (p Proxies) String() string {
	items := make([]string, 0, len(p.Prefixes)+1)
	for _, prefix := range p.Prefixes {
		items = append(items, prefix.String())
	}
	if p.Unix {
		items = append(items, "unix")
	}
	return strings.Join(items, ",")
}

// Network is "unix" when SocketFile is set, else "tcp".
func (c Config) Network() string {
	if c.SocketFile != "" {
		return "unix"
	}
	return "tcp"
}

// Addr is the address to bind, for Network: the socket file's path, or
// "host:port" with an IPv6 host in brackets (":port" for all interfaces).
func (c Config) Addr() string {
	if c.SocketFile != "" {
		return c.SocketFile
	}
	return net.JoinHostPort(normalizeHost(c.Host), strconv.Itoa(c.Port))
}

// Backends a server may speak (Config.Backend).
const (
	BackendHTTP    = "http"
	BackendFastCGI = "fastcgi"
	BackendH2C     = "h2c"
)

// TLS reports whether the server speaks HTTPS: both SSLCertificate and
// SSLPrivateKey are set.
func (c Config) TLS() bool {
	return c.SSLCertificate != "" && c.SSLPrivateKey != ""
}

// Prefix is the prefix of this server's variables: "SERVER_" for the
// default server, "SERVER_<NAME>_" for a named one. Errors about a setting
// name the variable with it.
func (c Config) Prefix() string { return envPrefix(c.Name) }
