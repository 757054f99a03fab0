package adapter

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-49a6713b/cherrygo/engine"
)

// lateBinder has no Ready: it binds only once the test lets it.
type lateBinder struct {
	entered, bindNow chan struct{}
	inner            *plainServer
}

func (l *lateBinder) Start() error {
	close(l.entered)
	<-l.bindNow
	return l.inner.Start()
}

func (l *lateBinder) Stop(ctx context.Context) error { return l.inner.Stop(ctx) }

// A server without Ready is "always ready": the adapter's connect probe
// retries while it is still binding instead of failing at once.
func TestAdapterProbeWaitsForServerWithoutReady(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close()
	srv := &lateBinder{entered: make(chan struct{}), bindNow: make(chan struct{}), inner: newPlainServer(addr)}
	a := NewServerAdapter(engine.New(), srv, WithAddress("tcp", addr))
	started := make(chan error, 1)
	go func() { started <- a.Start(context.Background()) }()
	<-srv.entered
	close(srv.bindNow)
	select {
	case err := <-started:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("Start did not return")
	}
	require.NoError(t, a.Stop(context.Background()))
}

// slowStopper's Stop reports that it began and waits for the test.
type slowStopper struct {
	*plainServer
	stopping chan<- string
	name     string
	release  <-chan struct{}
}

func (s *slowStopper) Stop(ctx context.Context) error {
	if s.plainServer.Addr() != nil {
		s.stopping <- s.name
		<-s.release
	}
	return s.plainServer.Stop(ctx)
}

// The manager stops its servers at once, not one after the other: both
// Stops are under way before either returns.
func TestManagerStopsServersConcurrently(t *testing.T) {
	stopping := make(chan string, 2)
	release := make(chan struct{})
	var once sync.Once
	t.Cleanup(func() { once.Do(func() { close(release) }) })
	mk := func(name string) Server {
		return &slowStopper{plainServer: newPlainServer("127.0.0.1:0"), stopping: stopping, name: name, release: release}
	}
	bus := engine.New()
	cfgA, cfgB := Default(), Default()
	cfgB.Name = "b"
	m, err := NewManager(bus, nil, WithConfigs(cfgA, cfgB), WithServer("", mk("a")), WithServer("b", mk("b")))
	require.NoError(t, err)
	require.NoError(t, m.Start(context.Background()))
	assert.Equal(t, "ok", get(t, m.URL()))
	assert.Equal(t, "ok", get(t, m.Server("b").URL()))

	stopped := make(chan error, 1)
	go func() { stopped <- bus.Stop(context.Background()) }()
	seen := map[string]bool{}
	for range 2 {
		select {
		case name := <-stopping:
			seen[name] = true
		case <-time.After(10 * time.Second):
			t.Fatalf("only %v began stopping: the servers stop one after the other", seen)
		}
	}
	once.Do(func() { close(release) })
	select {
	case err := <-stopped:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("Stop did not return")
	}
}
