package gatewaytest_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/seed-49a6713b/cherrygo/gateway/gatewaytest"
)

// A backend's test runs the suite with a harness that serves each handler
// the suite gives it. Here the backend is net/http/httptest.
func Example() {
	harness := gatewaytest.Harness{
		Serve: func(t *testing.T, h http.Handler) gatewaytest.Target {
			srv := httptest.NewServer(h)
			t.Cleanup(srv.Close)
			client := srv.Client()
			t.Cleanup(client.CloseIdleConnections)
			return gatewaytest.Target{URL: srv.URL, Client: client}
		},
	}
	// In a test: gatewaytest.RunConformanceTests(t, harness)
	_ = harness
}
