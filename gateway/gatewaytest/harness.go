package gatewaytest

import (
	"context"
	"net"
	"net/http"
	"testing"
	"time"
)

// Timeout bounds every wait of the suite. Events take milliseconds; the
// bound only matters on a loaded machine or a bug.
const Timeout = 10 * time.Second

// Harness adapts one server backend to the suite.
type Harness struct {
	// Serve serves h on the backend until the test ends (it registers the
	// stop with t.Cleanup, together with closing the client's idle
	// connections) and returns how to reach it. Required.
	Serve func(t *testing.T, h http.Handler) Target
}

// Target is a served handler as the suite reaches it.
type Target struct {
	// URL is the base URL, without a trailing slash ("http://127.0.0.1:8080";
	// for a unix socket any host, the Client dials the socket).
	URL string
	// Client sends requests to URL. It may speak HTTP/2.
	Client *http.Client
	// Dial opens a raw connection that speaks HTTP/1.x (a TLS backend
	// completes the handshake, offering only "http/1.1"). Nil dials the
	// URL's host over TCP.
	Dial func(ctx context.Context) (net.Conn, error)
}
