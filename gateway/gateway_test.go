package gateway_test

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
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
	got := make(chan *engine.Request, 1)
	tree.Mount("/app", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- engine.RequestFrom(r)
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

// A handler may keep its request, its context (context.WithoutCancel,
// background work) and URL past its return: whatever requests follow,
// they keep their own request's values, script name and engine request.
func TestGatewayKeptRequestOutlivesTheRequest(t *testing.T) {
	type key struct{}
	type kept struct {
		r      *http.Request
		ctx    context.Context
		url    *url.URL
		path   string
		script string
		req    *engine.Request
	}
	var saved []kept
	handler := http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		saved = append(saved, kept{
			r: r, ctx: context.WithoutCancel(r.Context()), url: r.URL, path: r.URL.Path,
			script: engine.ScriptName(r), req: engine.RequestFrom(r),
		})
	})
	tree := engine.NewTree()
	tree.Mount("/", handler)
	tree.Mount("/sub", handler)
	h := gateway.New(tree, gateway.Config{})
	var targets []string
	for i := range 40 {
		target := "/" + strconv.Itoa(i)
		if i%2 == 1 {
			target = "/sub" + target
		}
		targets = append(targets, target)
		req := httptest.NewRequest(http.MethodGet, target, nil)
		req.Header.Set("X-Target", target)
		req = req.WithContext(context.WithValue(req.Context(), key{}, target))
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
	require.Len(t, saved, len(targets))
	for i, k := range saved {
		target := targets[i]
		assert.Equal(t, target, k.ctx.Value(key{}), "context of %s", target)
		assert.Equal(t, target, k.r.Context().Value(key{}), "request's context of %s", target)
		assert.Equal(t, target, k.r.Header.Get("X-Target"), "header of %s", target)
		assert.Same(t, k.url, k.r.URL, target)
		assert.Equal(t, k.path, k.url.Path, "URL of %s", target)
		script := ""
		if strings.HasPrefix(target, "/sub/") {
			script = "/sub"
		}
		assert.Equal(t, script, k.script, target)
		assert.Equal(t, script, engine.ScriptName(k.r), target)
		later := httptest.NewRequest(http.MethodGet, "/", nil).WithContext(k.ctx)
		assert.Equal(t, script, engine.ScriptName(later), "script name through the kept context of %s", target)
		if assert.Same(t, k.req, engine.FromContext(k.ctx), target) {
			assert.Same(t, k.req, engine.RequestFrom(k.r), target)
			assert.Equal(t, k.path, k.req.PathInfo, target)
			assert.Equal(t, k.script, k.req.ScriptName, target)
		}
	}
}

// A handler that goes on after it returned (http.TimeoutHandler runs it on
// a goroutine of its own, with a copy of the request) may keep using that
// copy, its URL and its context while the gateway serves the next
// requests with the engine request it had. Each timed-out handler reads
// its request while the next requests are served: shared memory shows up
// as a data race under -race, and as wrong values without it.
func TestGatewayTimedOutHandlerKeepsItsRequest(t *testing.T) {
	type key struct{}
	const rounds = 10
	var release [rounds]chan struct{}
	for i := range release {
		release[i] = make(chan struct{})
	}
	releaseAll := sync.OnceFunc(func() {
		for _, ch := range release {
			select {
			case <-ch:
			default:
				close(ch)
			}
		}
	})
	// On a failure, too, the handlers must end before the test does.
	t.Cleanup(releaseAll)
	report := make(chan string, rounds)
	slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		round, err := strconv.Atoi(r.URL.Query().Get("slow"))
		if err != nil {
			io.WriteString(w, r.URL.Path)
			return
		}
		<-release[round] // the TimeoutHandler has answered 503 by now
		var seen string
		for range 20 { // while the next requests run
			seen = strings.Join([]string{
				r.URL.Path, r.Header.Get("X-Id"), engine.ScriptName(r),
				r.Context().Value(key{}).(string), engine.RequestFrom(r).PathInfo,
			}, "|")
		}
		report <- seen
	})
	tree := engine.NewTree()
	tree.Mount("/app", http.TimeoutHandler(slow, 20*time.Millisecond, "too slow"))
	h := gateway.New(tree, gateway.Config{})
	get := func(target, id string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, target, nil)
		req.Header.Set("X-Id", id)
		req = req.WithContext(context.WithValue(req.Context(), key{}, id))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	// Several rounds, each a timed-out request and then more requests
	// while its handler goes on.
	for round := range rounds {
		slowID := "slow" + strconv.Itoa(round)
		rec := get("/app/"+slowID+"?slow="+strconv.Itoa(round), slowID)
		require.Equal(t, http.StatusServiceUnavailable, rec.Code)
		close(release[round])
		for i := range 10 {
			id := slowID + "-next" + strconv.Itoa(i)
			rec := get("/app/"+id, id)
			require.Equal(t, http.StatusOK, rec.Code)
			require.Equal(t, "/"+id, rec.Body.String())
		}
	}
	var reports []string
	for range rounds {
		reports = append(reports, receive(t, report, "a timed-out handler's report"))
	}
	for round := range rounds {
		slowID := "slow" + strconv.Itoa(round)
		assert.Contains(t, reports, "/"+slowID+"|"+slowID+"|/app|"+slowID+"|/"+slowID)
	}
}

