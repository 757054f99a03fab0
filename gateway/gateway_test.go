package gateway_test

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
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

// A handler may keep its request's context (context.WithoutCancel,
// background work, http.TimeoutHandler as the app) past its return: the
// gateway does not reuse the engine request, so what it kept still belongs
// to its own request after the next ones ran.
func TestGatewayKeptContextOutlivesTheRequest(t *testing.T) {
	type key struct{}
	type kept struct {
		ctx  context.Context
		url  *url.URL
		want string
	}
	var saved []kept
	tree := engine.NewTree()
	tree.Mount("/", http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		saved = append(saved, kept{ctx: context.WithoutCancel(r.Context()), url: r.URL, want: r.URL.Path})
	}))
	h := gateway.New(tree, gateway.Config{})
	for _, v := range []string{"/one", "/two", "/three", "/four"} {
		req := httptest.NewRequest(http.MethodGet, v, nil)
		req = req.WithContext(context.WithValue(req.Context(), key{}, v))
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
	require.Len(t, saved, 4)
	for _, k := range saved {
		assert.Equal(t, k.want, k.ctx.Value(key{}))
		assert.Equal(t, k.want, k.url.Path)
		if er := engine.FromContext(k.ctx); assert.NotNil(t, er) {
			assert.Equal(t, k.want, er.PathInfo)
		}
	}
}

// The gateway adds at most one allocation of its own to a request (the
// engine request, which handlers may keep); nothing is copied.
func TestGatewayAllocations(t *testing.T) {
	tree := engine.NewTree()
	hello := []byte("hello")
	tree.Mount("/", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write(hello) }))
	h := gateway.New(tree, gateway.Config{})
	req := httptest.NewRequest(http.MethodGet, "/x", nil)
	w := &countingWriter{h: make(http.Header)}
	h.ServeHTTP(w, req) // warm up
	allocs := testing.AllocsPerRun(200, func() { h.ServeHTTP(w, req) })
	assert.LessOrEqual(t, allocs, 1.0)
}

type countingWriter struct {
	h http.Header
	n int
}

func (w *countingWriter) Header() http.Header         { return w.h }
func (w *countingWriter) Write(p []byte) (int, error) { w.n += len(p); return len(p), nil }
func (w *countingWriter) WriteHeader(int)             {}
