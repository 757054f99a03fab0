package cherrygo_test

import (
	"context"
	"errors"
	"net/http"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	cherrygo "github.com/seed-49a6713b/cherrygo"
	"github.com/seed-49a6713b/cherrygo/adapter/settings"
	"github.com/seed-49a6713b/cherrygo/engine"
	"github.com/seed-49a6713b/cherrygo/engine/plugins"
	"github.com/seed-49a6713b/cherrygo/stdlib"
)

var healthEnv = map[string]string{
	"SERVER_SOCKET_HOST": "127.0.0.1", "SERVER_SOCKET_PORT": "0",
	"SERVER_LIVENESS_PATH": "/livez", "SERVER_READINESS_PATH": "/readyz",
}

// The health paths answer before the application; the rest goes to it.
func TestHealthPathsServed(t *testing.T) {
	m, _ := startManager(t, healthEnv)
	c := client(t)
	status, body := fetch(t, c, http.MethodGet, m.URL()+"/readyz", "")
	assert.Equal(t, http.StatusOK, status)
	assert.Equal(t, "ok\n", body)
	status, body = fetch(t, c, http.MethodGet, m.URL()+"/livez", "")
	assert.Equal(t, http.StatusOK, status)
	assert.Equal(t, "ok\n", body)
	status, body = fetch(t, c, http.MethodGet, m.URL()+"/", "")
	assert.Equal(t, http.StatusOK, status)
	assert.Equal(t, "hello", body)
	status, _ = fetch(t, c, http.MethodPost, m.URL()+"/readyz", "")
	assert.Equal(t, http.StatusMethodNotAllowed, status)
}

// A failing application check, and one that does not answer within its
// timeout, make readiness 503 with a line naming each; liveness has checks
// of its own.
func TestHealthApplicationChecks(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	m, _ := startManager(t, healthEnv,
		cherrygo.WithReadinessCheck("db", time.Second, func(context.Context) error { return errors.New("connection refused") }),
		cherrygo.WithReadinessCheck("cache", 50*time.Millisecond, func(ctx context.Context) error {
			select {
			case <-release: // a check that ignores its context
			case <-time.After(time.Minute):
			}
			return nil
		}),
		cherrygo.WithReadinessCheck("fine", 0, func(context.Context) error { return nil }),
		cherrygo.WithLivenessCheck("deadlock", 0, func(context.Context) error { return errors.New("worker stuck") }),
	)
	c := client(t)
	status, body := fetch(t, c, http.MethodGet, m.URL()+"/readyz", "")
	assert.Equal(t, http.StatusServiceUnavailable, status)
	assert.Equal(t, "check db: connection refused\ncheck cache: no answer within 50ms\n", body)
	status, body = fetch(t, c, http.MethodGet, m.URL()+"/livez", "")
	assert.Equal(t, http.StatusServiceUnavailable, status)
	assert.Equal(t, "check deadlock: worker stuck\n", body)
}

// Readiness before the start and after the stop names the state.
func TestHealthReadyFollowsTheBus(t *testing.T) {
	m, err := cherrygo.New(helloTree(), quiet(), cherrygo.WithEnvironment(healthEnv))
	require.NoError(t, err)
	assert.Equal(t, []string{"bus: stopped", "server default: not serving"}, m.Ready(context.Background()))
	require.NoError(t, m.Start(context.Background()))
	assert.Empty(t, m.Ready(context.Background()))
	require.NoError(t, m.Exit(context.Background()))
	assert.Contains(t, m.Ready(context.Background()), "server default: not serving")
}

// SIGTERM with SERVER_SHUTDOWN_DELAY: readiness fails at once, the
// application and liveness answer through the delay, then the drain runs.
func TestHealthShutdownDelay(t *testing.T) {
	env := map[string]string{"SERVER_SHUTDOWN_DELAY": "300ms"}
	for k, v := range healthEnv {
		env[k] = v
	}
	sigs := make(chan os.Signal, 1)
	ready := make(chan *cherrygo.Manager, 1)
	m, err := cherrygo.New(helloTree(), quiet(), cherrygo.WithEnvironment(env),
		cherrygo.WithSignals(&plugins.SignalHandler{Signals: sigs}),
		cherrygo.WithReady(func(m *cherrygo.Manager) { ready <- m }))
	require.NoError(t, err)
	ran := make(chan error, 1)
	go func() { ran <- m.Run(context.Background()) }()
	select {
	case <-ready:
	case <-time.After(10 * time.Second):
		t.Fatal("not ready in 10s")
	}
	c := client(t)
	url := m.URL()
	stopped := make(chan any, 1)
	m.Bus().Subscribe(engine.ChannelStop, func(context.Context, any) (any, error) { stopped <- nil; return nil, nil }, 1)

	sigs <- syscall.SIGTERM
	select {
	case <-stopped:
		t.Fatal("the stop began without the delay")
	default:
	}
	// The stop-requested publish happens in the signal's listener; readiness
	// follows from it.
	deadline := time.Now().Add(5 * time.Second)
	for {
		status, body := fetch(t, c, http.MethodGet, url+"/readyz", "")
		if status == http.StatusServiceUnavailable {
			assert.Equal(t, "stopping: shutdown delay\n", body)
			break
		}
		require.True(t, time.Now().Before(deadline), "readiness never failed")
	}
	status, body := fetch(t, c, http.MethodGet, url+"/", "")
	assert.Equal(t, http.StatusOK, status, "the application answers during the delay")
	assert.Equal(t, "hello", body)
	status, _ = fetch(t, c, http.MethodGet, url+"/livez", "")
	assert.Equal(t, http.StatusOK, status, "liveness stays 200")
	select {
	case <-stopped:
		t.Fatal("the drain began before the delay was over")
	default:
	}
	select {
	case err := <-ran:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after the delay")
	}
	assert.Len(t, stopped, 1, "the drain ran after the delay")
}

// Metrics paths need the metrics package; health paths cannot be put on a
// server the program brings itself.
func TestHealthEndpointConfigErrors(t *testing.T) {
	_, err := cherrygo.New(helloTree(), quiet(), cherrygo.WithEnvironment(map[string]string{"SERVER_METRICS_PATH": "/metrics"}))
	var ce *settings.ConfigError
	require.ErrorAs(t, err, &ce)
	require.Len(t, ce.Problems, 1)
	assert.Equal(t, "SERVER_METRICS_PATH", ce.Problems[0].Var)
	assert.Contains(t, ce.Problems[0].Accepted, "metrics package")
	assert.Equal(t, 2, cherrygo.ExitCode(err))

	own, err := stdlib.New(settings.Config{Host: "127.0.0.1"}, http.NotFoundHandler())
	require.NoError(t, err)
	_, err = cherrygo.New(helloTree(), quiet(),
		cherrygo.WithEnvironment(map[string]string{"SERVER_NAMES": "own", "SERVER_OWN_SOCKET_PORT": "0", "SERVER_OWN_READINESS_PATH": "/readyz"}),
		cherrygo.WithServer("own", own))
	require.ErrorAs(t, err, &ce)
	require.Len(t, ce.Problems, 1)
	assert.Equal(t, "SERVER_OWN_READINESS_PATH", ce.Problems[0].Var)
}
