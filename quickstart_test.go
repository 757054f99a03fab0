package cherrygo_test

import (
	"context"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-49a6713b/cherrygo"
	"github.com/seed-49a6713b/cherrygo/engine"
	"github.com/seed-49a6713b/cherrygo/engine/plugins"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// lockedBuffer collects what Quickstart writes from several goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func tree() *engine.Tree {
	t := engine.NewTree()
	t.Mount("/", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "Hello, world!") }))
	return t
}

// running is a Quickstart serving in the background.
type running struct {
	url     string
	signals chan os.Signal
	code    chan int
	stderr  *lockedBuffer
}

// quickstart runs Quickstart for tr on loopback, with env added to the
// environment and signals injected, and returns once it serves.
func quickstart(t *testing.T, tr *engine.Tree, env map[string]string) *running {
	t.Helper()
	r := &running{signals: make(chan os.Signal, 1), code: make(chan int, 1), stderr: &lockedBuffer{}}
	environ := map[string]string{"SERVER_SOCKET_HOST": "127.0.0.1", "SERVER_SOCKET_PORT": "0"}
	maps.Copy(environ, env)
	urls := make(chan string, 1)
	go func() {
		r.code <- cherrygo.Quickstart(context.Background(), tr,
			cherrygo.WithStderr(r.stderr),
			cherrygo.WithEnvironment(environ),
			cherrygo.WithSignals(&plugins.SignalHandler{Signals: r.signals}),
			cherrygo.WithReady(func(m *cherrygo.Manager) { urls <- m.URL() }))
	}()
	select {
	case r.url = <-urls:
	case <-time.After(10 * time.Second):
		t.Fatalf("not serving after 10s:\n%s", r.stderr.String())
	}
	return r
}

// exitCode waits for Quickstart's exit code.
func (r *running) exitCode(t *testing.T) int {
	t.Helper()
	select {
	case c := <-r.code:
		return c
	case <-time.After(10 * time.Second):
		t.Fatalf("Quickstart did not return:\n%s", r.stderr.String())
		panic("unreachable")
	}
}

func TestQuickstartServesAndStopsOnSIGTERM(t *testing.T) {
	r := quickstart(t, tree(), nil)
	url, stderr := r.url, r.stderr
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr, Timeout: 10 * time.Second}).Get(url + "/")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, "Hello, world!", string(body))

	r.signals <- syscall.SIGTERM
	assert.Equal(t, 0, r.exitCode(t), stderr.String())
	assert.Contains(t, stderr.String(), "HTTP server shut down")
}

func TestQuickstartExitCodes(t *testing.T) {
	var stderr lockedBuffer
	c := cherrygo.Quickstart(context.Background(), tree(), cherrygo.WithStderr(&stderr),
		cherrygo.WithSignals(&plugins.SignalHandler{Signals: make(chan os.Signal)}),
		cherrygo.WithEnvironment(map[string]string{"SERVER_SOCKET_HOST": "127.0.0.1", "SERVER_SOCKET_PORT": "-1", "SERVER_PROTOCOL_VERSION": "HTTP/3"}))
	assert.Equal(t, 2, c)
	assert.Contains(t, stderr.String(), "SERVER_SOCKET_PORT")
	assert.Contains(t, stderr.String(), "SERVER_PROTOCOL_VERSION")

	taken, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer taken.Close()
	_, port, _ := net.SplitHostPort(taken.Addr().String())
	stderr = lockedBuffer{}
	c = cherrygo.Quickstart(context.Background(), tree(), cherrygo.WithStderr(&stderr),
		cherrygo.WithSignals(&plugins.SignalHandler{Signals: make(chan os.Signal)}),
		cherrygo.WithEnvironment(map[string]string{"SERVER_SOCKET_HOST": "127.0.0.1", "SERVER_SOCKET_PORT": port}))
	assert.Equal(t, 1, c)
	assert.Contains(t, stderr.String(), "127.0.0.1")
	assert.Contains(t, stderr.String(), port)
}

func TestQuickstartCancelledContextStopsServers(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	urls := make(chan string, 1)
	var stderr lockedBuffer
	code := make(chan int, 1)
	go func() {
		code <- cherrygo.Quickstart(ctx, tree(),
			cherrygo.WithStderr(&stderr),
			cherrygo.WithEnvironment(map[string]string{"SERVER_SOCKET_HOST": "127.0.0.1", "SERVER_SOCKET_PORT": "0"}),
			cherrygo.WithSignals(&plugins.SignalHandler{Signals: make(chan os.Signal)}),
			cherrygo.WithReady(func(m *cherrygo.Manager) { urls <- m.Addr().String() }))
	}()
	var addr string
	select {
	case addr = <-urls:
	case <-time.After(10 * time.Second):
		t.Fatalf("not serving:\n%s", stderr.String())
	}
	cancel()
	select {
	case c := <-code:
		assert.Equal(t, 0, c, "a cancelled context is a graceful stop:\n%s", stderr.String())
	case <-time.After(10 * time.Second):
		t.Fatal("Quickstart did not return after its context ended")
	}
	ln, err := net.Listen("tcp", addr)
	require.NoError(t, err, "the server must be stopped when Quickstart returns")
	ln.Close()
}

// A SIGTERM whose drain runs past SHUTDOWN_TIMEOUT cuts the request off,
// warns how many were cut, and is still a graceful stop: exit code 0.
func TestQuickstartDrainCutOffExits0(t *testing.T) {
	entered := make(chan struct{}, 1)
	slow := engine.NewTree()
	slow.Mount("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		entered <- struct{}{}
		<-r.Context().Done() // until the stop cuts the connection
	}))
	r := quickstart(t, slow, map[string]string{"SERVER_SHUTDOWN_TIMEOUT": "0.1"})
	url, stderr := r.url, r.stderr
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	failed := make(chan error, 1)
	go func() {
		resp, err := (&http.Client{Transport: tr, Timeout: 10 * time.Second}).Get(url + "/")
		if err == nil {
			resp.Body.Close()
		}
		failed <- err
	}()
	select {
	case <-entered:
	case <-time.After(10 * time.Second):
		t.Fatal("the request never reached the handler")
	}
	r.signals <- syscall.SIGTERM
	assert.Equal(t, 0, r.exitCode(t), stderr.String())
	select {
	case err := <-failed:
		assert.Error(t, err, "the request was cut off")
	case <-time.After(10 * time.Second):
		t.Fatal("the client never saw the cut")
	}
	out := stderr.String()
	assert.Contains(t, out, "level=WARN msg=\"drain cut requests off\"")
	assert.Contains(t, out, "connections=1")
	assert.NotContains(t, out, "level=ERROR", "a cut-off drain is not an error")
}

// The logger Quickstart is given (here the default one, on its stderr)
// gets the handlers' panics too, not slog.Default.
func TestQuickstartLogsHandlerPanics(t *testing.T) {
	boom := engine.NewTree()
	boom.Mount("/", http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") }))
	r := quickstart(t, boom, nil)
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr, Timeout: 10 * time.Second}).Get(r.url + "/")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusInternalServerError, resp.StatusCode)
	r.signals <- syscall.SIGTERM
	assert.Equal(t, 0, r.exitCode(t))
	assert.Contains(t, r.stderr.String(), `level=ERROR msg="panic serving request"`)
	assert.Contains(t, r.stderr.String(), "panic=boom")
}
