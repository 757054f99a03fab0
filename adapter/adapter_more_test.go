package adapter

import (
	"context"
	"errors"
	"fmt"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-49a6713b/cherrygo/engine"
	"github.com/seed-49a6713b/cherrygo/internal/testnet"
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
	addr := testnet.ReservePort(t) // refused until the server listens
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

// clientOnOldPort is a server whose Stop, once its listener is closed,
// opens an outgoing connection from the port it listened on, as any
// client on the machine may once the port is free again (the kernel hands
// it out as an ephemeral port).
type clientOnOldPort struct {
	*plainServer
	peer net.Listener // what the client connects to
	conn net.Conn     // the client connection, kept open
}

func (s *clientOnOldPort) Stop(ctx context.Context) error {
	addr := s.plainServer.Addr().(*net.TCPAddr)
	if err := s.plainServer.Stop(ctx); err != nil {
		return err
	}
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: addr.IP, Port: addr.Port}}
	c, err := d.DialContext(ctx, "tcp", s.peer.Addr().String())
	if err != nil {
		return fmt.Errorf("dialing from the old port: %w", err)
	}
	s.conn = c
	return nil
}

// "Free" after Stop means nothing listens there: a client connection that
// uses the server's old port as its local port fails a bind test, but
// is not a server, and Stop succeeds.
func TestStopNotFooledByAClientOnTheOldPort(t *testing.T) {
	peer, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer peer.Close()
	// The kernel may give the listener a port that an earlier connection
	// left in TIME_WAIT (listeners may share a port with those), and then
	// the client cannot bind it: try again on another port (seen in CI).
	var srv *clientOnOldPort
	var old string
	for try := 0; ; try++ {
		srv = &clientOnOldPort{plainServer: newPlainServer("127.0.0.1:0"), peer: peer}
		a := NewServerAdapter(engine.New(), srv)
		require.NoError(t, a.Start(context.Background()))
		old = a.Addr().String()
		err = a.Stop(context.Background())
		if !errors.Is(err, syscall.EADDRINUSE) || try == 5 {
			break
		}
		t.Logf("the old port %s is in TIME_WAIT: another try", old)
	}
	require.NoError(t, err, "a client socket on the old port is not a listener")
	require.NotNil(t, srv.conn)
	defer srv.conn.Close()
	assert.Equal(t, old, srv.conn.LocalAddr().String(), "the client really holds the old port")
	_, err = net.Listen("tcp", old)
	assert.Error(t, err, "the bind test alone would call the port taken")
	assert.ErrorContains(t, checkFree(old), "not free")
}
