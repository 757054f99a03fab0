package settings

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// maxSocketPath is the longest unix socket path the kernel takes (Linux's
// sun_path holds 108 bytes with the terminating NUL).
const maxSocketPath = 107

// Validate checks the values of c and returns a *ConfigError listing every
// problem, or nil. Each problem names the variable (with c's prefix, from
// Name), the value and the accepted form.
//
// Validate sees values only: Load also reports what only the environment
// shows (values that do not parse, a socket file set together with
// SOCKET_HOST or SOCKET_PORT, clashes between servers).
func (c Config) Validate() error {
	if problems := c.problems(); len(problems) > 0 {
		return &ConfigError{Problems: problems}
	}
	return nil
}

// problems lists what is wrong with c's values, in field order.
func (c Config) problems() []*SettingError {
	prefix := envPrefix(c.Name)
	var problems []*SettingError
	bad := func(key, value string) {
		problems = append(problems, &SettingError{Var: prefix + key, Value: value, Accepted: acceptedForm(key)})
	}

	if c.Name != "" && !validName(c.Name) {
		problems = append(problems, &SettingError{Var: namesVar, Value: c.Name, Accepted: acceptedForm(namesVar)})
	}
	if !validHost(normalizeHost(c.Host)) {
		bad("SOCKET_HOST", c.Host)
	}
	if c.Port < 0 || c.Port > 65535 {
		bad("SOCKET_PORT", strconv.Itoa(c.Port))
	}
	if len(c.SocketFile) > maxSocketPath {
		bad("SOCKET_FILE", c.SocketFile)
	}
	if c.SocketFileMode&^0o777 != 0 {
		bad("SOCKET_FILE_MODE", fmt.Sprintf("%#o", uint32(c.SocketFileMode)))
	}
	if c.SocketQueueSize < 0 {
		bad("SOCKET_QUEUE_SIZE", strconv.Itoa(c.SocketQueueSize))
	}
	if c.SocketTimeout < 0 {
		bad("SOCKET_TIMEOUT", c.SocketTimeout.String())
	}
	if c.ThreadPool < 0 {
		bad("THREAD_POOL", strconv.Itoa(c.ThreadPool))
	}
	if c.AcceptedQueueSize < -1 {
		bad("ACCEPTED_QUEUE_SIZE", strconv.Itoa(c.AcceptedQueueSize))
	}
	if c.AcceptedQueueTimeout < 0 {
		bad("ACCEPTED_QUEUE_TIMEOUT", c.AcceptedQueueTimeout.String())
	}
	if c.ShutdownTimeout < 0 {
		bad("SHUTDOWN_TIMEOUT", c.ShutdownTimeout.String())
	}
	if c.ShutdownDelay < 0 {
		bad("SHUTDOWN_DELAY", c.ShutdownDelay.String())
	}
	if c.Name != "" && c.ShutdownDelay != 0 {
		problems = append(problems, &SettingError{
			Var: prefix + "SHUTDOWN_DELAY", Value: c.ShutdownDelay.String(),
			Accepted: "unset: the delay is the whole process's, set SERVER_SHUTDOWN_DELAY",
		})
	}
	if c.ProtocolVersion != "" && c.ProtocolVersion != "HTTP/1.1" && c.ProtocolVersion != "HTTP/1.0" {
		bad("PROTOCOL_VERSION", c.ProtocolVersion)
	}
	if c.MaxRequestHeaderSize < 0 {
		bad("MAX_REQUEST_HEADER_SIZE", strconv.FormatInt(c.MaxRequestHeaderSize, 10))
	}
	if c.MaxRequestBodySize < 0 {
		bad("MAX_REQUEST_BODY_SIZE", strconv.FormatInt(c.MaxRequestBodySize, 10))
	}
	switch {
	case c.SSLCertificate != "" && c.SSLPrivateKey == "":
		problems = append(problems, &SettingError{
			Var: prefix + "SSL_CERTIFICATE", Value: c.SSLCertificate,
			Accepted: "a PEM certificate file, set together with " + prefix + "SSL_PRIVATE_KEY",
		})
	case c.SSLPrivateKey != "" && c.SSLCertificate == "":
		problems = append(problems, &SettingError{
			Var: prefix + "SSL_PRIVATE_KEY", Value: c.SSLPrivateKey,
			Accepted: "a PEM private key file, set together with " + prefix + "SSL_CERTIFICATE",
		})
	}
	if c.SSLCertificateChain != "" && c.SSLCertificate == "" {
		problems = append(problems, &SettingError{
			Var: prefix + "SSL_CERTIFICATE_CHAIN", Value: c.SSLCertificateChain,
			Accepted: "a PEM file of intermediate certificates, set only with " + prefix + "SSL_CERTIFICATE and " + prefix + "SSL_PRIVATE_KEY",
		})
	}
	problems = append(problems, c.backendProblems(prefix)...)
	paths := map[string]string{}
	for _, ep := range []struct{ key, path string }{{"LIVENESS_PATH", c.LivenessPath}, {"READINESS_PATH", c.ReadinessPath}, {"METRICS_PATH", c.MetricsPath}} {
		if ep.path == "" {
			continue
		}
		if !strings.HasPrefix(ep.path, "/") || strings.ContainsAny(ep.path, "?# \t") {
			bad(ep.key, ep.path)
			continue
		}
		if other, dup := paths[ep.path]; dup {
			problems = append(problems, &SettingError{
				Var: prefix + ep.key, Value: ep.path,
				Accepted: "a path other than " + prefix + other + "'s",
			})
			continue
		}
		paths[ep.path] = ep.key
	}
	if c.ProxyProtocol && c.TrustedProxies.Empty() {
		problems = append(problems, &SettingError{
			Var: prefix + "PROXY_PROTOCOL", Value: "true",
			Accepted: "true only with " + prefix + "TRUSTED_PROXIES set (the peers whose PROXY header is believed)",
		})
	}
	return problems
}

