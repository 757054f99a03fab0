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
	runIsolation(t, h)
}

// RunIsolationTests runs only the isolation checks (RunConformanceTests
// runs them too): what a handler keeps of its request stays its own, a
// late write reaches no response, a kept context pins no other request.
// They use Target.Client alone, so a backend that does not speak HTTP on
// its socket (FastCGI) runs them with a Client whose Transport speaks its
// protocol.
func RunIsolationTests(t *testing.T, h Harness) {
	t.Helper()
	if h.Serve == nil {
		t.Fatal("gatewaytest: Harness.Serve is nil")
	}
	runIsolation(t, h)
}

func runIsolation(t *testing.T, h Harness) {
	for _, c := range []struct {
		name string
		fn   func(t *testing.T, h Harness)
	}{
		{"KeptRequest", testKeptRequest},
		{"LateWrite", testLateWrite},
		{"KeptContextPinsNothing", testKeptContextPinsNothing},
		{"TimeoutHandler", testTimeoutHandler},
	} {
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
	return withDial(t, h.Serve(t, gateway.New(tree, cfg)))
}

// withDial fills in tg.Dial when the harness left it nil: TCP to the URL's
// host.
func withDial(t *testing.T, tg Target) Target {
	t.Helper()
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
