package adapter_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-49a6713b/cherrygo/adapter"
	"github.com/seed-49a6713b/cherrygo/adapter/settings"
	"github.com/seed-49a6713b/cherrygo/engine"
	"github.com/seed-49a6713b/cherrygo/stdlib"
)

func backend(cfg settings.Config, h http.Handler) (adapter.Server, error) { return stdlib.New(cfg, h) }

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

// startManager builds a manager from environ and starts its bus; cleanup
// stops it.
func startManager(t *testing.T, environ map[string]string, opts ...adapter.ManagerOption) (*adapter.Manager, *engine.Bus) {
	t.Helper()
	bus := engine.New()
	opts = append([]adapter.ManagerOption{adapter.WithBackend(backend), adapter.WithEnvironment(environ)}, opts...)
	m, err := adapter.NewManager(bus, helloTree(), opts...)
	require.NoError(t, err)
	require.NoError(t, m.Start(context.Background()))
	t.Cleanup(func() { bus.Exit(context.Background()) })
	return m, bus
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
	_, err := adapter.NewManager(engine.New(), helloTree(), adapter.WithBackend(backend),
		adapter.WithEnvironment(map[string]string{"SERVER_SOCKET_HOST": "127.0.0.1", "SERVER_SOCKET_PORT": "abc", "SERVER_THREAD_POOL": "-3"}))
	var ce *settings.ConfigError
	require.ErrorAs(t, err, &ce)
	assert.Len(t, ce.Problems, 2, "every problem at once")
	assert.Equal(t, 2, adapter.ExitCode(err))
}

func TestManagerWithoutBackend(t *testing.T) {
	_, err := adapter.NewManager(engine.New(), helloTree(), adapter.WithEnvironment(map[string]string{}))
	assert.ErrorIs(t, err, adapter.ErrNoServer)
}

func TestManagerTLSFileErrorIsConfigError(t *testing.T) {
	_, err := adapter.NewManager(engine.New(), helloTree(), adapter.WithBackend(backend),
		adapter.WithEnvironment(map[string]string{
			"SERVER_SSL_CERTIFICATE": "/nonexistent/cert.pem",
			"SERVER_SSL_PRIVATE_KEY": "/nonexistent/key.pem",
		}))
	require.Error(t, err)
	assert.Equal(t, 2, adapter.ExitCode(err), "checked before anything binds, as configuration")
	assert.Contains(t, err.Error(), "/nonexistent/cert.pem")
}

func TestManagerCustomServer(t *testing.T) {
	custom, err := stdlib.New(settings.Config{Host: "127.0.0.1", Port: 0}, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, "custom")
	}))
	require.NoError(t, err)
	m, _ := startManager(t, map[string]string{}, adapter.WithServer("", custom))
	status, body := fetch(t, client(t), http.MethodGet, m.URL()+"/", "")
	assert.Equal(t, http.StatusOK, status)
	assert.Equal(t, "custom", body)
}

func TestManagerStartWithCallbackAndQuickstart(t *testing.T) {
	bus := engine.New()
	m, err := adapter.NewManager(bus, helloTree(), adapter.WithBackend(backend),
		adapter.WithEnvironment(map[string]string{"SERVER_SOCKET_HOST": "127.0.0.1", "SERVER_SOCKET_PORT": "0"}))
	require.NoError(t, err)
	called := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- m.Quickstart(context.Background())
	}()
	_, err = bus.Wait(contextTimeout(t), engine.Started)
	require.NoError(t, err)
	bus.Go(func(context.Context) { called <- m.URL() })
	select {
	case url := <-called:
		assert.NotEmpty(t, url)
	case <-time.After(10 * time.Second):
		t.Fatal("callback not run")
	}
	bus.RequestExit(0)
	select {
	case err := <-done:
		assert.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("Quickstart did not return after exit")
	}
	assert.Equal(t, 0, bus.ExitCode())

	bus2 := engine.New()
	m2, err := adapter.NewManager(bus2, helloTree(), adapter.WithBackend(backend),
		adapter.WithEnvironment(map[string]string{"SERVER_SOCKET_HOST": "127.0.0.1", "SERVER_SOCKET_PORT": "0"}))
	require.NoError(t, err)
	require.NoError(t, m2.StartWithCallback(context.Background(), func(context.Context) { called <- m2.URL() }))
	t.Cleanup(func() { bus2.Exit(context.Background()) })
	select {
	case url := <-called:
		assert.True(t, strings.HasPrefix(url, "http://"))
	case <-time.After(10 * time.Second):
		t.Fatal("StartWithCallback's function not run")
	}
}

func TestManagerBindFailureRollsBack(t *testing.T) {
	bus := engine.New()
	first, _ := startManager(t, map[string]string{"SERVER_SOCKET_HOST": "127.0.0.1", "SERVER_SOCKET_PORT": "0"})
	_, port, _ := strings.Cut(strings.TrimPrefix(first.URL(), "http://"), ":")
	m, err := adapter.NewManager(bus, helloTree(), adapter.WithBackend(backend),
		adapter.WithEnvironment(map[string]string{
			"SERVER_SOCKET_HOST": "127.0.0.1", "SERVER_SOCKET_PORT": "0", "SERVER_NAMES": "b", "SERVER_B_SOCKET_HOST": "127.0.0.1", "SERVER_B_SOCKET_PORT": port,
		}))
	require.NoError(t, err)
	err = m.Start(context.Background())
	require.Error(t, err)
	assert.Contains(t, err.Error(), port)
	assert.Equal(t, 1, adapter.ExitCode(err))
	assert.Equal(t, engine.Stopped, bus.State())
	assert.False(t, m.Server("").Running(), "the server that started was rolled back")
	assert.False(t, errors.Is(err, context.Canceled))
}

func contextTimeout(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// The manager warns about unknown settings as it is built, and serves on:
// a warning, not an error.
func TestManagerWarnsAboutUnknownSettings(t *testing.T) {
	var log bytes.Buffer
	bus := engine.New(engine.WithLogger(slog.New(slog.NewTextHandler(&log, nil))))
	m, err := adapter.NewManager(bus, helloTree(), adapter.WithBackend(backend), adapter.WithEnvironment(map[string]string{
		"SERVER_SOCKET_HOST": "127.0.0.1", "SERVER_SOCKET_PORT": "0", "SERVER_SHUTDOWN_TIMEOT": "0.1",
	}))
	require.NoError(t, err)
	defer m.Close()
	assert.Contains(t, log.String(), `level=WARN msg="SERVER_SHUTDOWN_TIMEOT is not a setting; did you mean SERVER_SHUTDOWN_TIMEOUT?"`)
}
