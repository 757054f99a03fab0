// Package metrics serves the kit's metrics in the Prometheus text format,
// for operators to scrape: requests, their duration and the requests in
// flight per server, app, method and status class; open connections by
// state; readiness and the bus's state; reloads and upgrades. It is the
// kit's only importer of github.com/prometheus/client_golang, so a program
// that does not import it links none of it. The JSON statistics of
// SERVER_STATISTICS (gateway.Statistics, expvar) stay as they are.
//
// # Turning it on
//
// Give cherrygo.New (or Quickstart) the package's Option and set the path
// on the server that should answer it:
//
//	m, err := cherrygo.New(tree, metrics.Option()) // SERVER_METRICS_PATH=/metrics
//
// SERVER_METRICS_PATH answers on the default server, before the
// application; SERVER_<NAME>_METRICS_PATH on a named one, an admin
// server say (SERVER_NAMES=admin, SERVER_ADMIN_SOCKET_PORT=9090,
// SERVER_ADMIN_METRICS_PATH=/metrics), which reports the default server's
// requests as well as its own. Every server the kit builds is counted
// whether or not it serves the path. Config.Option takes a registry of the
// program's own, whose metrics are then scraped with the kit's, and the
// duration histogram's buckets.
//
// # Metrics
//
//	cherrygo_http_requests_total{server,app,method,code}        counter
//	cherrygo_http_request_duration_seconds{server,app,method}   histogram
//	cherrygo_http_requests_in_flight{server}                    gauge
//	cherrygo_http_requests_aborted_total{server}                counter
//	cherrygo_http_request_body_bytes_total{server}              counter
//	cherrygo_http_response_body_bytes_total{server}             counter
//	cherrygo_connections{server,state}                          gauge
//	cherrygo_server_serving{server}                             gauge
//	cherrygo_ready                                              gauge
//	cherrygo_stopping                                           gauge
//	cherrygo_bus_state{state}                                   gauge
//	cherrygo_reloads_total                                      counter
//	cherrygo_upgrades_total                                     counter
//	cherrygo_upgrades_handed_over_total                         counter
//
// With the package's own registry (Config.Registry nil) the Go runtime's
// go_*, the process's process_* and promhttp's promhttp_metric_handler_*
// come too.
//
// # Labels
//
// Every label takes a bounded set of values, whatever the clients send:
//
//   - server is the server's name, "default" for the default server;
//   - app is the mount point of the app that served the request ("/" for
//     the root app, and for a request no app matched, which the engine
//     answers 404), never the URL; it is empty for a request answered
//     before the engine chose an app (the thread pool's 503);
//   - method is the method for the nine net/http names (GET, HEAD, POST,
//     PUT, PATCH, DELETE, OPTIONS, CONNECT, TRACE) and "other" for any
//     other;
//   - code is the final status's class, "1xx" to "5xx" ("2xx" when the
//     handler wrote nothing: net/http sends 200), "hijacked" for a
//     connection taken over without a status written (a WebSocket whose
//     library writes its 101 itself), "aborted" for a response cut off
//     before any status went out;
//   - state of cherrygo_connections is the http.ConnState: new, active,
//     idle, hijacked (closed connections are gone); servers the program
//     brings itself report none, and FastCGI's connections all count as
//     new;
//   - state of cherrygo_bus_state is the engine.State in lower case:
//     stopped, starting, started, stopping, exiting.
//
// # What is counted, and when
//
// Requests are counted by a cherrygo.WithMiddleware of each server the kit
// builds, behind its health and metrics paths (scrapes and probes are not
// counted; promhttp_metric_handler_requests_total counts scrapes) and in
// front of the gateway, so the thread pool's 503 and the body limit's 413
// are counted too. The duration runs from the request reaching that
// middleware to its handler's return (the response's last write). The app
// label comes from the engine's after_request channel, which therefore has
// a listener: each request publishes on it. Servers of WithServer and
// WithHTTPServer are not counted.
//
// cherrygo_ready is 1 when Manager.Ready has no reason against (what the
// readiness path answers 200 for), and runs the readiness checks at each
// scrape, each within its own timeout. cherrygo_stopping is 1 once a stop
// began: a shutdown delay (SERVER_SHUTDOWN_DELAY, readiness failing while
// the servers serve on) or the drain.
//
// cherrygo_reloads_total counts graceful reloads (SIGUSR1, Bus.Graceful),
// cherrygo_upgrades_total the zero-downtime upgrades requested (SIGHUP,
// Manager.Upgrade; one ignored because another is under way counts too),
// and cherrygo_upgrades_handed_over_total those that handed the service to
// a new process, which this process then drains and leaves to. Counters
// start at zero in each process: an upgrade's new process starts afresh.
package metrics