// A request costs the gateway at most 2 allocations more than the same
// chi router called directly, at the root and below it, with the default
// policies, with the production defaults (the body limit on) and with
// the access log on (against chi behind the same AccessLog middleware),
// whether or not the app asks for its engine request.
func TestGatewayAllocationsOverChi(t *testing.T) {
	routes := func(r chi.Router) {
		r.Get("/x", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "x") })
		r.Get("/ask/{id}", func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, chi.URLParam(r, "id"))
			if er := engine.RequestFrom(r); er != nil { // nil for raw chi
				_ = er.ID
			}
		})
	}
	rawChi := chi.NewRouter()
	routes(rawChi)
	for _, c := range []struct {
		name string
		cfg  gateway.Config
		raw  http.Handler
	}{
		{"default", gateway.Config{}, rawChi},
		{"body limit", gateway.Config{MaxBodySize: 100 << 20}, rawChi},
		{"access log", gateway.Config{AccessLog: io.Discard}, gateway.AccessLog(io.Discard)(rawChi)},
	} {
		for _, script := range []string{"", "/sub"} {
			app := chi.NewRouter()
			routes(app)
			tree := engine.NewTree()
			tree.Mount(script, app)
			h := gateway.New(tree, c.cfg)
			for _, path := range []string{"/x", "/ask/7"} {
				base := allocsPerRequest(c.raw, path)
				got := allocsPerRequest(h, script+path)
				t.Logf("%s, %s%s: raw chi %.2f, gateway %.2f allocations", c.name, script, path, base, got)
				// Whole numbers without -race; under it sync.Pool drops a
				// quarter of what it is given (chi pools its routing
				// context), so the averages carry a fraction either way.
				assert.LessOrEqual(t, got-base, 2.3, "%s, %s%s", c.name, script, path)
			}
		}
	}
}

// allocsPerRequest is the mean number of allocations of a GET of target
// through h, over 2000 requests with the garbage collector off (a
// collection empties every sync.Pool, which would count its refill).
func allocsPerRequest(h http.Handler, target string) float64 {
	const n = 2000
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	w := &countingWriter{h: make(http.Header)}
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, target, nil)) // warm up
	reqs := make([]*http.Request, n)
	for i := range reqs {
		reqs[i] = httptest.NewRequest(http.MethodGet, target, nil)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for _, r := range reqs {
		h.ServeHTTP(w, r)
	}
	runtime.ReadMemStats(&after)
	return float64(after.Mallocs-before.Mallocs) / n
}

// A request whose response was cut off (Run panics with
// http.ErrAbortHandler) stays its own too: a context kept from it still
// reaches it, with its own path, after more requests.
func TestGatewayAbortedRequestStaysItsOwn(t *testing.T) {
	var kept context.Context
	tree := engine.NewTree()
	tree.Mount("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/cut" {
			kept = r.Context()
			io.WriteString(w, "part")
			panic(http.ErrAbortHandler)
		}
	}))
	h := gateway.New(tree, gateway.Config{})
	assert.PanicsWithValue(t, http.ErrAbortHandler, func() {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/cut", nil))
	})
	for range 20 {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/other", nil))
	}
	if req := engine.FromContext(kept); assert.NotNil(t, req) {
		assert.Equal(t, "/cut", req.PathInfo)
	}
}

type countingWriter struct {
	h http.Header
	n int
}

func (w *countingWriter) Header() http.Header         { return w.h }
func (w *countingWriter) Write(p []byte) (int, error) { w.n += len(p); return len(p), nil }
func (w *countingWriter) WriteHeader(int)             {}
