package gateway_test

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-49a6713b/cherrygo/engine"
	"github.com/seed-49a6713b/cherrygo/gateway"
	"github.com/seed-49a6713b/cherrygo/gateway/gatewaytest"
)

// httptestHarness serves with net/http/httptest, over TCP or TLS (with
// HTTP/2 offered).
func httptestHarness(useTLS bool) gatewaytest.Harness {
	return gatewaytest.Harness{Serve: func(t *testing.T, h http.Handler) gatewaytest.Target {
		srv := httptest.NewUnstartedServer(h)
		if useTLS {
			srv.EnableHTTP2 = true
			srv.StartTLS()
		} else {
			srv.Start()
		}
		client := srv.Client()
		t.Cleanup(srv.Close)
		t.Cleanup(client.CloseIdleConnections)
		tg := gatewaytest.Target{URL: srv.URL, Client: client}
		if useTLS {
			cfg := srv.Client().Transport.(*http.Transport).TLSClientConfig.Clone()
			cfg.NextProtos = []string{"http/1.1"}
			tg.Dial = func(ctx context.Context) (net.Conn, error) {
				d := tls.Dialer{Config: cfg}
				return d.DialContext(ctx, "tcp", srv.Listener.Addr().String())
			}
		}
		return tg
	}}
}

func TestConformanceHTTPTest(t *testing.T) {
	gatewaytest.RunConformanceTests(t, httptestHarness(false))
}

func TestConformanceHTTPTestTLS(t *testing.T) {
	gatewaytest.RunConformanceTests(t, httptestHarness(true))
}

func TestGatewayFillsTheEngineRequest(t *testing.T) {
	tree := engine.NewTree()
	got := make(chan engine.Request, 1)
	tree.Mount("/app", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- *engine.RequestFrom(r)
		io.WriteString(w, "ok")
	}))
	srv := httptest.NewServer(gateway.New(tree, gateway.Config{}))
	t.Cleanup(srv.Close)
	t.Cleanup(srv.Client().CloseIdleConnections)
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+"/app/x?q=1", strings.NewReader("hi"))
	require.NoError(t, err)
	req.Header.Set("X-Custom", "v")
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	r := <-got
	assert.Equal(t, http.MethodPost, r.Method)
	assert.Equal(t, "/app", r.ScriptName)
	assert.Equal(t, "/x", r.PathInfo)
	assert.Equal(t, "q=1", r.QueryString)
	assert.Equal(t, "HTTP/1.1", r.Protocol)
	assert.Equal(t, "http", r.Scheme)
	assert.Equal(t, "v", r.Header.Get("X-Custom"))
	assert.Equal(t, int64(2), r.ContentLength)
	assert.Equal(t, "127.0.0.1", r.Remote().Addr().String())
	assert.NotZero(t, r.Remote().Port())
	assert.Equal(t, srv.Listener.Addr().String(), r.Local().String())
	assert.NotZero(t, r.ID)
	assert.Empty(t, r.RemoteHost)
}

func TestGatewayReverseDNS(t *testing.T) {
	tree := engine.NewTree()
	got := make(chan string, 1)
	tree.Mount("/", http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		got <- engine.RequestFrom(r).RemoteHost
	}))
	srv := httptest.NewServer(gateway.New(tree, gateway.Config{ReverseDNS: true}))
	t.Cleanup(srv.Close)
	t.Cleanup(srv.Client().CloseIdleConnections)
	resp, err := srv.Client().Get(srv.URL)
	require.NoError(t, err)
	resp.Body.Close()
	// Whatever the resolver says of 127.0.0.1 ("localhost" in most
	// /etc/hosts), the lookup is bounded and leaves no dot at the end.
	assert.False(t, strings.HasSuffix(<-got, "."))
}

// The gateway adds no allocation of its own to a request: the engine
// request is pooled and nothing is copied.
func TestGatewayAllocations(t *testing.T) {
	tree := engine.NewTree()
	hello := []byte("hello")
	tree.Mount("/", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write(hello) }))
	h := gateway.New(tree, gateway.Config{})
	req := httptest.NewRequest(http.MethodGet, "/x", nil)
	w := &countingWriter{h: make(http.Header)}
	h.ServeHTTP(w, req) // warm the pool
	allocs := testing.AllocsPerRun(200, func() { h.ServeHTTP(w, req) })
	assert.LessOrEqual(t, allocs, 0.1)
}

type countingWriter struct {
	h http.Header
	n int
}

func (w *countingWriter) Header() http.Header         { return w.h }
func (w *countingWriter) Write(p []byte) (int, error) { w.n += len(p); return len(p), nil }
func (w *countingWriter) WriteHeader(int)             {}
