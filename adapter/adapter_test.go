package adapter

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-49a6713b/cherrygo/engine"
)

// plainServer is a minimal Server around net/http.Server, as a user from
// outside the kit might write it: it binds in Start, then serves.
type plainServer struct {
	addr string

	mu    sync.Mutex
	srv   *http.Server
	ln    net.Listener
	ready chan struct{}
}

func newPlainServer(addr string) *plainServer {
	return &plainServer{addr: addr, ready: make(chan struct{})}
}

func (s *plainServer) Start() error {
	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte("ok"))
	})}
	s.mu.Lock()
	s.srv, s.ln = srv, ln
	close(s.ready)
	s.mu.Unlock()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func (s *plainServer) Stop(ctx context.Context) error {
	s.mu.Lock()
	srv := s.srv
	s.srv = nil
	s.mu.Unlock()
	if srv == nil {
		return nil
	}
	err := srv.Shutdown(ctx)
	srv.Close()
	s.mu.Lock()
	s.ready = make(chan struct{})
	s.mu.Unlock()
	return err
}

func (s *plainServer) Ready() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ready
}

func (s *plainServer) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv == nil {
		return nil
	}
	return s.ln.Addr()
}

// fail makes the running server die as if its listener broke.
func (s *plainServer) fail() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ln.Close()
}

func get(t *testing.T, url string) string {
	t.Helper()
	c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := c.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return string(body)
}

func TestAdapterStartStop(t *testing.T) {
	bus := engine.New()
	srv := newPlainServer("127.0.0.1:0")
	a := NewServerAdapter(bus, srv)
	a.Subscribe()
	require.NoError(t, bus.Start(context.Background()))
	require.True(t, a.Running())
	assert.True(t, strings.HasPrefix(a.URL(), "http://127.0.0.1:"))
	assert.NotContains(t, a.URL(), ":0")
	assert.Equal(t, "ok", get(t, a.URL()))

	addr := a.Addr().String()
	require.NoError(t, bus.Stop(context.Background()))
	assert.False(t, a.Running())
	// The port is free the moment Stop returns.
	ln, err := net.Listen("tcp", addr)
	require.NoError(t, err)
	ln.Close()
	select {
	case <-a.Done():
	default:
		t.Fatal("server goroutine still running after Stop")
	}
	assert.NoError(t, a.Err())
}

func TestAdapterStartIsIdempotentAndStopBeforeStart(t *testing.T) {
	bus := engine.New()
	a := NewServerAdapter(bus, newPlainServer("127.0.0.1:0"))
	require.NoError(t, a.Stop(context.Background()), "stop before start")
	require.NoError(t, a.Start(context.Background()))
	t.Cleanup(func() { a.Stop(context.Background()) })
	require.NoError(t, a.Start(context.Background()), "second start is a no-op")
	require.NoError(t, a.Stop(context.Background()))
	require.NoError(t, a.Stop(context.Background()), "second stop is a no-op")
}

func TestAdapterRestart(t *testing.T) {
	bus := engine.New()
	srv := newPlainServer("127.0.0.1:0")
	a := NewServerAdapter(bus, srv)
	require.NoError(t, a.Start(context.Background()))
	require.NoError(t, a.Restart(context.Background()))
	t.Cleanup(func() { a.Stop(context.Background()) })
	assert.Equal(t, "ok", get(t, a.URL()))
}

func TestAdapterNoServer(t *testing.T) {
	a := NewServerAdapter(engine.New(), nil)
	assert.ErrorIs(t, a.Start(context.Background()), ErrNoServer)
}

func TestAdapterPortNotFree(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer taken.Close()
	addr := taken.Addr().String()

	bus := engine.New()
	a := NewServerAdapter(bus, newPlainServer(addr), WithAddress("tcp", addr))
	a.Subscribe()
	err = bus.Start(context.Background())
	require.Error(t, err)
	assert.ErrorIs(t, err, syscall.EADDRINUSE)
	_, port, _ := net.SplitHostPort(addr)
	assert.Contains(t, err.Error(), "port "+port+" not free")
	assert.Equal(t, engine.Stopped, bus.State(), "a failed start rolls back and never exits")
}

func TestAdapterBindFailureFromServer(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer taken.Close()
	// Without WithAddress the adapter cannot check first: the server's own
	// bind error must come back from Start, not hang until the timeout.
	a := NewServerAdapter(engine.New(), newPlainServer(taken.Addr().String()))
	start := time.Now()
	err = a.Start(context.Background())
	require.ErrorIs(t, err, syscall.EADDRINUSE)
	assert.Less(t, time.Since(start), DefaultReadyTimeout/2)
	assert.False(t, a.Running())
}

// neverReady binds nothing and never becomes ready.
type neverReady struct{ stop chan struct{} }

func (n *neverReady) Start() error { <-n.stop; return nil }
func (n *neverReady) Stop(context.Context) error {
	select {
	case <-n.stop:
	default:
		close(n.stop)
	}
	return nil
}
func (n *neverReady) Ready() <-chan struct{} { return nil }

func TestAdapterReadyTimeout(t *testing.T) {
	a := NewServerAdapter(engine.New(), &neverReady{stop: make(chan struct{})}, WithReadyTimeout(50*time.Millisecond))
	err := a.Start(context.Background())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "not ready after")
	select {
	case <-a.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the server was not stopped after the failed start")
	}
}

// boolReady is a CherryPy-style server: IsReady is a bool.
type boolReady struct {
	*plainServer
}

func (b boolReady) Ready() {} // hides plainServer's channel on purpose

func (b boolReady) IsReady() bool {
	select {
	case <-b.plainServer.Ready():
		return true
	default:
		return false
	}
}

func TestAdapterReadyReporter(t *testing.T) {
	srv := boolReady{newPlainServer("127.0.0.1:0")}
	var _ ReadyReporter = srv
	a := NewServerAdapter(engine.New(), srv)
	require.NoError(t, a.Start(context.Background()))
	t.Cleanup(func() { a.Stop(context.Background()) })
	assert.Equal(t, "ok", get(t, a.URL()))
}

func TestAdapterServerDiesAfterStart(t *testing.T) {
	bus := engine.New()
	srv := newPlainServer("127.0.0.1:0")
	a := NewServerAdapter(bus, srv)
	a.Subscribe()
	require.NoError(t, bus.Start(context.Background()))
	srv.fail()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, bus.Block(ctx), "the bus exits when its server dies")
	assert.Equal(t, 1, bus.ExitCode())
	assert.Error(t, a.Err(), "the server's error reaches whoever waits")
}
