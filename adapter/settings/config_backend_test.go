package settings_test

import (
	"os/user"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-49a6713b/cherrygo/adapter/settings"
)

func TestConfigBackends(t *testing.T) {
	for _, b := range []string{"http", "fastcgi", "h2c"} {
		cfgs, err := settings.Load(map[string]string{"SERVER_BACKEND": b, "SERVER_NAMES": "admin", "SERVER_ADMIN_BACKEND": b, "SERVER_ADMIN_SOCKET_PORT": "9000"})
		require.NoError(t, err, b)
		assert.Equal(t, b, cfgs[0].Backend)
		assert.Equal(t, b, cfgs[1].Backend)
	}
	cfgs, err := settings.Load(map[string]string{"SERVER_SSL_CERTIFICATE": "c.pem", "SERVER_SSL_PRIVATE_KEY": "k.pem", "SERVER_HTTP3": "true"})
	require.NoError(t, err)
	assert.True(t, cfgs[0].HTTP3)
}

// Each refused combination names both variables: the one refused, and in
// its accepted form the one it clashes with.
func TestConfigBackendClashes(t *testing.T) {
	tlsEnv := func(prefix string, kv ...string) map[string]string {
		m := map[string]string{prefix + "SSL_CERTIFICATE": "c.pem", prefix + "SSL_PRIVATE_KEY": "k.pem"}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	tests := []struct {
		name          string
		environ       map[string]string
		wantVar, want string
		mentions      string
	}{
		{"unknown backend", map[string]string{"SERVER_BACKEND": "wsgi"}, "SERVER_BACKEND", "wsgi", "http, fastcgi or h2c"},
		{"backend case", map[string]string{"SERVER_BACKEND": "FastCGI"}, "SERVER_BACKEND", "FastCGI", "http, fastcgi or h2c"},
		{"fastcgi with TLS", tlsEnv("SERVER_", "SERVER_BACKEND", "fastcgi"), "SERVER_BACKEND", "fastcgi", "SERVER_SSL_CERTIFICATE"},
		{"h2c with TLS", tlsEnv("SERVER_", "SERVER_BACKEND", "h2c"), "SERVER_BACKEND", "h2c", "SERVER_SSL_CERTIFICATE"},
		{"named fastcgi with TLS", tlsEnv("SERVER_ADMIN_", "SERVER_NAMES", "admin", "SERVER_ADMIN_SOCKET_PORT", "9000", "SERVER_ADMIN_BACKEND", "fastcgi"), "SERVER_ADMIN_BACKEND", "fastcgi", "SERVER_ADMIN_SSL_CERTIFICATE"},
		{"http3 without TLS", map[string]string{"SERVER_HTTP3": "true"}, "SERVER_HTTP3", "true", "SERVER_SSL_CERTIFICATE"},
		{"http3 with fastcgi", map[string]string{"SERVER_HTTP3": "true", "SERVER_BACKEND": "fastcgi"}, "SERVER_HTTP3", "true", "SERVER_BACKEND=http"},
		{"http3 on a unix socket", tlsEnv("SERVER_", "SERVER_HTTP3", "true", "SERVER_SOCKET_FILE", "/tmp/x.sock"), "SERVER_HTTP3", "true", "SERVER_SOCKET_FILE"},
		{"http3 not a boolean", map[string]string{"SERVER_HTTP3": "yes"}, "SERVER_HTTP3", "yes", "a boolean"},
		{"group without socket file", map[string]string{"SERVER_SOCKET_FILE_GROUP": "root"}, "SERVER_SOCKET_FILE_GROUP", "root", "SERVER_SOCKET_FILE"},
		{"group unknown", map[string]string{"SERVER_SOCKET_FILE": "/tmp/x.sock", "SERVER_SOCKET_FILE_GROUP": "no-such-group-here"}, "SERVER_SOCKET_FILE_GROUP", "no-such-group-here", "a group name or numeric group id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var found *settings.SettingError
			for _, p := range loadProblems(t, tt.environ) {
				if p.Var == tt.wantVar {
					found = p
				}
			}
			require.NotNil(t, found, "no problem names %s", tt.wantVar)
			assert.Equal(t, tt.want, found.Value)
			assert.Contains(t, found.Accepted, tt.mentions)
			assert.Contains(t, found.Error(), tt.wantVar)
		})
	}
}

func TestLookupGroup(t *testing.T) {
	g, err := user.LookupGroupId("0")
	if err != nil {
		t.Skipf("no group 0 on this machine: %v", err)
	}
	byName, err := settings.LookupGroup(g.Name)
	require.NoError(t, err)
	assert.Zero(t, byName)
	byID, err := settings.LookupGroup("0")
	require.NoError(t, err)
	assert.Zero(t, byID)
	_, err = settings.LookupGroup("no-such-group-here")
	require.Error(t, err)
	assert.True(t, strings.Contains(err.Error(), "no-such-group-here"), err.Error())

	cfgs, err := settings.Load(map[string]string{"SERVER_SOCKET_FILE": "/tmp/x.sock", "SERVER_SOCKET_FILE_GROUP": g.Name})
	require.NoError(t, err)
	assert.Equal(t, g.Name, cfgs[0].SocketFileGroup)
}
