package cherrygo_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-49a6713b/cherrygo"
	"github.com/seed-49a6713b/cherrygo/adapter"
	"github.com/seed-49a6713b/cherrygo/adapter/settings"
	"github.com/seed-49a6713b/cherrygo/internal/testwait"
	"github.com/seed-49a6713b/cherrygo/stdlib"
)

var loopback = map[string]string{"SERVER_SOCKET_HOST": "127.0.0.1", "SERVER_SOCKET_PORT": "0"}

func with(env map[string]string, more ...string) map[string]string {
	out := map[string]string{}
	for k, v := range env {
		out[k] = v
	}
	for i := 0; i+1 < len(more); i += 2 {
		out[more[i]] = more[i+1]
	}
	return out
}

func TestWithNamedServerServesItsOwnHandler(t *testing.T) {
	own := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "admin "+r.URL.Path) })
	m, _ := startManager(t, with(loopback, "SERVER_ADMIN_SOCKET_HOST", "127.0.0.1", "SERVER_ADMIN_SOCKET_PORT", "0", "SERVER_ADMIN_MAX_REQUEST_BODY_SIZE", "3"),
		cherrygo.WithNamedServer("admin", own))
	admin := m.Server("admin")
	require.NotNil(t, admin, "added though SERVER_NAMES does not list it")
	c := client(t)
	_, body := fetch(t, c, http.MethodGet, admin.URL()+"/x", "")
	assert.Equal(t, "admin /x", body)
	_, body = fetch(t, c, http.MethodGet, m.URL()+"/", "")
	assert.Equal(t, "hello", body, "the default server still serves the tree")
	status, _ := fetch(t, c, http.MethodPost, admin.URL()+"/", "four")
	assert.Equal(t, http.StatusRequestEntityTooLarge, status, "the named server's policies apply to its handler")
}

// Listed in SERVER_NAMES too: one server, not two.
func TestWithNamedServerAlreadyListed(t *testing.T) {
	m, _ := startManager(t, with(loopback, "SERVER_NAMES", "Admin", "SERVER_ADMIN_SOCKET_HOST", "127.0.0.1", "SERVER_ADMIN_SOCKET_PORT", "0"),
		cherrygo.WithNamedServer("admin", http.NotFoundHandler()))
	assert.Len(t, m.Servers(), 2)
	status, _ := fetch(t, client(t), http.MethodGet, m.Server("admin").URL()+"/", "")
	assert.Equal(t, http.StatusNotFound, status)
}

func TestWithNamedServerNeedsItsOwnAddress(t *testing.T) {
	_, err := cherrygo.New(helloTree(), quiet(), cherrygo.WithEnvironment(map[string]string{"SERVER_SOCKET_HOST": "127.0.0.1"}),
		cherrygo.WithNamedServer("admin", http.NotFoundHandler()))
	var ce *settings.ConfigError
	require.ErrorAs(t, err, &ce)
	assert.Contains(t, err.Error(), "SERVER_ADMIN_SOCKET_PORT")
}

func TestWithNamedServerBadName(t *testing.T) {
	_, err := cherrygo.New(helloTree(), quiet(), cherrygo.WithEnvironment(loopback),
		cherrygo.WithNamedServer("my-admin", http.NotFoundHandler()))
	require.Error(t, err)
	assert.Contains(t, err.Error(), `"my-admin"`)
}

// WithDefaults is below the environment: used where it says nothing.
func TestWithDefaultsLayersUnderTheEnvironment(t *testing.T) {
	m, err := cherrygo.New(helloTree(), quiet(),
		cherrygo.WithEnvironment(map[string]string{"SERVER_SOCKET_HOST": "127.0.0.1", "SERVER_SHUTDOWN_TIMEOUT": "7"}),
		cherrygo.WithDefaults("SERVER_SOCKET_PORT=0", "SERVER_SHUTDOWN_TIMEOUT=1", "SERVER_MAX_REQUEST_BODY_SIZE=2"))
	require.NoError(t, err)
	require.NoError(t, m.Start(context.Background()))
	t.Cleanup(func() { m.Exit(context.Background()) })
	assert.NotContains(t, m.URL(), ":8080", "SERVER_SOCKET_PORT=0 from the defaults")
	status, _ := fetch(t, client(t), http.MethodPost, m.URL()+"/", "abc")
	assert.Equal(t, http.StatusRequestEntityTooLarge, status)

	_, err = cherrygo.New(helloTree(), quiet(), cherrygo.WithEnvironment(loopback), cherrygo.WithDefaults("SERVER_THREAD_POOL=lots"))
	assert.ErrorContains(t, err, "SERVER_THREAD_POOL", "a bad default is a configuration error like any")
}

