package settings_test

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-49a6713b/cherrygo/adapter/settings"
)

// loadProblems loads environ, which must be refused, and returns its
// problems.
func loadProblems(t *testing.T, environ map[string]string) []*settings.SettingError {
	t.Helper()
	cfgs, err := settings.Load(environ)
	require.Error(t, err)
	assert.Nil(t, cfgs)
	var ce *settings.ConfigError
	require.ErrorAs(t, err, &ce)
	require.NotEmpty(t, ce.Problems)
	return ce.Problems
}

func TestConfigRejected(t *testing.T) {
	const (
		portForm     = "an integer from 0 to 65535"
		durationForm = "seconds (10, 0.5) or Go form (10s, 1m30s)"
		modeForm     = "octal permission bits up to 0777, like 0660, 660 or 0o660"
		boolForm     = "a boolean: 1, t, T, TRUE, true"
		bytesForm    = "a number of bytes of at least 0"
		hostForm     = "an IP address"
		protoForm    = "HTTP/1.1 or HTTP/1.0"
	)
	tests := []struct {
		name     string
		environ  map[string]string
		wantVar  string
		wantVal  string
		accepted string
	}{
		{"port letters", map[string]string{"SERVER_SOCKET_PORT": "abc"}, "SERVER_SOCKET_PORT", "abc", portForm},
		{"port too big", map[string]string{"SERVER_SOCKET_PORT": "70000"}, "SERVER_SOCKET_PORT", "70000", portForm},
		{"port negative", map[string]string{"SERVER_SOCKET_PORT": "-1"}, "SERVER_SOCKET_PORT", "-1", portForm},
		{"port fraction", map[string]string{"SERVER_SOCKET_PORT": "80.5"}, "SERVER_SOCKET_PORT", "80.5", portForm},
		{"port overflows int32", map[string]string{"SERVER_SOCKET_PORT": "99999999999"}, "SERVER_SOCKET_PORT", "99999999999", portForm},
		{"port with blank", map[string]string{"SERVER_SOCKET_PORT": " 80"}, "SERVER_SOCKET_PORT", " 80", portForm},

		{"host bad IPv4", map[string]string{"SERVER_SOCKET_HOST": "300.1.1.1"}, "SERVER_SOCKET_HOST", "300.1.1.1", hostForm},
		{"host with port", map[string]string{"SERVER_SOCKET_HOST": "127.0.0.1:80"}, "SERVER_SOCKET_HOST", "127.0.0.1:80", hostForm},
		{"host unbalanced bracket", map[string]string{"SERVER_SOCKET_HOST": "[::1"}, "SERVER_SOCKET_HOST", "[::1", hostForm},
		{"host with blank", map[string]string{"SERVER_SOCKET_HOST": "my host"}, "SERVER_SOCKET_HOST", "my host", hostForm},
		{"host label hyphen", map[string]string{"SERVER_SOCKET_HOST": "-app.example"}, "SERVER_SOCKET_HOST", "-app.example", hostForm},
		{"host URL", map[string]string{"SERVER_SOCKET_HOST": "http://example.com"}, "SERVER_SOCKET_HOST", "http://example.com", hostForm},
		{"host IPv4 zone", map[string]string{"SERVER_SOCKET_HOST": "127.0.0.1%lo"}, "SERVER_SOCKET_HOST", "127.0.0.1%lo", hostForm},

		{"mode symbolic", map[string]string{"SERVER_SOCKET_FILE_MODE": "rw-"}, "SERVER_SOCKET_FILE_MODE", "rw-", modeForm},
		{"mode not octal", map[string]string{"SERVER_SOCKET_FILE_MODE": "999"}, "SERVER_SOCKET_FILE_MODE", "999", modeForm},
		{"mode sticky", map[string]string{"SERVER_SOCKET_FILE_MODE": "01777"}, "SERVER_SOCKET_FILE_MODE", "01777", modeForm},
		{"mode over 0777", map[string]string{"SERVER_SOCKET_FILE_MODE": "1000"}, "SERVER_SOCKET_FILE_MODE", "1000", modeForm},
		{"mode negative", map[string]string{"SERVER_SOCKET_FILE_MODE": "-660"}, "SERVER_SOCKET_FILE_MODE", "-660", modeForm},
		{"mode bare prefix", map[string]string{"SERVER_SOCKET_FILE_MODE": "0o"}, "SERVER_SOCKET_FILE_MODE", "0o", modeForm},
		{"mode hex", map[string]string{"SERVER_SOCKET_FILE_MODE": "0x1ff"}, "SERVER_SOCKET_FILE_MODE", "0x1ff", modeForm},

		{"socket file and host", map[string]string{"SERVER_SOCKET_FILE": "app.sock", "SERVER_SOCKET_HOST": "0.0.0.0"}, "SERVER_SOCKET_HOST", "0.0.0.0", "unset while SERVER_SOCKET_FILE is set"},
		{"socket file and empty host", map[string]string{"SERVER_SOCKET_FILE": "app.sock", "SERVER_SOCKET_HOST": ""}, "SERVER_SOCKET_HOST", "", "unset while SERVER_SOCKET_FILE is set"},
		{"socket file and port", map[string]string{"SERVER_SOCKET_FILE": "app.sock", "SERVER_SOCKET_PORT": "8080"}, "SERVER_SOCKET_PORT", "8080", "unset while SERVER_SOCKET_FILE is set"},
		{"socket file too long", map[string]string{"SERVER_SOCKET_FILE": "/" + strings.Repeat("s", 200)}, "SERVER_SOCKET_FILE", "/" + strings.Repeat("s", 200), "a unix socket path of at most 107 bytes"},

		{"socket queue negative", map[string]string{"SERVER_SOCKET_QUEUE_SIZE": "-1"}, "SERVER_SOCKET_QUEUE_SIZE", "-1", "an integer of at least 0"},
		{"socket queue letters", map[string]string{"SERVER_SOCKET_QUEUE_SIZE": "many"}, "SERVER_SOCKET_QUEUE_SIZE", "many", "an integer of at least 0"},
		{"thread pool negative", map[string]string{"SERVER_THREAD_POOL": "-1"}, "SERVER_THREAD_POOL", "-1", "an integer of at least 0 (0: no limit)"},
		{"accepted queue below -1", map[string]string{"SERVER_ACCEPTED_QUEUE_SIZE": "-2"}, "SERVER_ACCEPTED_QUEUE_SIZE", "-2", "an integer of at least -1 (-1: no bound)"},
		{"accepted queue letters", map[string]string{"SERVER_ACCEPTED_QUEUE_SIZE": "unbounded"}, "SERVER_ACCEPTED_QUEUE_SIZE", "unbounded", "an integer of at least -1"},
		{"header size negative", map[string]string{"SERVER_MAX_REQUEST_HEADER_SIZE": "-1"}, "SERVER_MAX_REQUEST_HEADER_SIZE", "-1", bytesForm},
		{"body size negative", map[string]string{"SERVER_MAX_REQUEST_BODY_SIZE": "-100"}, "SERVER_MAX_REQUEST_BODY_SIZE", "-100", bytesForm},
		{"body size with unit", map[string]string{"SERVER_MAX_REQUEST_BODY_SIZE": "100MB"}, "SERVER_MAX_REQUEST_BODY_SIZE", "100MB", bytesForm},

		{"timeout negative seconds", map[string]string{"SERVER_SOCKET_TIMEOUT": "-1"}, "SERVER_SOCKET_TIMEOUT", "-1", durationForm},
		{"timeout negative go form", map[string]string{"SERVER_SOCKET_TIMEOUT": "-5s"}, "SERVER_SOCKET_TIMEOUT", "-5s", durationForm},
		{"timeout words", map[string]string{"SERVER_SOCKET_TIMEOUT": "ten"}, "SERVER_SOCKET_TIMEOUT", "ten", durationForm},
		{"timeout missing unit", map[string]string{"SERVER_SOCKET_TIMEOUT": "1h30"}, "SERVER_SOCKET_TIMEOUT", "1h30", durationForm},
		{"timeout NaN", map[string]string{"SERVER_SOCKET_TIMEOUT": "NaN"}, "SERVER_SOCKET_TIMEOUT", "NaN", durationForm},
		{"timeout infinite", map[string]string{"SERVER_SOCKET_TIMEOUT": "Inf"}, "SERVER_SOCKET_TIMEOUT", "Inf", durationForm},
		{"timeout overflow", map[string]string{"SERVER_SOCKET_TIMEOUT": "1e300"}, "SERVER_SOCKET_TIMEOUT", "1e300", durationForm},
		{"queue timeout negative", map[string]string{"SERVER_ACCEPTED_QUEUE_TIMEOUT": "-0.5"}, "SERVER_ACCEPTED_QUEUE_TIMEOUT", "-0.5", durationForm},
		{"shutdown timeout negative", map[string]string{"SERVER_SHUTDOWN_TIMEOUT": "-1m"}, "SERVER_SHUTDOWN_TIMEOUT", "-1m", durationForm},

		{"protocol HTTP/2", map[string]string{"SERVER_PROTOCOL_VERSION": "HTTP/2"}, "SERVER_PROTOCOL_VERSION", "HTTP/2", protoForm},
		{"protocol HTTP/0.9", map[string]string{"SERVER_PROTOCOL_VERSION": "HTTP/0.9"}, "SERVER_PROTOCOL_VERSION", "HTTP/0.9", protoForm},
		{"protocol lower case", map[string]string{"SERVER_PROTOCOL_VERSION": "http/1.1"}, "SERVER_PROTOCOL_VERSION", "http/1.1", protoForm},
		{"protocol bare number", map[string]string{"SERVER_PROTOCOL_VERSION": "1.1"}, "SERVER_PROTOCOL_VERSION", "1.1", protoForm},

		{"bool yes", map[string]string{"SERVER_NODELAY": "yes"}, "SERVER_NODELAY", "yes", boolForm},
		{"bool on", map[string]string{"SERVER_STATISTICS": "on"}, "SERVER_STATISTICS", "on", boolForm},
		{"bool two", map[string]string{"SERVER_REVERSE_DNS": "2"}, "SERVER_REVERSE_DNS", "2", boolForm},
		{"bool http2", map[string]string{"SERVER_HTTP2": "enabled"}, "SERVER_HTTP2", "enabled", boolForm},

		{"certificate without key", map[string]string{"SERVER_SSL_CERTIFICATE": "cert.pem"}, "SERVER_SSL_CERTIFICATE", "cert.pem", "set together with SERVER_SSL_PRIVATE_KEY"},
		{"key without certificate", map[string]string{"SERVER_SSL_PRIVATE_KEY": "key.pem"}, "SERVER_SSL_PRIVATE_KEY", "key.pem", "set together with SERVER_SSL_CERTIFICATE"},
		{"chain without certificate", map[string]string{"SERVER_SSL_CERTIFICATE_CHAIN": "chain.pem"}, "SERVER_SSL_CERTIFICATE_CHAIN", "chain.pem", "set only with SERVER_SSL_CERTIFICATE and SERVER_SSL_PRIVATE_KEY"},

		{"default server off", map[string]string{"SERVER_ON": "false"}, "SERVER_ON", "false", "the default server is always on"},
		{"default server on garbled", map[string]string{"SERVER_ON": "maybe"}, "SERVER_ON", "maybe", "the default server is always on"},

		{"named port", map[string]string{"SERVER_NAMES": "admin", "SERVER_ADMIN_SOCKET_PORT": "abc"}, "SERVER_ADMIN_SOCKET_PORT", "abc", portForm},
		{"named on", map[string]string{"SERVER_NAMES": "admin", "SERVER_ADMIN_ON": "no"}, "SERVER_ADMIN_ON", "no", boolForm},
		{"named mode", map[string]string{"SERVER_NAMES": "admin", "SERVER_ADMIN_SOCKET_FILE_MODE": "999", "SERVER_ADMIN_SOCKET_PORT": "0"}, "SERVER_ADMIN_SOCKET_FILE_MODE", "999", modeForm},
		{"named key without certificate", map[string]string{"SERVER_NAMES": "admin", "SERVER_ADMIN_SOCKET_PORT": "0", "SERVER_ADMIN_SSL_PRIVATE_KEY": "k.pem"}, "SERVER_ADMIN_SSL_PRIVATE_KEY", "k.pem", "set together with SERVER_ADMIN_SSL_CERTIFICATE"},
		{"named socket file and host", map[string]string{"SERVER_NAMES": "admin", "SERVER_ADMIN_SOCKET_FILE": "a.sock", "SERVER_ADMIN_SOCKET_HOST": "::1"}, "SERVER_ADMIN_SOCKET_HOST", "::1", "unset while SERVER_ADMIN_SOCKET_FILE is set"},
		{"delay not a duration", map[string]string{"SERVER_SHUTDOWN_DELAY": "soon"}, "SERVER_SHUTDOWN_DELAY", "soon", durationForm},
		{"delay on a named server", map[string]string{"SERVER_NAMES": "admin", "SERVER_ADMIN_SOCKET_PORT": "0", "SERVER_ADMIN_SHUTDOWN_DELAY": "5s"}, "SERVER_ADMIN_SHUTDOWN_DELAY", "5s", "set SERVER_SHUTDOWN_DELAY"},
		{"readiness path relative", map[string]string{"SERVER_READINESS_PATH": "readyz"}, "SERVER_READINESS_PATH", "readyz", "an absolute URL path"},
		{"metrics path with query", map[string]string{"SERVER_METRICS_PATH": "/m?x=1"}, "SERVER_METRICS_PATH", "/m?x=1", "an absolute URL path"},
		{"health paths equal", map[string]string{"SERVER_LIVENESS_PATH": "/healthz", "SERVER_READINESS_PATH": "/healthz"}, "SERVER_READINESS_PATH", "/healthz", "a path other than SERVER_LIVENESS_PATH's"},
		{"trusted proxies bad prefix", map[string]string{"SERVER_TRUSTED_PROXIES": "10.0.0.0/33"}, "SERVER_TRUSTED_PROXIES", "10.0.0.0/33", "CIDR prefixes"},
		{"trusted proxies host name", map[string]string{"SERVER_TRUSTED_PROXIES": "10.0.0.1,lb.example"}, "SERVER_TRUSTED_PROXIES", "10.0.0.1,lb.example", "CIDR prefixes"},
		{"proxy protocol without trusted proxies", map[string]string{"SERVER_PROXY_PROTOCOL": "true"}, "SERVER_PROXY_PROTOCOL", "true", "only with SERVER_TRUSTED_PROXIES set"},
		{"named switched off still checked", map[string]string{"SERVER_NAMES": "admin", "SERVER_ADMIN_ON": "false", "SERVER_ADMIN_THREAD_POOL": "-3"}, "SERVER_ADMIN_THREAD_POOL", "-3", "an integer of at least 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			problems := loadProblems(t, tt.environ)
			require.Len(t, problems, 1, "%v", problems)
			p := problems[0]
			assert.Equal(t, tt.wantVar, p.Var)
			assert.Equal(t, tt.wantVal, p.Value)
			assert.Contains(t, p.Accepted, tt.accepted)

			msg := p.Error()
			assert.Contains(t, msg, tt.wantVar)
			assert.Contains(t, msg, strconv.Quote(tt.wantVal))
			assert.Contains(t, msg, tt.accepted)
		})
	}
}

