package settings_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-49a6713b/cherrygo/adapter/settings"
)

func TestConfigNamedServers(t *testing.T) {
	cfgs, err := settings.Load(map[string]string{
		"SERVER_NAMES":               " admin , Metrics,,",
		"SERVER_SOCKET_PORT":         "9000",
		"SERVER_THREAD_POOL":         "20",
		"SERVER_ADMIN_SOCKET_PORT":   "9001",
		"SERVER_ADMIN_SOCKET_HOST":   "[::1]",
		"SERVER_METRICS_SOCKET_FILE": "/tmp/metrics.sock",
		"SERVER_METRICS_ON":          "true",
	})
	require.NoError(t, err)
	require.Len(t, cfgs, 3)

	def, admin, metrics := cfgs[0], cfgs[1], cfgs[2]
	assert.Equal(t, "", def.Name)
	assert.Equal(t, "admin", admin.Name)
	assert.Equal(t, "metrics", metrics.Name)

	// Each server reads its own variables only.
	assert.Equal(t, ":9000", def.Addr())
	assert.Equal(t, "[::1]:9001", admin.Addr())
	assert.Equal(t, "/tmp/metrics.sock", metrics.Addr())
	assert.Equal(t, "unix", metrics.Network())
	assert.Equal(t, "", def.SocketFile)

	// Named servers start from the defaults, not the default server's
	// settings.
	assert.Equal(t, 20, def.ThreadPool)
	assert.Equal(t, 0, admin.ThreadPool)
	want := settings.Default()
	want.Name, want.Host, want.Port = "admin", "::1", 9001
	assert.Equal(t, want, admin)

	for _, c := range cfgs {
		assert.True(t, c.On, c.Name)
		assert.NoError(t, c.Validate(), c.Name)
	}
}

func TestConfigNamedServerVariablesStaySeparate(t *testing.T) {
	// A named server's variables never reach the default server, and the
	// default server's never reach a named one.
	cfgs, err := settings.Load(map[string]string{
		"SERVER_NAMES":                  "admin",
		"SERVER_ADMIN_SOCKET_PORT":      "9100",
		"SERVER_ADMIN_SOCKET_TIMEOUT":   "1",
		"SERVER_ADMIN_SHUTDOWN_TIMEOUT": "0.25",
		"SERVER_SOCKET_TIMEOUT":         "3",
	})
	require.NoError(t, err)
	require.Len(t, cfgs, 2)
	assert.Equal(t, 8080, cfgs[0].Port)
	assert.Equal(t, 3*time.Second, cfgs[0].SocketTimeout)
	assert.Equal(t, 5*time.Second, cfgs[0].ShutdownTimeout)
	assert.Equal(t, 9100, cfgs[1].Port)
	assert.Equal(t, time.Second, cfgs[1].SocketTimeout)
	assert.Equal(t, 250*time.Millisecond, cfgs[1].ShutdownTimeout)

	// Without SERVER_NAMES, SERVER_ADMIN_* is ignored.
	cfgs, err = settings.Load(map[string]string{"SERVER_ADMIN_SOCKET_PORT": "9100"})
	require.NoError(t, err)
	require.Len(t, cfgs, 1)
	assert.Equal(t, 8080, cfgs[0].Port)
}

func TestConfigNamedServerOnOff(t *testing.T) {
	tests := []struct {
		value  string
		wantOn bool
	}{
		{"", true}, {"true", true}, {"1", true}, {"T", true},
		{"false", false}, {"0", false}, {"F", false}, {"FALSE", false},
	}
	for _, tt := range tests {
		t.Run("ON="+tt.value, func(t *testing.T) {
			cfgs, err := settings.Load(map[string]string{
				"SERVER_NAMES":             "admin",
				"SERVER_ADMIN_SOCKET_PORT": "9001",
				"SERVER_ADMIN_ON":          tt.value,
			})
			require.NoError(t, err)
			require.Len(t, cfgs, 2)
			assert.True(t, cfgs[0].On)
			assert.Equal(t, tt.wantOn, cfgs[1].On)
		})
	}

	// SERVER_ON=true is harmless; the default server is on regardless.
	c := loadDefault(t, map[string]string{"SERVER_ON": "true"})
	assert.True(t, c.On)
}

func TestConfigNamesCaseInsensitive(t *testing.T) {
	cfgs, err := settings.Load(map[string]string{
		"SERVER_NAMES":               "Admin_2,API",
		"SERVER_ADMIN_2_SOCKET_PORT": "9001",
		"SERVER_API_SOCKET_PORT":     "9002",
	})
	require.NoError(t, err)
	require.Len(t, cfgs, 3)
	assert.Equal(t, "admin_2", cfgs[1].Name)
	assert.Equal(t, 9001, cfgs[1].Port)
	assert.Equal(t, "api", cfgs[2].Name)
	assert.Equal(t, 9002, cfgs[2].Port)
}

func TestConfigNamesEmpty(t *testing.T) {
	for _, names := range []string{"", " ", ",", " , ,"} {
		cfgs, err := settings.Load(map[string]string{"SERVER_NAMES": names})
		require.NoError(t, err, "%q", names)
		assert.Len(t, cfgs, 1, "%q", names)
	}
}