// acceptedForm describes what a variable accepts; key is the name after the
// prefix (or a full name for the variables without one).
func acceptedForm(key string) string {
	const (
		boolean  = "a boolean: 1, t, T, TRUE, true, True, 0, f, F, FALSE, false or False"
		duration = "a duration of at least 0: seconds (10, 0.5) or Go form (10s, 1m30s)"
	)
	switch key {
	case namesVar:
		return "a comma-separated list of server names, each once, made of letters, digits and underscores"
	case "SERVER_ON":
		return "true or unset (the default server is always on; switch named servers off with SERVER_<NAME>_ON)"
	case "ON", "REVERSE_DNS", "HTTP2", "HTTP3", "NODELAY", "STATISTICS", "PROXY_PROTOCOL":
		return boolean
	case "SOCKET_HOST":
		return `an IP address ("127.0.0.1", "::1" or "[::1]"), a host name, or "" or "*" for all interfaces`
	case "SOCKET_PORT":
		return "an integer from 0 to 65535 (0: any free port)"
	case "SOCKET_FILE":
		return fmt.Sprintf("a unix socket path of at most %d bytes", maxSocketPath)
	case "SOCKET_FILE_MODE":
		return "octal permission bits up to 0777, like 0660, 660 or 0o660"
	case "SOCKET_QUEUE_SIZE":
		return "an integer of at least 0 (0: the system's maximum)"
	case "THREAD_POOL":
		return "an integer of at least 0 (0: no limit)"
	case "ACCEPTED_QUEUE_SIZE":
		return "an integer of at least -1 (-1: no bound)"
	case "SOCKET_TIMEOUT", "ACCEPTED_QUEUE_TIMEOUT", "SHUTDOWN_TIMEOUT", "SHUTDOWN_DELAY":
		return duration
	case "LIVENESS_PATH", "READINESS_PATH", "METRICS_PATH":
		return `an absolute URL path ("/readyz"), without a query, fragment or spaces`
	case "TRUSTED_PROXIES":
		return `a comma-separated list of CIDR prefixes or IP addresses ("10.0.0.0/8,192.0.2.7,fd00::/8") and "unix" for unix socket peers`
	case "PROTOCOL_VERSION":
		return "HTTP/1.1 or HTTP/1.0"
	case "BACKEND":
		return "http, fastcgi or h2c"
	case "SOCKET_FILE_GROUP":
		return "a group name or numeric group id that exists on this machine"
	case "MAX_REQUEST_HEADER_SIZE", "MAX_REQUEST_BODY_SIZE":
		return "a number of bytes of at least 0 (0: no limit)"
	default:
		return "a valid value"
	}
}

// validHost reports whether h (normalised) is empty, an IP address or a
// host name.
func validHost(h string) bool {
	if h == "" {
		return true
	}
	if addr, err := netip.ParseAddr(h); err == nil {
		return addr.Zone() == "" || addr.Is6()
	}
	if strings.Contains(h, ":") {
		return false
	}
	return validHostName(h)
}

// validHostName checks the syntax of a DNS name: dot-separated labels of
// letters, digits, '-' and '_' (not at a label's ends for '-'), at most 63
// bytes each and 253 in all; a last label of digits only is refused, as
// "300.1.1.1" is a mistyped address, not a name.
func validHostName(h string) bool {
	h = strings.TrimSuffix(h, ".")
	if h == "" || len(h) > 253 {
		return false
	}
	labels := strings.Split(h, ".")
	for _, label := range labels {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !isLetterOrDigit(r) && r != '-' && r != '_' {
				return false
			}
		}
	}
	last := labels[len(labels)-1]
	return strings.TrimLeft(last, "0123456789") != ""
}

func isLetterOrDigit(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
}
