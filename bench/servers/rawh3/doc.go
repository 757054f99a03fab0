// Rawh3 is the HTTP/3 baseline: the hello world on github.com/quic-go/quic-go's
// http3.Server alone, on one UDP socket, for the benchmark's "HTTP/3" rows.
// It reads the same SERVER_* variables as examples/hello: SERVER_SOCKET_HOST
// and SERVER_SOCKET_PORT (the UDP address), SERVER_SSL_CERTIFICATE and
// SERVER_SSL_PRIVATE_KEY (both required: QUIC always speaks TLS 1.3).
//
// # Routes
//
// GET / answers "Hello, world!" as text/plain.
//
// # Stopping
//
// SIGTERM or SIGINT: http3.Server.Shutdown (GOAWAY, then wait for the
// requests in flight) with a 5 s limit, then the UDP socket is closed and
// the program exits 0.
package main
