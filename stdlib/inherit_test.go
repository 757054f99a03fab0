package stdlib

import (
	"context"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestInheritedTCPListener(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()

	cfg := testConfig()
	cfg.Port = 1 // ignored: the socket is handed over
	srv, err := New(cfg, hello, WithListener(l))
	require.NoError(t, err)
	require.IsType(t, &Server{}, srv)
	assert.True(t, srv.Inherited())

	for run := range 2 { // restartable: each run serves a duplicate
		done := make(chan error, 1)
		go func() { done <- srv.Start() }()
		<-srv.Ready()
		assert.Equal(t, l.Addr().String(), addrString(srv))
		resp, err := newClient(t, nil).Get("http://" + l.Addr().String() + "/")
		require.NoError(t, err, "run %d", run)
		body, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		assert.Equal(t, "hello", string(body))
		require.NoError(t, srv.Stop(t.Context()))
		require.NoError(t, <-done)
	}
	// Stop left the inherited socket bound: a client still connects (and
	// waits in the queue for the next run).
	c, err := net.Dial("tcp", l.Addr().String())
	require.NoError(t, err)
	_ = c.Close()
}

func TestInheritedUnixListener(t *testing.T) {
	path := filepath.Join(shortDir(t), "s.sock")
	l, err := net.Listen("unix", path)
	require.NoError(t, err)
	defer l.Close()
	srv, err := New(testConfig(), hello, WithListener(l))
	require.NoError(t, err)
	require.IsType(t, &Server{}, srv)
	startServer(t, srv)
	c := newClient(t, &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", path)
	}})
	resp, err := c.Get("http://unix/")
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
}

type fileless struct{ net.Listener }

func TestInheritedListenerNeedsFile(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	srv, err := New(testConfig(), hello, WithListener(fileless{l}))
	require.NoError(t, err)
	assert.ErrorIs(t, srv.Start(), errNoFile)
}
