// Loadgen is the benchmark's own small load generator, for what wrk and
// h2load cannot do: HTTP/1.1 load over a unix socket, HTTP/3 load, and
// holding thousands of idle keep-alive connections for the memory
// measurement.
//
// # Load mode
//
//	loadgen -mode load -network unix -addr /tmp/s.sock -c 50 -d 5s
//
// opens c keep-alive connections, each sending GET requests back to back
// for the duration, and prints one line in the same form as the harness's
// wrk script:
//
//	BENCH requests=N duration_us=D errors=E status_errors=S p50_us=P p99_us=Q
//
// Requests are written by hand and responses read with http.ReadResponse,
// so the client costs little next to the server; its figures are still
// only comparable with other loadgen figures, not with wrk's.
//
// # HTTP/3
//
//	loadgen -mode load -proto h3 -addr 127.0.0.1:8443 -c 50 -d 5s
//
// does the same over HTTP/3: each of the c workers has its own
// quic-go http3.Transport, so one QUIC connection (dialled on its first
// request, again after a failure) with one request at a time. The
// server's certificate is not verified (the benchmark's is throw-away).
// It prints the same BENCH line; its figures compare with other HTTP/3
// loadgen figures only.
//
// # Idle mode
//
//	loadgen -mode idle -network tcp -addr 127.0.0.1:8080 -n 5000
//
// opens n connections, sends one GET on each and reads the answer, prints
// "READY open=N failed=F", then holds the connections idle until its
// standard input closes or it gets SIGTERM or SIGINT, and closes them.
//
// # Limits
//
// Both modes raise the open-files limit (RLIMIT_NOFILE) to its hard
// maximum first. Every loop is bounded by a count or a deadline.
package main
