// Package peer is what the benchmark's peer servers (gin, echo, fiber)
// share: the answer every benchmark server gives on GET /, the address
// from the same SERVER_* variables as examples/hello, the stop signal, and
// net/http serving with a graceful stop (gin and echo; fiber has its own).
//
// # Variables
//
// SERVER_SOCKET_HOST (default 127.0.0.1) and SERVER_SOCKET_PORT (default
// 8080). The peers serve plain TCP only: the harness compares them with
// the kit over TCP.
package peer
