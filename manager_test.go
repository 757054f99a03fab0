package cherrygo_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-49a6713b/cherrygo"
	"github.com/seed-49a6713b/cherrygo/adapter/settings"
	"github.com/seed-49a6713b/cherrygo/engine"
	"github.com/seed-49a6713b/cherrygo/engine/plugins"
	"github.com/seed-49a6713b/cherrygo/internal/testwait"
	"github.com/seed-49a6713b/cherrygo/stdlib"
)

func helloTree() *engine.Tree {
	tree := engine.NewTree()
	tree.Mount("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			if _, err := io.ReadAll(r.Body); err != nil {
				return // the body limit answers
			}
		}
		io.WriteString(w, "hello")
	}))
	return tree
}

// quiet is a logger for managers whose log no test reads.
func quiet() cherrygo.Option { return cherrygo.WithLogger(slog.New(slog.DiscardHandler)) }

// startManager builds a manager from environ and starts it; cleanup
// stops it.
func startManager(t *testing.T, environ map[string]string, opts ...cherrygo.Option) (*cherrygo.Manager, *engine.Bus) {
	t.Helper()
	opts = append([]cherrygo.Option{quiet(), cherrygo.WithEnvironment(environ)}, opts...)
	m, err := cherrygo.New(helloTree(), opts...)
	require.NoError(t, err)
	require.NoError(t, m.Start(context.Background()))
	t.Cleanup(func() { m.Exit(context.Background()) })
	return m, m.Bus()
}

func client(t *testing.T) *http.Client {
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

func fetch(t *testing.T, c *http.Client, method, url, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	require.NoError(t, err)
	resp, err := c.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

func TestManagerServesTreeThroughGateway(t *testing.T) {
	m, _ := startManager(t, map[string]string{
		"SERVER_SOCKET_HOST": "127.0.0.1", "SERVER_SOCKET_PORT": "0",
		"SERVER_MAX_REQUEST_BODY_SIZE": "10",
		"SERVER_STATISTICS":            "true",
	})
	require.True(t, strings.HasPrefix(m.URL(), "http://127.0.0.1:"), m.URL())
	require.NotNil(t, m.Addr())
	c := client(t)

	status, body := fetch(t, c, http.MethodGet, m.URL()+"/", "")
	assert.Equal(t, http.StatusOK, status)
	assert.Equal(t, "hello", body)

	status, _ = fetch(t, c, http.MethodPost, m.URL()+"/", strings.Repeat("x", 11))
	assert.Equal(t, http.StatusRequestEntityTooLarge, status, "SERVER_MAX_REQUEST_BODY_SIZE reaches the gateway")

	require.NotNil(t, m.Statistics(), "SERVER_STATISTICS=true collects statistics")
	snap := m.Statistics().Snapshot()
	assert.EqualValues(t, 2, snap.Total.Requests)
}

func TestManagerNamedServers(t *testing.T) {
	m, bus := startManager(t, map[string]string{
		"SERVER_SOCKET_HOST": "127.0.0.1", "SERVER_SOCKET_PORT": "0",
		"SERVER_NAMES":             "admin,metrics",
		"SERVER_ADMIN_SOCKET_HOST": "127.0.0.1", "SERVER_ADMIN_SOCKET_PORT": "0",
		"SERVER_METRICS_ON": "false",
	})
	require.Len(t, m.Servers(), 2, "the switched-off server is not built")
	admin := m.Server("admin")
	require.NotNil(t, admin)
	assert.Nil(t, m.Server("metrics"))
	assert.NotEqual(t, m.URL(), admin.URL())
	c := client(t)
	for _, url := range []string{m.URL(), admin.URL()} {
		status, body := fetch(t, c, http.MethodGet, url+"/", "")
		assert.Equal(t, http.StatusOK, status)
		assert.Equal(t, "hello", body)
	}
	require.NoError(t, bus.Stop(context.Background()))
	assert.False(t, admin.Running())
}

func TestManagerConfigErrors(t *testing.T) {
	_, err := cherrygo.New(helloTree(), quiet(),
		cherrygo.WithEnvironment(map[string]string{"SERVER_SOCKET_HOST": "127.0.0.1", "SERVER_SOCKET_PORT": "abc", "SERVER_THREAD_POOL": "-3"}))
	var ce *settings.ConfigError
	require.ErrorAs(t, err, &ce)
	assert.Len(t, ce.Problems, 2, "every problem at once")
	assert.Equal(t, 2, cherrygo.ExitCode(err))
}

func TestManagerTLSFileErrorIsConfigError(t *testing.T) {
	_, err := cherrygo.New(helloTree(), quiet(),
		cherrygo.WithEnvironment(map[string]string{
			"SERVER_SSL_CERTIFICATE": "/nonexistent/cert.pem",
			"SERVER_SSL_PRIVATE_KEY": "/nonexistent/key.pem",
		}))
	require.Error(t, err)
	assert.Equal(t, 2, cherrygo.ExitCode(err), "checked before anything binds, as configuration")
	assert.Contains(t, err.Error(), "/nonexistent/cert.pem")
}

func TestManagerCustomServerReplacesTheDefault(t *testing.T) {
	custom, err := stdlib.New(settings.Config{Host: "127.0.0.1", Port: 0}, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, "custom")
	}))
	require.NoError(t, err)
	m, _ := startManager(t, map[string]string{}, cherrygo.WithServer("", custom))
	status, body := fetch(t, client(t), http.MethodGet, m.URL()+"/", "")
	assert.Equal(t, http.StatusOK, status)
	assert.Equal(t, "custom", body)
	assert.Len(t, m.Servers(), 1)
}