func TestWithAccessLogWriter(t *testing.T) {
	var buf lockedBuffer
	m, _ := startManager(t, loopback, cherrygo.WithAccessLog(&buf))
	fetch(t, client(t), http.MethodGet, m.URL()+"/x?y=1", "")
	require.NoError(t, m.Exit(context.Background()))
	assert.Contains(t, buf.String(), `"GET /x?y=1 HTTP/1.1" 200 5`)
}

func TestWithHTTPServer(t *testing.T) {
	own := &http.Server{Addr: "127.0.0.1:0", Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "own") })}
	treeServed := &http.Server{Addr: "127.0.0.1:0"}
	m, _ := startManager(t, loopback, cherrygo.WithHTTPServer("own", own), cherrygo.WithHTTPServer("tree", treeServed))
	c := client(t)
	_, body := fetch(t, c, http.MethodGet, m.Server("own").URL()+"/", "")
	assert.Equal(t, "own", body)
	_, body = fetch(t, c, http.MethodGet, m.Server("tree").URL()+"/", "")
	assert.Equal(t, "hello", body, "a nil Handler serves the tree")
	assert.Len(t, m.Servers(), 3)
}

// slowStopper is a server whose Stop reports that it began and waits for
// release.
type slowStopper struct {
	*stdlib.HTTPServer
	name     string
	stopping chan string
	release  chan struct{}
}

func (s *slowStopper) Stop(ctx context.Context) error {
	if s.Addr() != nil {
		s.stopping <- s.name
		<-s.release
	}
	return s.HTTPServer.Stop(ctx)
}

// The manager stops its servers at once, not one after the other: both
// Stops are under way before either returns.
func TestManagerStopsServersConcurrently(t *testing.T) {
	stopping := make(chan string, 2)
	release := make(chan struct{})
	var once sync.Once
	t.Cleanup(func() { once.Do(func() { close(release) }) })
	mk := func(name string) adapter.Server {
		return &slowStopper{HTTPServer: stdlib.NewHTTPServer(&http.Server{Addr: "127.0.0.1:0", Handler: http.NotFoundHandler()}),
			name: name, stopping: stopping, release: release}
	}
	m, _ := startManager(t, loopback, cherrygo.WithServer("", mk("a")), cherrygo.WithServer("b", mk("b")))
	stopped := make(chan error, 1)
	go func() { stopped <- m.Bus().Stop(context.Background()) }()
	seen := map[string]bool{}
	for range 2 {
		seen[testwait.Receive(t, stopping, "a server beginning to stop")] = true
	}
	assert.Equal(t, map[string]bool{"a": true, "b": true}, seen)
	once.Do(func() { close(release) })
	require.NoError(t, testwait.Receive(t, stopped, "Stop returning"))
}

// One logger reaches every log line: the bus, the adapters, the stdlib
// servers, the access log and the tree's handler panics.
func TestWithLoggerReachesEveryLine(t *testing.T) {
	var buf lockedBuffer
	tree := helloTree()
	tree.Mount("/panic", http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") }))
	m, err := cherrygo.New(tree, cherrygo.WithEnvironment(loopback),
		cherrygo.WithLogger(slog.New(slog.NewJSONHandler(&buf, nil))), cherrygo.WithAccessLog(nil))
	require.NoError(t, err)
	require.NoError(t, m.Start(context.Background()))
	c := client(t)
	fetch(t, c, http.MethodGet, m.URL()+"/", "")
	status, _ := fetch(t, c, http.MethodGet, m.URL()+"/panic", "")
	assert.Equal(t, http.StatusInternalServerError, status)
	require.NoError(t, m.Exit(context.Background()))
	log := buf.String()
	for _, want := range []string{
		`"msg":"bus state"`, `"msg":"listening"`, `"msg":"serving"`, `"msg":"request"`,
		`"panic":"boom"`, `"msg":"HTTP server shut down"`,
	} {
		assert.Contains(t, log, want)
	}
	for line := range strings.Lines(log) {
		assert.True(t, strings.HasPrefix(line, "{"), "not a record of the JSON logger: %q", line)
	}
}