func TestConfigEveryProblemAtOnce(t *testing.T) {
	environ := map[string]string{
		"SERVER_SOCKET_PORT":           "abc",
		"SERVER_SOCKET_FILE_MODE":      "rw-",
		"SERVER_SOCKET_TIMEOUT":        "-1",
		"SERVER_THREAD_POOL":           "-1",
		"SERVER_PROTOCOL_VERSION":      "HTTP/3",
		"SERVER_NODELAY":               "yes",
		"SERVER_SSL_PRIVATE_KEY":       "key.pem",
		"SERVER_MAX_REQUEST_BODY_SIZE": "-1",
		"SERVER_NAMES":                 "admin,bad-name",
		"SERVER_ADMIN_SOCKET_PORT":     "70000",
		"SERVER_ADMIN_HTTP2":           "sure",
	}
	problems := loadProblems(t, environ)
	var vars []string
	for _, p := range problems {
		vars = append(vars, p.Var)
	}
	assert.ElementsMatch(t, []string{
		"SERVER_NAMES",
		"SERVER_SOCKET_PORT",
		"SERVER_SOCKET_FILE_MODE",
		"SERVER_SOCKET_TIMEOUT",
		"SERVER_THREAD_POOL",
		"SERVER_PROTOCOL_VERSION",
		"SERVER_NODELAY",
		"SERVER_SSL_PRIVATE_KEY",
		"SERVER_MAX_REQUEST_BODY_SIZE",
		"SERVER_ADMIN_SOCKET_PORT",
		"SERVER_ADMIN_HTTP2",
	}, vars)

	// The error's text carries every problem, one per line.
	_, err := settings.Load(environ)
	msg := err.Error()
	assert.Contains(t, msg, "11 problem(s)")
	for _, p := range problems {
		assert.Contains(t, msg, p.Error())
	}
	// errors.As reaches each problem through ConfigError's Unwrap.
	var se *settings.SettingError
	require.ErrorAs(t, err, &se)
	assert.NotEmpty(t, se.Var)
}

