package adaptertest_test

import (
	"net"
	"net/http"
	"strconv"
	"testing"

	"github.com/seed-49a6713b/cherrygo/adapter"
	"github.com/seed-49a6713b/cherrygo/adapter/adaptertest"
	"github.com/seed-49a6713b/cherrygo/adapter/settings"
	"github.com/seed-49a6713b/cherrygo/stdlib"
)

// newTCP makes an unstarted stdlib TCP server on 127.0.0.1:port.
func newTCP(t *testing.T, h http.Handler, port int) adapter.Server {
	t.Helper()
	cfg := settings.Default() // the zero Config is not the default: no drain time, no timeouts
	cfg.Host, cfg.Port = "127.0.0.1", port
	srv, err := stdlib.New(cfg, h)
	if err != nil {
		t.Fatal(err)
	}
	return srv
}

// A backend's test runs the suite with a harness that makes its servers:
// here, stdlib's TCP server on IPv4 loopback.
func ExampleRunConformanceTests() {
	harness := adaptertest.Harness{
		Name: "tcp 127.0.0.1",
		New:  func(t *testing.T, h http.Handler) adapter.Server { return newTCP(t, h, 0) },
		NewAt: func(t *testing.T, h http.Handler, addr net.Addr) adapter.Server {
			_, port, _ := net.SplitHostPort(addr.String())
			p, _ := strconv.Atoi(port)
			return newTCP(t, h, p)
		},
	}
	// In a test function: adaptertest.RunConformanceTests(t, harness)
	_ = harness
}
