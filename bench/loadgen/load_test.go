package main

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func hello(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/" {
		http.NotFound(w, r)
		return
	}
	_, _ = w.Write([]byte("Hello, world!"))
}

func TestLoadTCP(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(hello))
	t.Cleanup(srv.Close)
	o := options{network: "tcp", addr: srv.Listener.Addr().String(), path: "/", conns: 2,
		dur: 200 * time.Millisecond, timeout: 5 * time.Second}
	res, err := load(context.Background(), o)
	require.NoError(t, err)
	assert.Positive(t, res.requests)
	assert.Zero(t, res.errors)
	assert.Zero(t, res.statusErrors)
	assert.LessOrEqual(t, res.p50, res.p99)
	assert.Contains(t, res.line(), "BENCH requests=")
}

func TestLoadUnixCountsNon200(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "s.sock")
	ln, err := net.Listen("unix", sock)
	require.NoError(t, err)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(hello))
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	o := options{network: "unix", addr: sock, path: "/missing", conns: 1,
		dur: 100 * time.Millisecond, timeout: 5 * time.Second}
	res, err := load(context.Background(), o)
	require.NoError(t, err)
	assert.Equal(t, res.requests, res.statusErrors, "every answer was a 404")
}

func TestLoadNoServer(t *testing.T) {
	o := options{network: "unix", addr: filepath.Join(t.TempDir(), "none.sock"), path: "/", conns: 1,
		dur: 50 * time.Millisecond, timeout: time.Second}
	_, err := load(context.Background(), o)
	require.Error(t, err)
}
