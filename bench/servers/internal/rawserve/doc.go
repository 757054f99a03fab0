// Package rawserve is the plumbing shared by the benchmark's baseline
// servers (rawhttp and rawchi; rawfcgi and rawh3 use its Settings and
// Hello only): it reads the same SERVER_* variables as
// examples/hello, binds TCP, a unix socket or TLS with nothing but net/http,
// and on SIGTERM or SIGINT shuts down the way a careful net/http program
// does (http.Server.Shutdown with a 5 s limit, then Close).
//
// # Variables
//
// SERVER_SOCKET_HOST (default 127.0.0.1), SERVER_SOCKET_PORT (default
// 8080), SERVER_SOCKET_FILE (a unix socket path; replaces host and port),
// SERVER_SSL_CERTIFICATE and SERVER_SSL_PRIVATE_KEY (both set: HTTPS with
// HTTP/2 offered through ALPN, as net/http does by default).
//
// # Handlers
//
// Hello answers "Hello, world!" as text/plain. Slow writes the line
// "slow-start" to standard error (so the harness knows the request is in
// flight), sleeps two seconds, then answers like Hello.
package rawserve
