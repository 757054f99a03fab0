// Rawchi is the hello world on net/http with a chi router and no
// middleware: the throughput target's baseline ("full stack ≥ 0.97 × raw
// net/http + chi"). Same SERVER_* variables and routes as rawhttp.
//
// # Routes
//
// GET / answers "Hello, world!" as text/plain; GET /slow answers the same
// after two seconds.
//
// # Stopping
//
// SIGTERM or SIGINT: http.Server.Shutdown with a 5 s limit, then exit 0.
package main