func TestManagerRunReadyAndExit(t *testing.T) {
	called := make(chan string, 1)
	m, err := cherrygo.New(helloTree(), quiet(),
		cherrygo.WithEnvironment(map[string]string{"SERVER_SOCKET_HOST": "127.0.0.1", "SERVER_SOCKET_PORT": "0"}),
		cherrygo.WithSignals(&plugins.SignalHandler{Signals: make(chan os.Signal)}),
		cherrygo.WithReady(func(m *cherrygo.Manager) { called <- m.URL() }))
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- m.Run(context.Background()) }()
	url := testwait.Receive(t, called, "WithReady's function")
	assert.True(t, strings.HasPrefix(url, "http://127.0.0.1:"), url)
	status, body := fetch(t, client(t), http.MethodGet, url+"/", "")
	assert.Equal(t, http.StatusOK, status)
	assert.Equal(t, "hello", body)
	m.Bus().RequestExit(0)
	assert.NoError(t, testwait.Receive(t, done, "Run returning after the exit"))
	assert.Equal(t, 0, m.ExitCode())
}

func TestManagerBindFailureRollsBack(t *testing.T) {
	first, _ := startManager(t, map[string]string{"SERVER_SOCKET_HOST": "127.0.0.1", "SERVER_SOCKET_PORT": "0"})
	_, port, _ := strings.Cut(strings.TrimPrefix(first.URL(), "http://"), ":")
	m, err := cherrygo.New(helloTree(), quiet(),
		cherrygo.WithEnvironment(map[string]string{
			"SERVER_SOCKET_HOST": "127.0.0.1", "SERVER_SOCKET_PORT": "0", "SERVER_NAMES": "b", "SERVER_B_SOCKET_HOST": "127.0.0.1", "SERVER_B_SOCKET_PORT": port,
		}))
	require.NoError(t, err)
	err = m.Start(context.Background())
	require.Error(t, err)
	assert.Contains(t, err.Error(), port)
	assert.Equal(t, 1, cherrygo.ExitCode(err))
	assert.Equal(t, engine.Stopped, m.Bus().State())
	assert.False(t, m.Server("").Running(), "the server that started was rolled back")
	assert.False(t, errors.Is(err, context.Canceled))
}

// The manager warns about unknown settings as it is built, and serves on:
// a warning, not an error.
func TestManagerWarnsAboutUnknownSettings(t *testing.T) {
	var log bytes.Buffer
	_, err := cherrygo.New(helloTree(), cherrygo.WithLogger(slog.New(slog.NewTextHandler(&log, nil))), cherrygo.WithEnvironment(map[string]string{
		"SERVER_SOCKET_HOST": "127.0.0.1", "SERVER_SOCKET_PORT": "0", "SERVER_SHUTDOWN_TIMEOT": "0.1",
	}))
	require.NoError(t, err)
	assert.Contains(t, log.String(), `level=WARN msg="SERVER_SHUTDOWN_TIMEOT is not a setting; did you mean SERVER_SHUTDOWN_TIMEOUT?"`)
}
