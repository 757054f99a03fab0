package main

import (
	"fmt"
	"strings"
	"time"
)

// throughputHeader is the common head of the TCP and transport tables.
const throughputHeader = "server CPU/req | req/s | p50 | p99 | CPU/req ÷ raw net/http | CPU/req ÷ net/http + chi | " +
	"req/s ÷ raw net/http | req/s ÷ net/http + chi | errors |\n"

// throughputCells renders a row's figures and its ratios to raw net/http
// and to net/http + chi measured on the same transport and connections.
func (r *benchRun) throughputCells(k caseKey) string {
	o := r.thr[k]
	if len(o.rounds) == 0 {
		return naWhy(o.errs) + " | | | | | | | | |"
	}
	raw, chi := caseKey{srvRawHTTP, k.transport, k.conns}, caseKey{srvRawChi, k.transport, k.conns}
	var vsRaw, vsChi [2]string
	for i, f := range []func(throughput) float64{cpuOf, rpsOf} {
		if k.server != srvRawHTTP {
			vsRaw[i] = ratioCell(r.ratio(k, raw, f))
		}
		if k.server != srvRawChi && k.server != srvRawHTTP {
			vsChi[i] = ratioCell(r.ratio(k, chi, f))
		}
	}
	return fmt.Sprintf("%s | %s | %s | %s | %s | %s | %s | %s | %s |",
		cpuCell(r.fig(k, cpuOf)), rpsCell(r.fig(k, rpsOf)),
		us(time.Duration(r.fig(k, p50Of).med)), us(time.Duration(r.fig(k, p99Of).med)),
		vsRaw[0], vsChi[0], vsRaw[1], vsChi[1], errorsCell(o))
}

func (r *benchRun) writeTCP(w writer) {
	w("## Throughput over TCP: GET / → \"Hello, world!\"\n\n")
	w("| connections | server | " + throughputHeader)
	w("|--:|---|--:|--:|--:|--:|--:|--:|--:|--:|---|\n")
	for _, k := range throughputCases() {
		if k.transport != tcp {
			continue
		}
		w("| %d | %s | %s\n", k.conns, k.server, r.throughputCells(k))
	}
	w("\nwrk -t%d -c<connections> --latency with bench/wrk/report.lua, %v per measurement. Each server process "+
		"is started once per round beside the others, warmed up for %v at %d connections, then measured at %s "+
		"connections in turn, in 1 s slices interleaved with the other servers'. "+
		"The peers answer the same GET / with the same text/plain body: gin v1 in release mode without the "+
		"logger (gin.New + gin.Recovery), echo v4 without middleware, fiber v2 on fasthttp with its defaults "+
		"(bench/peers, a module of its own), and CherryPy 18 with its defaults (thread pool 10). "+
		"Ratios: this row ÷ the named row, within each round; median (min–max).\n\n",
		r.s.threads(mainConns), r.s.duration, r.s.warmup, mainConns, joinInts(tcpConns))
}

func (r *benchRun) writeTransports(w writer) {
	w("## Throughput over the other transports (%d connections)\n\n", mainConns)
	w("| transport | tool | server | " + throughputHeader)
	w("|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|---|\n")
	for _, k := range throughputCases() {
		if k.transport == tcp {
			continue
		}
		w("| %s | %s | %s | %s\n", k.transport, toolFor(k.transport), k.server, r.throughputCells(k))
	}
	w("\nTLS HTTP/1.1 uses wrk, TLS HTTP/2 uses h2load -m1 (one stream per connection; its per-request log gives "+
		"the percentiles), the unix socket uses bench/loadgen; compare rows of the same transport, not across "+
		"tools. %d thread(s) for wrk and h2load.\n\n", r.s.threads(mainConns))
}

// writeSwapped is the table of the backends the kit swaps by environment,
// each kit row divided by its raw counterpart on the same transport.
func (r *benchRun) writeSwapped(w writer) {
	w("## Backends swapped by environment: GET / → \"Hello, world!\"\n\n")
	w("| server | transport | tool | server CPU/req | nginx CPU/req | req/s | p50 | p99 | CPU/req kit ÷ raw | " +
		"req/s kit ÷ raw | errors |\n")
	w("|---|---|---|--:|--:|--:|--:|--:|--:|--:|---|\n")
	for _, k := range swappedCases() {
		o := r.thr[k]
		tool := toolFor(k.transport)
		if len(o.rounds) == 0 {
			w("| %s | %s | %s | %s | | | | | | | |\n", k.server, k.transport, tool, naWhy(o.errs))
			continue
		}
		front := ""
		if k.transport == fcgiNginx {
			front = cpuCell(r.fig(k, frontOf))
		}
		var cpuQ, rpsQ string
		if k.server == srvKit {
			raw := caseKey{rawFor(k.transport), k.transport, k.conns}
			cpuQ, rpsQ = ratioCell(r.ratio(k, raw, cpuOf)), ratioCell(r.ratio(k, raw, rpsOf))
		}
		w("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", k.server, k.transport, tool,
			cpuCell(r.fig(k, cpuOf)), front, rpsCell(r.fig(k, rpsOf)),
			us(time.Duration(r.fig(k, p50Of).med)), us(time.Duration(r.fig(k, p99Of).med)), cpuQ, rpsQ, errorsCell(o))
	}
	w("\nFastCGI: wrk (HTTP/1.1, %d connections) → one nginx worker (worker_processes 1, a fresh "+
		"configuration and directory per measurement, on the server CPU) → FastCGI over TCP on 127.0.0.1 with "+
		"upstream keepalive %d and fastcgi_keep_conn on, so nginx reuses its FastCGI connections and the rows "+
		"measure the backend rather than connection set-up. The kit is examples/hello with SERVER_BACKEND=fastcgi, "+
		"raw is net/http/fcgi.Serve (bench/servers/rawfcgi). server CPU/req is the backend process only; "+
		"nginx CPU/req is nginx's master and worker. HTTP/3: bench/loadgen -proto h3, %d QUIC connections "+
		"(one quic-go http3.Transport each) with one request at a time; the kit is examples/hello with TLS "+
		"and SERVER_HTTP3=true (it also serves TLS on the TCP port of the same number, unused here), raw is "+
		"quic-go's http3.Server alone (bench/servers/rawh3). kit ÷ raw is within each round on the same "+
		"transport.\n\n", mainConns, upstreamKeepalive, mainConns)
}

func joinInts(xs []int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = fmt.Sprint(x)
	}
	return strings.Join(s, ", ")
}
