// Harness runs the cherrygo benchmark and writes bench/RESULTS.md. It is
// meant to be started by bench/run.sh, which installs the tools, builds the
// servers (and the peers of bench/peers), makes a self-signed certificate
// and passes their paths as flags.
//
// # What it measures
//
// Throughput of the same hello world: the server's CPU time per request
// (utime+stime from /proc/<pid>/stat ÷ requests, the primary figure),
// requests per second and latency p50/p99. Over TCP at 1, 50 and 500
// connections for raw net/http, net/http + chi, examples/hello (the kit)
// and the peers gin, echo v4, fiber v2 and CherryPy 18; over a unix
// socket, TLS with HTTP/1.1 and TLS with HTTP/2 for raw net/http, chi and
// the kit. The same for the backends the kit swaps by environment, each
// beside its raw counterpart: FastCGI behind one nginx worker
// (SERVER_BACKEND=fastcgi against net/http/fcgi; nginx's CPU is counted
// separately) and HTTP/3 (SERVER_HTTP3=true against quic-go's
// http3.Server, driven by loadgen -proto h3). Lifecycle: start → first
// 200; SIGTERM → port free (and → exit) with an idle keep-alive connection
// open, with a connection that never sent a request, and with a two-second
// request in flight. Memory: resident set per idle keep-alive connection.
//
// # Pinning
//
// With -server-cpu and -client-cpu every server (and nginx) is started
// through taskset on the one CPU and every load generator on the other;
// run.sh also runs the harness itself on the client CPU.
//
// # Rounds and ratios
//
// Every round starts the servers of a transport afresh and side by side,
// warms each up once, and measures each connection count in slices of one
// second: one slice per server in an order rotated from slice to slice
// (and from round to round), until each has had BENCH_DURATION. Servers
// that are compared are so measured within seconds of each other, and a
// shared machine whose speed drifts moves them alike. Figures are medians
// over the rounds with their min–max. Ratios (kit ÷
// chi and the like) are taken within each round and summarised the same
// way; a ratio whose (max − min) ÷ median exceeds 5 % is marked noisy.
// Lifecycle and memory run in the first BENCH_LIFECYCLE_ROUNDS rounds.
//
// # Markers
//
// Servers write "slow-start" to standard output or error when GET /slow
// begins, and CherryPy writes "engine-started" when its engine has started;
// the harness watches the output for both instead of guessing with sleeps.
//
// # Settings
//
// BENCH_DURATION (seconds per throughput measurement, 1–10, default 2),
// BENCH_ROUNDS (default 5), BENCH_WARMUP (seconds of warm-up load after
// each server start, default 1), BENCH_LIFECYCLE_ROUNDS (default 2),
// BENCH_LIFECYCLE_RUNS (start/stop runs per server and round, default 3),
// BENCH_IDLE_CONNS (default 5000), BENCH_CLK_TCK (default 100). The -nginx
// flag names nginx (default: nginx on PATH, else /usr/sbin/nginx); without
// it the FastCGI rows say "n/a: nginx not found".
package main