func TestConfigValidate(t *testing.T) {
	valid := settings.Default()
	require.NoError(t, valid.Validate())

	tests := []struct {
		name    string
		modify  func(*settings.Config)
		wantVar string
		wantVal string
	}{
		{"port", func(c *settings.Config) { c.Port = 70000 }, "SERVER_SOCKET_PORT", "70000"},
		{"negative port", func(c *settings.Config) { c.Port = -1 }, "SERVER_SOCKET_PORT", "-1"},
		{"host", func(c *settings.Config) { c.Host = "a b" }, "SERVER_SOCKET_HOST", "a b"},
		{"mode", func(c *settings.Config) { c.SocketFileMode = 0o1777 }, "SERVER_SOCKET_FILE_MODE", "01777"},
		{"socket queue", func(c *settings.Config) { c.SocketQueueSize = -5 }, "SERVER_SOCKET_QUEUE_SIZE", "-5"},
		{"socket timeout", func(c *settings.Config) { c.SocketTimeout = -time.Second }, "SERVER_SOCKET_TIMEOUT", "-1s"},
		{"queue timeout", func(c *settings.Config) { c.AcceptedQueueTimeout = -time.Second }, "SERVER_ACCEPTED_QUEUE_TIMEOUT", "-1s"},
		{"shutdown timeout", func(c *settings.Config) { c.ShutdownTimeout = -time.Second }, "SERVER_SHUTDOWN_TIMEOUT", "-1s"},
		{"thread pool", func(c *settings.Config) { c.ThreadPool = -1 }, "SERVER_THREAD_POOL", "-1"},
		{"accepted queue", func(c *settings.Config) { c.AcceptedQueueSize = -2 }, "SERVER_ACCEPTED_QUEUE_SIZE", "-2"},
		{"protocol", func(c *settings.Config) { c.ProtocolVersion = "HTTP/2.0" }, "SERVER_PROTOCOL_VERSION", "HTTP/2.0"},
		{"header size", func(c *settings.Config) { c.MaxRequestHeaderSize = -1 }, "SERVER_MAX_REQUEST_HEADER_SIZE", "-1"},
		{"body size", func(c *settings.Config) { c.MaxRequestBodySize = -1 }, "SERVER_MAX_REQUEST_BODY_SIZE", "-1"},
		{"certificate alone", func(c *settings.Config) { c.SSLCertificate = "c.pem" }, "SERVER_SSL_CERTIFICATE", "c.pem"},
		{"chain with key only", func(c *settings.Config) {
			c.SSLCertificateChain = "ch.pem"
			c.SSLCertificate = "c.pem"
			c.SSLPrivateKey = "k.pem"
			c.SSLCertificate = ""
		}, "SERVER_SSL_PRIVATE_KEY", "k.pem"},
		{"named prefix", func(c *settings.Config) { c.Name = "metrics"; c.Port = 1 << 20 }, "SERVER_METRICS_SOCKET_PORT", "1048576"},
		{"bad name", func(c *settings.Config) { c.Name = "my-app" }, "SERVER_NAMES", "my-app"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := settings.Default()
			tt.modify(&c)
			err := c.Validate()
			var ce *settings.ConfigError
			require.ErrorAs(t, err, &ce)
			require.NotEmpty(t, ce.Problems)
			assert.Equal(t, tt.wantVar, ce.Problems[0].Var)
			assert.Equal(t, tt.wantVal, ce.Problems[0].Value)
			assert.NotEmpty(t, ce.Problems[0].Accepted)
		})
	}

	// Host forms Validate accepts as Load would produce or a user would
	// write by hand.
	for _, host := range []string{"", "*", "::", "[::1]", "0.0.0.0", "localhost", "fe80::1%eth0", "under_score.local"} {
		c := settings.Default()
		c.Host = host
		assert.NoError(t, c.Validate(), "host %q", host)
	}
}

