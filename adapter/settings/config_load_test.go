package settings_test

import (
	"io/fs"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-49a6713b/cherrygo/adapter/settings"
)

// loadDefault loads environ and returns the default server's settings.
func loadDefault(t *testing.T, environ map[string]string) settings.Config {
	t.Helper()
	cfgs, err := settings.Load(environ)
	require.NoError(t, err)
	require.NotEmpty(t, cfgs)
	return cfgs[0]
}

func TestConfigDefaults(t *testing.T) {
	for _, environ := range []map[string]string{nil, {}, {"UNRELATED": "x", "SERVER_PORT": "80"}} {
		cfgs, err := settings.Load(environ)
		require.NoError(t, err)
		require.Len(t, cfgs, 1)
		assert.Equal(t, settings.Default(), cfgs[0])
	}

	d := settings.Default()
	tests := []struct {
		field     string
		got, want any
	}{
		{"Name", d.Name, ""},
		{"On", d.On, true},
		{"Host", d.Host, ""}, // all interfaces, as CherryPy 3 documents socket_host
		{"Port", d.Port, 8080},
		{"SocketFile", d.SocketFile, ""},
		{"SocketFileMode", d.SocketFileMode, fs.FileMode(0o660)},
		{"SocketQueueSize", d.SocketQueueSize, 0},
		{"SocketTimeout", d.SocketTimeout, 10 * time.Second},
		{"ThreadPool", d.ThreadPool, 0},
		{"AcceptedQueueSize", d.AcceptedQueueSize, -1},
		{"AcceptedQueueTimeout", d.AcceptedQueueTimeout, 10 * time.Second},
		{"ShutdownTimeout", d.ShutdownTimeout, 5 * time.Second},
		{"ProtocolVersion", d.ProtocolVersion, "HTTP/1.1"},
		{"ReverseDNS", d.ReverseDNS, false},
		{"MaxRequestHeaderSize", d.MaxRequestHeaderSize, int64(500 * 1024)},
		{"MaxRequestBodySize", d.MaxRequestBodySize, int64(100 * 1024 * 1024)},
		{"SSLCertificate", d.SSLCertificate, ""},
		{"SSLPrivateKey", d.SSLPrivateKey, ""},
		{"SSLCertificateChain", d.SSLCertificateChain, ""},
		{"HTTP2", d.HTTP2, true},
		{"HTTP3", d.HTTP3, false},
		{"Backend", d.Backend, "http"},
		{"SocketFileGroup", d.SocketFileGroup, ""},
		{"NoDelay", d.NoDelay, true},
		{"Statistics", d.Statistics, false},
	}
	for _, tt := range tests {
		t.Run(tt.field, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.got)
		})
	}
	assert.NoError(t, d.Validate())
	assert.Equal(t, "tcp", d.Network())
	assert.Equal(t, ":8080", d.Addr())
	assert.False(t, d.TLS())
}

func TestConfigEmptyValueMeansDefault(t *testing.T) {
	c := loadDefault(t, map[string]string{
		"SERVER_SOCKET_PORT":      "",
		"SERVER_SOCKET_TIMEOUT":   "",
		"SERVER_SOCKET_FILE_MODE": "",
		"SERVER_NODELAY":          "",
		"SERVER_PROTOCOL_VERSION": "",
	})
	assert.Equal(t, settings.Default(), c)
}

