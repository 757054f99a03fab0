// Kit is examples/hello with one more route, for the benchmark's "stop with
// a request in flight": the same bus, signal handler, manager and stdlib
// backend, set up through the same public API and configured by the same
// SERVER_* variables.
//
// # Routes
//
// GET and HEAD / answer "Hello, world!" as text/plain. GET /slow writes the
// line "slow-start" to standard error (so the harness knows the request is
// in flight), waits two seconds and answers like GET /.
//
// # Keeping it in step
//
// The throughput figures come from examples/hello itself; this copy exists
// only because the example has no slow route. When examples/hello's setup
// changes, change run below the same way.
package main
