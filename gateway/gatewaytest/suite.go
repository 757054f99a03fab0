package gatewaytest

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/url"
	"testing"

	"github.com/seed-49a6713b/cherrygo/engine"
	"github.com/seed-49a6713b/cherrygo/gateway"
)

// RunConformanceTests runs the whole suite against the backend of h, each
// check as a subtest with a server of its own.
func RunConformanceTests(t *testing.T, h Harness) {
	t.Helper()
	if h.Serve == nil {
		t.Fatal("gatewaytest: Harness.Serve is nil")
	}
	checks := []struct {
		name string
		fn   func(t *testing.T, h Harness)
	}{
		{"ScriptNameAndPathInfo", testScriptName},
		{"FlushChunks", testFlushChunks},
		{"HijackEcho", testHijackEcho},
		{"Trailers", testTrailers},
		{"DisconnectCancels", testDisconnectCancels},
		{"BodyLimitContentLength", testBodyLimitContentLength},
		{"BodyLimitChunked", testBodyLimitChunked},
		{"ThreadPoolSaturation", testThreadPoolSaturation},
		{"PanicThenNext", testPanicThenNext},
		{"HeadHasNoBody", testHeadHasNoBody},
		{"HTTP10Client", testHTTP10Client},
		{"HTTP10Server", testHTTP10Server},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) { c.fn(t, h) })
	}
}

// serve mounts app at script on a new tree and serves it through
// gateway.New with cfg.
func serve(t *testing.T, h Harness, cfg gateway.Config, script string, app http.Handler) Target {
	t.Helper()
	tree := engine.NewTree()
	tree.Logger = discard()
	if cfg.Logger == nil {
		cfg.Logger = discard()
	}
	tree.Mount(script, app)
	tg := h.Serve(t, gateway.New(tree, cfg))
	if tg.Dial == nil {
		u, err := url.Parse(tg.URL)
		if err != nil {
			t.Fatalf("gatewaytest: bad Target.URL %q: %v", tg.URL, err)
		}
		tg.Dial = func(ctx context.Context) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "tcp", u.Host)
		}
	}
	return tg
}

// fullStack switches every policy on, with limits no check reaches, so
// that streaming is checked through all of their wrappers.
func fullStack() gateway.Config {
	return gateway.Config{
		MaxBodySize:  1 << 20,
		ThreadPool:   64,
		QueueSize:    -1,
		QueueTimeout: Timeout,
		AccessLog:    io.Discard,
		Statistics:   gateway.NewStatistics(),
		ServerName:   "conformance",
	}
}

// ctx is the test's context, bounded by Timeout.
func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(t.Context(), Timeout)
	t.Cleanup(cancel)
	return c
}