func TestConfigAcceptedForms(t *testing.T) {
	tests := []struct {
		name  string
		key   string // after SERVER_
		value string
		got   func(settings.Config) any
		want  any
	}{
		{"port zero", "SOCKET_PORT", "0", port, 0},
		{"port low", "SOCKET_PORT", "1", port, 1},
		{"port max", "SOCKET_PORT", "65535", port, 65535},
		{"socket file", "SOCKET_FILE", "/run/app.sock", func(c settings.Config) any { return c.SocketFile }, "/run/app.sock"},
		{"mode leading zero", "SOCKET_FILE_MODE", "0660", mode, fs.FileMode(0o660)},
		{"mode bare", "SOCKET_FILE_MODE", "660", mode, fs.FileMode(0o660)},
		{"mode 0o", "SOCKET_FILE_MODE", "0o640", mode, fs.FileMode(0o640)},
		{"mode 0O", "SOCKET_FILE_MODE", "0O600", mode, fs.FileMode(0o600)},
		{"mode max", "SOCKET_FILE_MODE", "0777", mode, fs.FileMode(0o777)},
		{"mode zero", "SOCKET_FILE_MODE", "0", mode, fs.FileMode(0)},
		{"queue size", "SOCKET_QUEUE_SIZE", "128", func(c settings.Config) any { return c.SocketQueueSize }, 128},
		{"timeout seconds", "SOCKET_TIMEOUT", "10", func(c settings.Config) any { return c.SocketTimeout }, 10 * time.Second},
		{"timeout fraction", "SOCKET_TIMEOUT", "0.5", func(c settings.Config) any { return c.SocketTimeout }, 500 * time.Millisecond},
		{"timeout zero", "SOCKET_TIMEOUT", "0", func(c settings.Config) any { return c.SocketTimeout }, time.Duration(0)},
		{"timeout go form", "SOCKET_TIMEOUT", "1m30s", func(c settings.Config) any { return c.SocketTimeout }, 90 * time.Second},
		{"timeout ms", "SOCKET_TIMEOUT", "250ms", func(c settings.Config) any { return c.SocketTimeout }, 250 * time.Millisecond},
		{"queue timeout", "ACCEPTED_QUEUE_TIMEOUT", "2.5", func(c settings.Config) any { return c.AcceptedQueueTimeout }, 2500 * time.Millisecond},
		{"shutdown timeout", "SHUTDOWN_TIMEOUT", "30s", func(c settings.Config) any { return c.ShutdownTimeout }, 30 * time.Second},
		{"thread pool", "THREAD_POOL", "10", func(c settings.Config) any { return c.ThreadPool }, 10},
		{"accepted queue unbounded", "ACCEPTED_QUEUE_SIZE", "-1", func(c settings.Config) any { return c.AcceptedQueueSize }, -1},
		{"accepted queue none", "ACCEPTED_QUEUE_SIZE", "0", func(c settings.Config) any { return c.AcceptedQueueSize }, 0},
		{"accepted queue", "ACCEPTED_QUEUE_SIZE", "100", func(c settings.Config) any { return c.AcceptedQueueSize }, 100},
		{"HTTP/1.0", "PROTOCOL_VERSION", "HTTP/1.0", func(c settings.Config) any { return c.ProtocolVersion }, "HTTP/1.0"},
		{"HTTP/1.1", "PROTOCOL_VERSION", "HTTP/1.1", func(c settings.Config) any { return c.ProtocolVersion }, "HTTP/1.1"},
		{"header size zero", "MAX_REQUEST_HEADER_SIZE", "0", func(c settings.Config) any { return c.MaxRequestHeaderSize }, int64(0)},
		{"header size", "MAX_REQUEST_HEADER_SIZE", "8192", func(c settings.Config) any { return c.MaxRequestHeaderSize }, int64(8192)},
		{"body size zero", "MAX_REQUEST_BODY_SIZE", "0", func(c settings.Config) any { return c.MaxRequestBodySize }, int64(0)},
		{"shutdown delay", "SHUTDOWN_DELAY", "1.5", func(c settings.Config) any { return c.ShutdownDelay }, 1500 * time.Millisecond},
		{"readiness path", "READINESS_PATH", "/readyz", func(c settings.Config) any { return c.ReadinessPath }, "/readyz"},
		{"trusted proxies", "TRUSTED_PROXIES", " 10.0.0.0/8 , 192.0.2.7,::ffff:198.51.100.1, fd00::/8,unix", func(c settings.Config) any { return c.TrustedProxies.String() }, "10.0.0.0/8,192.0.2.7/32,198.51.100.1/32,fd00::/8,unix"},
		{"trusted proxies masked", "TRUSTED_PROXIES", "10.1.2.3/8", func(c settings.Config) any { return c.TrustedProxies.String() }, "10.0.0.0/8"},
		{"body size large", "MAX_REQUEST_BODY_SIZE", "10737418240", func(c settings.Config) any { return c.MaxRequestBodySize }, int64(10 << 30)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := loadDefault(t, map[string]string{"SERVER_" + tt.key: tt.value})
			assert.Equal(t, tt.want, tt.got(c))
		})
	}
}

func port(c settings.Config) any { return c.Port }
func mode(c settings.Config) any { return c.SocketFileMode }

func TestConfigBooleanForms(t *testing.T) {
	fields := map[string]func(settings.Config) bool{
		"REVERSE_DNS": func(c settings.Config) bool { return c.ReverseDNS },
		"HTTP2":       func(c settings.Config) bool { return c.HTTP2 },
		"NODELAY":     func(c settings.Config) bool { return c.NoDelay },
		"STATISTICS":  func(c settings.Config) bool { return c.Statistics },
	}
	forms := map[string]bool{
		"1": true, "t": true, "T": true, "TRUE": true, "true": true, "True": true,
		"0": false, "f": false, "F": false, "FALSE": false, "false": false, "False": false,
	}
	for key, get := range fields {
		for value, want := range forms {
			t.Run(key+"="+value, func(t *testing.T) {
				c := loadDefault(t, map[string]string{"SERVER_" + key: value})
				assert.Equal(t, want, get(c))
			})
		}
	}
}

