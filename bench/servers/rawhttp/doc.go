// Rawhttp is the benchmark's baseline: the hello world on nothing but
// net/http (an http.ServeMux), configured by the same SERVER_* variables as
// examples/hello.
//
// # Routes
//
// GET / answers "Hello, world!" as text/plain; GET /slow answers the same
// after two seconds (the in-flight request of the stop measurement).
//
// # Stopping
//
// SIGTERM or SIGINT: http.Server.Shutdown with a 5 s limit, then exit 0.
package main
