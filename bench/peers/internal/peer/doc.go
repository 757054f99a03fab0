// Package peer is what the benchmark's peer servers (gin, echo, fiber)
// share: the answer every benchmark server gives on GET /, the address
// from the same SERVER_* variables as examples/hello, and the stop signal.
//
// # Variables
//
// SERVER_SOCKET_HOST (default 127.0.0.1) and SERVER_SOCKET_PORT (default
// 8080). The peers serve plain TCP only: the harness compares them with
// the kit over TCP.
package peer
