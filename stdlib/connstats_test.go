package stdlib

import (
	"bufio"
	"io"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-49a6713b/cherrygo/internal/testwait"
)

// Connections counts each open connection under its state: a silent one
// as new, one whose handler runs as active, a hijacked one as hijacked,
// and a keep-alive one between requests as idle (or still active, for
// the instant between its response and net/http's state change).
func TestConnectionsByState(t *testing.T) {
	running := make(chan struct{}, 1)
	release := make(chan struct{})
	hijacked := make(chan struct{}, 1)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/block":
			running <- struct{}{}
			<-release
		case "/hijack":
			conn, _, err := http.NewResponseController(w).Hijack()
			if err != nil {
				t.Errorf("Hijack: %v", err)
				return
			}
			t.Cleanup(func() { _ = conn.Close() })
			hijacked <- struct{}{}
		}
	})
	srv := newTestServer(t, testConfig(), h)
	assert.Equal(t, ConnCounts{}, (&Server{}).Connections(), "a server that never started")
	addr := srv.Addr().String()

	// Silent: accepted (and tracked) before the connections dialled after
	// it, since one goroutine accepts them in order.
	dial(t, "tcp", addr)

	c := newClient(t, nil)
	resp, err := c.Get(baseURL(srv) + "/")
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	require.NoError(t, resp.Body.Close()) // kept alive

	hj := dial(t, "tcp", addr)
	_, err = hj.Write([]byte("GET /hijack HTTP/1.1\r\nHost: x\r\n\r\n"))
	require.NoError(t, err)
	testwait.Receive(t, hijacked, "the hijack")

	blocked := dial(t, "tcp", addr)
	_, err = blocked.Write([]byte("GET /block HTTP/1.1\r\nHost: x\r\n\r\n"))
	require.NoError(t, err)
	testwait.Receive(t, running, "the blocked handler")

	n := srv.Connections()
	close(release)
	assert.Equal(t, 1, n.New, "%+v", n)
	assert.Equal(t, 1, n.Hijacked, "%+v", n)
	assert.Equal(t, 2, n.Active+n.Idle, "%+v", n)
	assert.GreaterOrEqual(t, n.Active, 1, "%+v", n)
	assert.Equal(t, 4, n.Total())

	resp2, err := http.ReadResponse(bufio.NewReader(blocked), nil)
	require.NoError(t, err)
	_ = resp2.Body.Close()
}

// A stopped server has no connections left to count.
func TestConnectionsAfterStop(t *testing.T) {
	srv, err := New(testConfig(), http.NotFoundHandler())
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- srv.Start() }()
	testwait.Receive(t, srv.Ready(), "ready")
	dial(t, "tcp", srv.Addr().String())
	require.NoError(t, srv.Stop(testwait.Context(t)))
	require.NoError(t, testwait.Receive(t, done, "Start's return"))
	assert.Equal(t, ConnCounts{}, srv.Connections())
}
