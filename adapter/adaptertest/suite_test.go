package adaptertest_test

import (
	"net"
	"net/http"
	"strconv"
	"testing"

	"github.com/seed-49a6713b/cherrygo/adapter"
	"github.com/seed-49a6713b/cherrygo/adapter/adaptertest"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestSuiteOnStdlib runs the suite against a known-good backend, so that a
// change to the suite that fails correct servers shows up here.
func TestSuiteOnStdlib(t *testing.T) {
	adaptertest.RunConformanceTests(t, adaptertest.Harness{
		Name: "stdlib tcp",
		New:  func(t *testing.T, h http.Handler) adapter.Server { return newTCP(t, h, 0) },
		NewAt: func(t *testing.T, h http.Handler, addr net.Addr) adapter.Server {
			_, port, _ := net.SplitHostPort(addr.String())
			p, _ := strconv.Atoi(port)
			return newTCP(t, h, p)
		},
		Cycles: 100,
	})
}