func TestConfigNamesRejected(t *testing.T) {
	tests := []struct {
		names     string
		wantCause string
	}{
		{"admin-api", `bad entry "admin-api"`},
		{"admin api", `bad entry "admin api"`},
		{"admin;metrics", `bad entry "admin;metrics"`},
		{"café", `bad entry "café"`},
		{"SERVER_X.Y", `bad entry "SERVER_X.Y"`},
		{"admin,ADMIN", `"ADMIN" listed twice`},
	}
	for _, tt := range tests {
		t.Run(tt.names, func(t *testing.T) {
			problems := loadProblems(t, map[string]string{"SERVER_NAMES": tt.names, "SERVER_ADMIN_SOCKET_PORT": "9001"})
			require.Len(t, problems, 1, "%v", problems)
			p := problems[0]
			assert.Equal(t, "SERVER_NAMES", p.Var)
			assert.Equal(t, tt.names, p.Value)
			msg := p.Error()
			assert.Contains(t, msg, "SERVER_NAMES")
			assert.Contains(t, msg, "letters, digits and underscores")
			assert.Contains(t, msg, tt.wantCause)
		})
	}
}

func TestConfigAddressConflicts(t *testing.T) {
	tests := []struct {
		name    string
		environ map[string]string
		wantVar string // "" when there is no clash
	}{
		{"named server on the default port", map[string]string{"SERVER_NAMES": "admin"}, "SERVER_ADMIN_SOCKET_PORT"},
		{"same explicit port", map[string]string{"SERVER_NAMES": "admin", "SERVER_SOCKET_PORT": "9000", "SERVER_ADMIN_SOCKET_PORT": "9000"}, "SERVER_ADMIN_SOCKET_PORT"},
		{"all interfaces against loopback", map[string]string{"SERVER_NAMES": "admin", "SERVER_ADMIN_SOCKET_HOST": "127.0.0.1"}, "SERVER_ADMIN_SOCKET_PORT"},
		{"dual-stack against IPv6", map[string]string{"SERVER_NAMES": "admin", "SERVER_SOCKET_HOST": "::", "SERVER_ADMIN_SOCKET_HOST": "::1"}, "SERVER_ADMIN_SOCKET_PORT"},
		{"IPv4 any against IPv4", map[string]string{"SERVER_NAMES": "admin", "SERVER_SOCKET_HOST": "0.0.0.0"}, "SERVER_ADMIN_SOCKET_PORT"},
		{"mapped IPv4", map[string]string{"SERVER_NAMES": "admin", "SERVER_SOCKET_HOST": "127.0.0.1", "SERVER_ADMIN_SOCKET_HOST": "::ffff:127.0.0.1"}, "SERVER_ADMIN_SOCKET_PORT"},
		{"same socket file", map[string]string{"SERVER_NAMES": "a,b", "SERVER_A_SOCKET_FILE": "/tmp/x.sock", "SERVER_B_SOCKET_FILE": "/tmp/./x.sock"}, "SERVER_B_SOCKET_FILE"},
		{"between named servers", map[string]string{"SERVER_NAMES": "a,b", "SERVER_A_SOCKET_PORT": "9001", "SERVER_B_SOCKET_PORT": "9001"}, "SERVER_B_SOCKET_PORT"},

		{"different ports", map[string]string{"SERVER_NAMES": "admin", "SERVER_ADMIN_SOCKET_PORT": "9001"}, ""},
		{"ephemeral ports", map[string]string{"SERVER_NAMES": "admin", "SERVER_SOCKET_PORT": "0", "SERVER_ADMIN_SOCKET_PORT": "0"}, ""},
		{"switched off", map[string]string{"SERVER_NAMES": "admin", "SERVER_ADMIN_ON": "false"}, ""},
		{"different hosts", map[string]string{"SERVER_NAMES": "admin", "SERVER_SOCKET_HOST": "127.0.0.1", "SERVER_ADMIN_SOCKET_HOST": "127.0.0.2"}, ""},
		{"IPv4 any against IPv6", map[string]string{"SERVER_NAMES": "admin", "SERVER_SOCKET_HOST": "0.0.0.0", "SERVER_ADMIN_SOCKET_HOST": "::1"}, ""},
		{"unix against tcp", map[string]string{"SERVER_NAMES": "admin", "SERVER_ADMIN_SOCKET_FILE": "/tmp/a.sock"}, ""},
		{"different socket files", map[string]string{"SERVER_NAMES": "a,b", "SERVER_A_SOCKET_FILE": "/tmp/a.sock", "SERVER_B_SOCKET_FILE": "/tmp/b.sock"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.wantVar == "" {
				_, err := settings.Load(tt.environ)
				assert.NoError(t, err)
				return
			}
			problems := loadProblems(t, tt.environ)
			require.Len(t, problems, 1, "%v", problems)
			assert.Equal(t, tt.wantVar, problems[0].Var)
			assert.Contains(t, problems[0].Error(), "no other server")
			assert.Contains(t, problems[0].Error(), "address taken by another server")
		})
	}
}
