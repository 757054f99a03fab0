package stdlib

import (
	"context"
	"io"
	"net"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-49a6713b/cherrygo/adapter"
	"github.com/seed-49a6713b/cherrygo/engine"
	"github.com/seed-49a6713b/cherrygo/internal/testnet"
)

// TestThroughServerAdapter drives a TCP server on a fixed port through the
// bus and the adapter, twice: the adapter's port-free check before each
// start and after each stop must pass at once with these backends.
func TestThroughServerAdapter(t *testing.T) {
	_, portStr, _ := net.SplitHostPort(testnet.ReservePort(t))
	port, _ := strconv.Atoi(portStr)

	cfg := testConfig()
	cfg.Port = port
	srv, err := New(cfg, hello)
	require.NoError(t, err)
	bus := engine.New()
	a := adapter.NewServerAdapter(bus, srv, adapter.WithAddress("tcp", net.JoinHostPort(cfg.Host, strconv.Itoa(port))))
	defer a.Subscribe()()

	c := newClient(t, nil)
	for run := range 2 {
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		require.NoError(t, bus.Start(ctx), "run %d", run)
		assert.Equal(t, "http://127.0.0.1:"+strconv.Itoa(port), a.URL())
		resp, err := c.Get(a.URL() + "/")
		require.NoError(t, err)
		body, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		assert.Equal(t, "hello", string(body))
		require.NoError(t, bus.Stop(ctx), "run %d", run)
		cancel()
	}
}
