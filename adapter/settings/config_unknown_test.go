package settings_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/seed-49a6713b/cherrygo/adapter/settings"
)

func TestUnknownSettings(t *testing.T) {
	got := settings.Unknown(map[string]string{
		"SERVER_SHUTDOWN_TIMEOT":     "0.1",  // a typo
		"SERVER_SOCKET_PORT":         "8080", // known
		"SERVER_NAMES":               "admin",
		"SERVER_ADMIN_SOCKET_PORT":   "9000",     // known: admin is listed
		"SERVER_METRICS_SOCKET_PORT": "9100",     // metrics is not listed
		"SERVER_FASTCGI":             "true",     // no such setting, nothing close
		"SERVER_SERVICE_HOST":        "10.0.0.1", // what Kubernetes injects for a Service "server"
		"SERVER_PORT":                "tcp://10.0.0.1:80",
		"SERVER_ADMIN_THREAD_POL":    "4",     // a typo in a named server's setting
		"HOME":                       "/root", // not ours
	})
	assert.Equal(t, []string{
		"SERVER_ADMIN_THREAD_POL is not a setting; did you mean SERVER_ADMIN_THREAD_POOL?",
		"SERVER_FASTCGI is not a setting (see the settings table in README)",
		"SERVER_METRICS_SOCKET_PORT is a setting of a server metrics that SERVER_NAMES does not list; add it there, or remove the variable",
		"SERVER_PORT is not a setting (see the settings table in README)",
		"SERVER_SERVICE_HOST is not a setting (see the settings table in README)",
		"SERVER_SHUTDOWN_TIMEOT is not a setting; did you mean SERVER_SHUTDOWN_TIMEOUT?",
	}, got)
	assert.Empty(t, settings.Unknown(map[string]string{"SERVER_SOCKET_HOST": "", "SERVER_STATISTICS": "true"}))
}
