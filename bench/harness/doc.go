// Harness runs the cherrygo benchmark and writes bench/RESULTS.md. It is
// meant to be started by bench/run.sh, which installs the tools, builds the
// servers, makes a self-signed certificate and passes their paths as flags.
//
// # What it measures
//
// Throughput (requests per second, latency p50/p99, server CPU time per
// request from /proc/<pid>/stat) of the same hello world served by raw
// net/http, net/http + chi, examples/hello (the full stack) over TCP, a
// unix socket, TLS with HTTP/1.1 and TLS with HTTP/2, and CherryPy 18 over
// TCP. The same for the backends the kit swaps by environment, each beside
// its raw counterpart: FastCGI behind one nginx worker (examples/hello with
// SERVER_BACKEND=fastcgi against net/http/fcgi, over TCP on 127.0.0.1 with
// upstream keep-alive; nginx's CPU is counted separately) and HTTP/3
// (SERVER_HTTP3=true against quic-go's http3.Server, driven by loadgen
// -proto h3). Lifecycle: process start → first 200, SIGTERM → port free (and →
// process exit) with an idle keep-alive connection open, and SIGTERM with a
// two-second request in flight. Memory: resident set per idle keep-alive
// connection, from VmRSS with 5,000 connections minus VmRSS without.
//
// # Rounds
//
// Every measurement runs once per round, against a freshly started server,
// and the rounds interleave the servers (the order rotates each round) so
// that drift in the machine's load spreads over all of them. Tables show
// the median over rounds.
//
// # Markers
//
// Servers write "slow-start" to standard output or error when GET /slow
// begins, and CherryPy writes "engine-started" when its engine has started;
// the harness watches the output for both instead of guessing with sleeps.
//
// # Settings
//
// BENCH_DURATION (seconds per throughput measurement, 1–10, default 5),
// BENCH_ROUNDS (default 3), BENCH_WARMUP (seconds of warm-up load before
// each measurement, default 1), BENCH_CONNECTIONS (1–50, default 50),
// BENCH_LIFECYCLE_RUNS (start/stop runs per server and round, default 5),
// BENCH_IDLE_CONNS (default 5000), BENCH_CLK_TCK (default 100). The -nginx
// flag names nginx (default: nginx on PATH, else /usr/sbin/nginx); without
// it the FastCGI rows say "n/a: nginx not found".
package main