func TestConfigHost(t *testing.T) {
	tests := []struct {
		name     string
		environ  map[string]string
		wantHost string
		wantAddr string
	}{
		{"unset means all interfaces", map[string]string{}, "", ":8080"},
		{"empty means all interfaces", map[string]string{"SERVER_SOCKET_HOST": ""}, "", ":8080"},
		{"star means all interfaces", map[string]string{"SERVER_SOCKET_HOST": "*"}, "", ":8080"},
		{"IPv4 any", map[string]string{"SERVER_SOCKET_HOST": "0.0.0.0"}, "0.0.0.0", "0.0.0.0:8080"},
		{"IPv6 any", map[string]string{"SERVER_SOCKET_HOST": "::"}, "::", "[::]:8080"},
		{"IPv6 any bracketed", map[string]string{"SERVER_SOCKET_HOST": "[::]"}, "::", "[::]:8080"},
		{"IPv6 loopback", map[string]string{"SERVER_SOCKET_HOST": "::1"}, "::1", "[::1]:8080"},
		{"IPv6 bracketed", map[string]string{"SERVER_SOCKET_HOST": "[::1]"}, "::1", "[::1]:8080"},
		{"IPv6 with zone", map[string]string{"SERVER_SOCKET_HOST": "fe80::1%lo"}, "fe80::1%lo", "[fe80::1%lo]:8080"},
		{"IPv4 loopback", map[string]string{"SERVER_SOCKET_HOST": "127.0.0.2"}, "127.0.0.2", "127.0.0.2:8080"},
		{"host name", map[string]string{"SERVER_SOCKET_HOST": "localhost"}, "localhost", "localhost:8080"},
		{"dotted host name", map[string]string{"SERVER_SOCKET_HOST": "app-1.internal.example."}, "app-1.internal.example.", "app-1.internal.example.:8080"},
		{"with port", map[string]string{"SERVER_SOCKET_HOST": "::1", "SERVER_SOCKET_PORT": "0"}, "::1", "[::1]:0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := loadDefault(t, tt.environ)
			assert.Equal(t, tt.wantHost, c.Host)
			assert.Equal(t, tt.wantAddr, c.Addr())
			assert.Equal(t, "tcp", c.Network())
		})
	}
}

func TestConfigSocketFile(t *testing.T) {
	c := loadDefault(t, map[string]string{"SERVER_SOCKET_FILE": "/tmp/app.sock", "SERVER_SOCKET_FILE_MODE": "600"})
	assert.Equal(t, "unix", c.Network())
	assert.Equal(t, "/tmp/app.sock", c.Addr())
	assert.Equal(t, fs.FileMode(0o600), c.SocketFileMode)
}

func TestConfigAddrDirect(t *testing.T) {
	tests := []struct {
		cfg  settings.Config
		want string
	}{
		{settings.Config{Host: "", Port: 80}, ":80"},
		{settings.Config{Host: "*", Port: 80}, ":80"},
		{settings.Config{Host: "[::1]", Port: 80}, "[::1]:80"},
		{settings.Config{Host: "::1", Port: 80}, "[::1]:80"},
		{settings.Config{Host: "example.com", Port: 443}, "example.com:443"},
		{settings.Config{Host: "::1", Port: 80, SocketFile: "app.sock"}, "app.sock"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, tt.cfg.Addr(), "%+v", tt.cfg)
	}
}

func TestConfigTLS(t *testing.T) {
	tests := []struct {
		environ map[string]string
		want    bool
	}{
		{map[string]string{}, false},
		{map[string]string{"SERVER_SSL_CERTIFICATE": "cert.pem", "SERVER_SSL_PRIVATE_KEY": "key.pem"}, true},
		{map[string]string{"SERVER_SSL_CERTIFICATE": "cert.pem", "SERVER_SSL_PRIVATE_KEY": "key.pem", "SERVER_SSL_CERTIFICATE_CHAIN": "chain.pem"}, true},
	}
	for _, tt := range tests {
		c := loadDefault(t, tt.environ)
		assert.Equal(t, tt.want, c.TLS(), "%v", tt.environ)
	}
	assert.False(t, settings.Config{SSLCertificate: "cert.pem"}.TLS())
	assert.False(t, settings.Config{SSLPrivateKey: "key.pem"}.TLS())
}

func TestConfigLoadEnv(t *testing.T) {
	// The process environment is not ours to change; LoadEnv must at
	// least give the default server first when it succeeds.
	cfgs, err := settings.LoadEnv()
	if err != nil {
		t.Skipf("process environment has bad SERVER_* settings: %v", err)
	}
	require.NotEmpty(t, cfgs)
	assert.Equal(t, "", cfgs[0].Name)
	assert.True(t, cfgs[0].On)
}
