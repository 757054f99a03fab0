// Package gatewaytest is the conformance suite of the gateway: what every
// server backend must carry through between a client and gateway.New.
//
// # Running it
//
// A backend's tests call RunConformanceTests with a Harness whose Serve
// starts the backend on a loopback address (or a unix socket) for the
// handler the suite gives it, stops it when the test ends, and says how
// to reach it: a base URL, an *http.Client, and a Dial function for raw
// HTTP/1.x connections:
//
//	func TestGateway(t *testing.T) {
//		gatewaytest.RunConformanceTests(t, gatewaytest.Harness{
//			Serve: func(t *testing.T, h http.Handler) gatewaytest.Target {
//				srv := httptest.NewServer(h)
//				t.Cleanup(srv.Close)
//				...
//			},
//		})
//	}
//
// # What it checks
//
//   - streaming: ten flushed chunks reach the client one by one, each read
//     before the handler writes the next;
//   - a hijacked HTTP/1.1 connection echoes bytes both ways;
//   - trailers reach the client;
//   - a client that goes away cancels the handler's context;
//   - the body limit: 413 for a Content-Length over it (the handler is not
//     called), 413 for a chunked body that crosses it;
//   - a saturated thread pool answers 503 with Retry-After while the
//     running requests complete;
//   - a panic gives 500 and the next request succeeds;
//   - a HEAD response has no body (the next response on the connection
//     parses);
//   - an HTTP/1.0 request gets an HTTP/1.0 response, and a server set to
//     HTTP/1.0 answers an HTTP/1.1 request as HTTP/1.0;
//   - the app sees its script name and path info;
//   - a handler gets net/http's contract whole: a kept *http.Request (behind
//     a plain handler, a ServeMux, an r.WithContext middleware or a chi
//     sub-router, with the default policies and with all of them) still
//     shows its own URL, header, context values and engine request while
//     50 more requests are served, and its context is done; writes on a
//     kept ResponseWriter, made while the next request on the same
//     keep-alive connection is answered, are refused and reach no
//     response; a context kept by a background job keeps no other
//     request's values alive; a handler behind http.TimeoutHandler goes on
//     with its own request after the 503.
//
// The streaming checks (chunks, hijack, trailers, cancellation) run with
// every policy of gateway.Config switched on, so they also check that the
// policies' response writers let Flush, Hijack and trailers through.
//
// Every wait is bounded (Timeout) and synchronised on events, never on
// sleeps, so the suite is safe on a loaded machine under -race.
package gatewaytest