func TestConfigProblemsAreSettingErrors(t *testing.T) {
	_, err := settings.Load(map[string]string{"SERVER_SOCKET_PORT": "abc", "SERVER_THREAD_POOL": "-1"})
	var ce *settings.ConfigError
	require.True(t, errors.As(err, &ce))
	require.Len(t, ce.Problems, 2)
	for _, p := range ce.Problems {
		var se *settings.SettingError
		require.True(t, errors.As(error(p), &se))
		assert.Same(t, p, se)
	}
}

func TestConfigProblemsInFieldOrder(t *testing.T) {
	problems := loadProblems(t, map[string]string{
		"SERVER_STATISTICS":       "x",
		"SERVER_SSL_CERTIFICATE":  "c.pem",
		"SERVER_SOCKET_PORT":      "70000",
		"SERVER_SOCKET_HOST":      "[300.1.1.1]",
		"SERVER_PROTOCOL_VERSION": "HTTP/9",
		"SERVER_ON":               "off",
	})
	var got []string
	for _, p := range problems {
		got = append(got, p.Var+"="+p.Value)
	}
	assert.Equal(t, []string{
		"SERVER_ON=off",
		"SERVER_SOCKET_HOST=[300.1.1.1]",
		"SERVER_SOCKET_PORT=70000",
		"SERVER_PROTOCOL_VERSION=HTTP/9",
		"SERVER_SSL_CERTIFICATE=c.pem",
		"SERVER_STATISTICS=x",
	}, got)
}

func TestConfigValidateZeroValue(t *testing.T) {
	// A Config built by hand with only what it needs is valid: all
	// interfaces, ephemeral port, no limits.
	assert.NoError(t, settings.Config{}.Validate())
}
