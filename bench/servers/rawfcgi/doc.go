// Rawfcgi is the FastCGI baseline: the hello world on nothing but
// net/http/fcgi, for the benchmark's "FastCGI behind nginx" rows, configured
// by the same SERVER_* variables as examples/hello (SERVER_SOCKET_HOST and
// SERVER_SOCKET_PORT, or SERVER_SOCKET_FILE for a unix socket).
//
// # Routes
//
// GET / answers "Hello, world!" as text/plain.
//
// # Stopping
//
// SIGTERM or SIGINT closes the listener and exits 0. net/http/fcgi has no
// graceful shutdown, so requests still running are cut off; the
// benchmark only stops it once its load is over.
package main
