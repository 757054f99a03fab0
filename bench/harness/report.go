package main

import (
	"fmt"
	"strings"
	"time"
)

// Targets from issue 6.
const (
	minRatioChi      = 0.97
	minRatioCherryPy = 25.0
	startSlack       = 5 * time.Millisecond
	stopSlack        = 5 * time.Millisecond
	maxRatioMemory   = 1.1
)

// report renders the Markdown of bench/RESULTS.md.
func (r *benchRun) report() string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	s, m := r.s, r.mach

	w("# cherrygo benchmark results\n\n")
	if s.smoke() {
		w("> **SMOKE RUN** (%v per measurement, %d round(s)): proves the harness works end to end; "+
			"the figures are not results. A full run is `bench/run.sh` with the defaults.\n\n", s.duration, s.rounds)
	}
	w("Written by `bench/run.sh` on %s (took %v).\n\n", r.began.UTC().Format("2006-01-02 15:04 MST"),
		time.Since(r.began).Round(time.Second))
	w("| | |\n|---|---|\n")
	w("| machine | %d CPUs, %s |\n", m.cpus, m.model)
	w("| kernel | %s |\n", m.kernel)
	w("| Go | %s |\n", m.goVer)
	w("| load generators | %s; %s; bench/loadgen |\n", m.wrk, m.h2load)
	w("| CherryPy | %s |\n", m.cherrypy)
	w("| nginx (FastCGI rows) | %s |\n", m.nginx)
	w("| load average at start | %s |\n", m.loadAvg)
	w("| settings | %v per measurement after %v warm-up, %d connections, 2 client threads, "+
		"%d interleaved rounds, %d start/stop runs per server and round, %d idle connections |\n\n",
		s.duration, s.warmup, s.connections, s.rounds, s.lifecycleRuns, s.idleConns)
	w("Client and server share the same %d CPUs over loopback (127.0.0.1); nothing is pinned. "+
		"Every figure is the median over the rounds; each measurement starts a fresh server.\n\n", m.cpus)

	r.writeTargets(w)
	r.writeThroughput(w)
	r.writeSwapped(w)
	r.writeLifecycle(w)
	r.writeMemory(w)
	r.writeErrors(w)
	return b.String()
}

type writer func(format string, args ...any)

func (r *benchRun) medRPS(k caseKey) (float64, bool) {
	o := r.thr[k]
	if o == nil || len(o.rounds) == 0 {
		return 0, false
	}
	xs := make([]float64, len(o.rounds))
	for i, t := range o.rounds {
		xs[i] = t.rps()
	}
	return median(xs), true
}

func medOf[T any](o *outcome[T], f func(T) float64) (float64, bool) {
	if o == nil || len(o.rounds) == 0 {
		return 0, false
	}
	xs := make([]float64, len(o.rounds))
	for i, v := range o.rounds {
		xs[i] = f(v)
	}
	return median(xs), true
}

func passFail(ok bool) string {
	if ok {
		return "**pass**"
	}
	return "**FAIL**"
}

const na = "n/a"

func (r *benchRun) writeTargets(w writer) {
	w("## Targets\n\n| target | measured | required | result |\n|---|---|---|---|\n")
	kit, okKit := r.medRPS(caseKey{srvKit, tcp})
	chi, okChi := r.medRPS(caseKey{srvRawChi, tcp})
	cp, okCP := r.medRPS(caseKey{srvCherryPy, tcp})
	row := func(name, measured, required string, ok, known bool) {
		res := na
		if known {
			res = passFail(ok)
		}
		w("| %s | %s | %s | %s |\n", name, measured, required, res)
	}
	if okKit && okChi {
		q := kit / chi
		row("full stack req/s over TCP ÷ net/http + chi", fmt.Sprintf("%.3f", q), fmt.Sprintf("≥ %.2f", minRatioChi), q >= minRatioChi, true)
	} else {
		row("full stack req/s over TCP ÷ net/http + chi", na, fmt.Sprintf("≥ %.2f", minRatioChi), false, false)
	}
	if okKit && okCP {
		q := kit / cp
		row("full stack req/s over TCP ÷ CherryPy", fmt.Sprintf("%.1f", q), fmt.Sprintf("≥ %.0f", minRatioCherryPy), q >= minRatioCherryPy, true)
	} else {
		row("full stack req/s over TCP ÷ CherryPy", na, fmt.Sprintf("≥ %.0f", minRatioCherryPy), false, false)
	}
	first := func(v startStop) float64 { return float64(v.first200) }
	free := func(v startStop) float64 { return float64(v.portFree) }
	for _, c := range []struct {
		name  string
		f     func(startStop) float64
		slack time.Duration
	}{
		{"start → first 200, full stack − raw net/http", first, startSlack},
		{"SIGTERM → port free with an idle keep-alive connection, full stack − raw net/http", free, stopSlack},
	} {
		k, ok1 := medOf(r.start[srvKit], c.f)
		raw, ok2 := medOf(r.start[srvRawHTTP], c.f)
		req := "≤ +" + ms(c.slack)
		if ok1 && ok2 {
			d := time.Duration(k - raw)
			row(c.name, fmt.Sprintf("%s (%s vs %s)", signedMs(d), ms(time.Duration(k)), ms(time.Duration(raw))), req, d <= c.slack, true)
		} else {
			row(c.name, na, req, false, false)
		}
	}
	per := func(v memory) float64 { return v.perConnKiB() }
	km, ok1 := medOf(r.mem[srvKit], per)
	rm, ok2 := medOf(r.mem[srvRawHTTP], per)
	req := fmt.Sprintf("≤ %.1f", maxRatioMemory)
	if ok1 && ok2 && rm > 0 {
		q := km / rm
		row("memory per idle connection, full stack ÷ raw net/http", fmt.Sprintf("%.2f (%.1f vs %.1f KiB)", q, km, rm), req, q <= maxRatioMemory, true)
	} else {
		row("memory per idle connection, full stack ÷ raw net/http", na, req, false, false)
	}
	if o := r.inflight[srvKit]; len(o.rounds) > 0 {
		done := 0
		for _, v := range o.rounds {
			if v.completed {
				done++
			}
		}
		row("2 s request in flight at SIGTERM completes with 200 (full stack)", fmt.Sprintf("%d of %d rounds", done, len(o.rounds)),
			"every round", done == len(o.rounds), true)
	} else {
		row("2 s request in flight at SIGTERM completes with 200 (full stack)", na, "every round", false, false)
	}
	w("\n")
}

func (r *benchRun) writeThroughput(w writer) {
	w("## Throughput: GET / → \"Hello, world!\"\n\n")
	w("| server | transport | tool | req/s | p50 | p99 | server CPU/req | ÷ net/http + chi | ÷ CherryPy | req/s per round | errors |\n")
	w("|---|---|---|--:|--:|--:|--:|--:|--:|---|---|\n")
	cp, okCP := r.medRPS(caseKey{srvCherryPy, tcp})
	for _, k := range throughputCases() {
		o := r.thr[k]
		tool := toolFor(k.transport)
		if len(o.rounds) == 0 {
			w("| %s | %s | %s | %s | | | | | | | %s |\n", k.server, k.transport, tool, na, firstErr(o.errs))
			continue
		}
		rps, _ := r.medRPS(k)
		p50, _ := medOf(o, func(t throughput) float64 { return float64(t.p50) })
		p99, _ := medOf(o, func(t throughput) float64 { return float64(t.p99) })
		cpu, _ := medOf(o, func(t throughput) float64 { return float64(t.cpuPerReq) })
		vsChi, vsCP := "", ""
		if chi, ok := r.medRPS(caseKey{srvRawChi, k.transport}); ok && k.server != srvRawChi {
			vsChi = fmt.Sprintf("%.3f", rps/chi)
		}
		if okCP && k.transport == tcp && k.server != srvCherryPy {
			vsCP = fmt.Sprintf("%.1f", rps/cp)
		}
		w("| %s | %s | %s | %.0f | %s | %s | %s | %s | %s | %s | %s |\n", k.server, k.transport, tool, rps,
			us(time.Duration(p50)), us(time.Duration(p99)), us(time.Duration(cpu)), vsChi, vsCP, perRound(o), errorsCell(o))
	}
	w("\nserver CPU/req = (utime + stime of the server process after − before the measurement) ÷ requests. " +
		"TCP and TLS HTTP/1.1 use wrk, TLS HTTP/2 uses h2load (one stream per connection), the unix socket uses " +
		"bench/loadgen; compare rows of the same transport, not across tools. FastCGI behind nginx and HTTP/3 " +
		"have their own table below.\n\n")
}

// writeSwapped is the table of the backends the kit swaps by environment,
// each kit row divided by its raw counterpart on the same transport.
func (r *benchRun) writeSwapped(w writer) {
	w("## Backends swapped by environment: GET / → \"Hello, world!\"\n\n")
	w("| server | transport | tool | req/s | p50 | p99 | server CPU/req | nginx CPU/req | kit ÷ raw | req/s per round | errors |\n")
	w("|---|---|---|--:|--:|--:|--:|--:|--:|---|---|\n")
	for _, k := range swappedCases() {
		o := r.thr[k]
		tool := toolFor(k.transport)
		if len(o.rounds) == 0 {
			w("| %s | %s | %s | %s | | | | | | | |\n", k.server, k.transport, tool, naWhy(o.errs))
			continue
		}
		rps, _ := r.medRPS(k)
		p50, _ := medOf(o, func(t throughput) float64 { return float64(t.p50) })
		p99, _ := medOf(o, func(t throughput) float64 { return float64(t.p99) })
		cpu, _ := medOf(o, func(t throughput) float64 { return float64(t.cpuPerReq) })
		front := ""
		if k.transport == fcgiNginx {
			f, _ := medOf(o, func(t throughput) float64 { return float64(t.frontCPUPerReq) })
			front = us(time.Duration(f))
		}
		ratio := ""
		if raw, ok := r.medRPS(caseKey{rawFor(k.transport), k.transport}); ok && k.server == srvKit {
			ratio = fmt.Sprintf("%.3f", rps/raw)
		}
		w("| %s | %s | %s | %.0f | %s | %s | %s | %s | %s | %s | %s |\n", k.server, k.transport, tool, rps,
			us(time.Duration(p50)), us(time.Duration(p99)), us(time.Duration(cpu)), front, ratio,
			perRound(o), errorsCell(o))
	}
	w("\nFastCGI: wrk (HTTP/1.1, %d connections) → one nginx worker (worker_processes 1, a fresh "+
		"configuration and directory per measurement) → FastCGI over TCP on 127.0.0.1 with upstream "+
		"keepalive %d and fastcgi_keep_conn on, so nginx reuses its FastCGI connections and the rows measure "+
		"the backend rather than connection set-up. The kit is examples/hello with SERVER_BACKEND=fastcgi, "+
		"raw is net/http/fcgi.Serve (bench/servers/rawfcgi). server CPU/req is the backend process only; "+
		"nginx CPU/req is nginx's master and worker. HTTP/3: bench/loadgen -proto h3, %d QUIC connections "+
		"(one quic-go http3.Transport each) with one request at a time; the kit is examples/hello with TLS "+
		"and SERVER_HTTP3=true (it also serves TLS on the TCP port of the same number, unused here), raw is "+
		"quic-go's http3.Server alone (bench/servers/rawh3). kit ÷ raw is req/s over the raw row's on the "+
		"same transport.\n\n", r.s.connections, upstreamKeepalive, r.s.connections)
}

// naWhy is a skipped row's req/s cell: n/a and why.
func naWhy(errs []string) string {
	e := firstErr(errs)
	if e == "" {
		return na
	}
	if strings.HasPrefix(e, na) {
		return e
	}
	return na + ": " + e
}

// perRound lists a row's req/s, one per round.
func perRound(o *outcome[throughput]) string {
	var per []string
	for _, t := range o.rounds {
		per = append(per, fmt.Sprintf("%.0f", t.rps()))
	}
	return strings.Join(per, " / ")
}

// errorsCell sums a row's failed requests and failed rounds.
func errorsCell(o *outcome[throughput]) string {
	var errs, status int64
	for _, t := range o.rounds {
		errs += t.errors
		status += t.statusErrors
	}
	e := ""
	if errs > 0 || status > 0 {
		e = fmt.Sprintf("%d socket, %d non-200", errs, status)
	}
	if len(o.errs) > 0 {
		e = strings.TrimSpace(e + " " + fmt.Sprintf("%d round(s) failed: %s", len(o.errs), firstErr(o.errs)))
	}
	return e
}

func (r *benchRun) writeLifecycle(w writer) {
	w("## Lifecycle (TCP)\n\n")
	w("| server | start → first 200 | SIGTERM → port free (idle keep-alive open) | SIGTERM → exit | " +
		"2 s request at SIGTERM: got 200 | → port free | → answer | → exit |\n")
	w("|---|--:|--:|--:|---|--:|--:|--:|\n")
	for _, srv := range lifecycleServers() {
		cells := []string{srv}
		if o := r.start[srv]; len(o.rounds) > 0 {
			for _, f := range []func(startStop) float64{
				func(v startStop) float64 { return float64(v.first200) },
				func(v startStop) float64 { return float64(v.portFree) },
				func(v startStop) float64 { return float64(v.exit) },
			} {
				d, _ := medOf(o, f)
				cells = append(cells, ms(time.Duration(d)))
			}
		} else {
			cells = append(cells, na+": "+firstErr(o.errs), "", "")
		}
		if o := r.inflight[srv]; len(o.rounds) > 0 {
			done, detail := 0, ""
			for _, v := range o.rounds {
				if v.completed {
					done++
				} else if detail == "" {
					detail = " (" + v.detail + ")"
				}
			}
			cells = append(cells, fmt.Sprintf("%d of %d%s", done, len(o.rounds), detail))
			for _, f := range []func(inFlight) float64{
				func(v inFlight) float64 { return float64(v.portFree) },
				func(v inFlight) float64 { return float64(v.answered) },
				func(v inFlight) float64 { return float64(v.exit) },
			} {
				d, _ := medOf(o, f)
				cells = append(cells, ms(time.Duration(d)))
			}
		} else {
			cells = append(cells, na+": "+firstErr(o.errs), "", "", "")
		}
		w("| %s |\n", strings.Join(cells, " | "))
	}
	w("\nstart → first 200: from just before the spawn to the first 200 on GET /, polling connect + GET "+
		"every %v (median of %d runs per round). The connection that got the 200 stays open and idle; "+
		"%v later (for CherryPy: %v after its engine reported STARTED, since a SIGTERM while it is still "+
		"STARTING makes it exit at once with status 70) the harness sends SIGTERM; → port free is until a "+
		"bind of the same address succeeds. The 2 s request is GET /slow (bench/servers/kit for the full "+
		"stack), signalled once its handler has started.\n\n", pollPause, r.s.lifecycleRuns, idlePause, idlePause)
}

func (r *benchRun) writeMemory(w writer) {
	w("## Memory per idle keep-alive connection (TCP)\n\n")
	w("| server | VmRSS, no connections | VmRSS, %d idle | per connection | ÷ raw net/http | extra server fds |\n", r.s.idleConns)
	w("|---|--:|--:|--:|--:|--:|\n")
	per := func(v memory) float64 { return v.perConnKiB() }
	raw, okRaw := medOf(r.mem[srvRawHTTP], per)
	for _, srv := range memoryServers() {
		o := r.mem[srv]
		if len(o.rounds) == 0 {
			w("| %s | %s: %s | | | | |\n", srv, na, firstErr(o.errs))
			continue
		}
		base, _ := medOf(o, func(v memory) float64 { return float64(v.baseKiB) })
		loaded, _ := medOf(o, func(v memory) float64 { return float64(v.loadedKiB) })
		fds, _ := medOf(o, func(v memory) float64 { return float64(v.fds) })
		p, _ := medOf(o, per)
		ratio := ""
		if okRaw && raw > 0 && srv != srvRawHTTP {
			ratio = fmt.Sprintf("%.2f", p/raw)
		}
		w("| %s | %.1f MiB | %.1f MiB | %.1f KiB | %s | %.0f |\n", srv, base/1024, loaded/1024, p, ratio, fds)
	}
	w("\nEach connection made one request and then stayed idle; the servers run with their default " +
		"settings (the kit's SERVER_SOCKET_TIMEOUT of 10 s is well above the time the measurement takes). " +
		"\"extra server fds\" checks that the connections were still open when VmRSS was read.\n\n")
}

func (r *benchRun) writeErrors(w writer) {
	var lines []string
	for _, k := range allThroughputCases() {
		for _, e := range r.thr[k].errs {
			lines = append(lines, fmt.Sprintf("- throughput %s / %s: %s", k.server, k.transport, e))
		}
	}
	for _, srv := range lifecycleServers() {
		for _, e := range r.start[srv].errs {
			lines = append(lines, fmt.Sprintf("- start/stop %s: %s", srv, e))
		}
		for _, e := range r.inflight[srv].errs {
			lines = append(lines, fmt.Sprintf("- in-flight stop %s: %s", srv, e))
		}
	}
	for _, srv := range memoryServers() {
		for _, e := range r.mem[srv].errs {
			lines = append(lines, fmt.Sprintf("- memory %s: %s", srv, e))
		}
	}
	if len(lines) == 0 {
		return
	}
	w("## Measurements that did not run\n\n%s\n", strings.Join(lines, "\n"))
}

func firstErr(errs []string) string {
	if len(errs) == 0 {
		return ""
	}
	return strings.NewReplacer("|", "/", "\n", " ").Replace(errs[0])
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }

func signedMs(d time.Duration) string {
	return fmt.Sprintf("%+.2f ms", float64(d)/float64(time.Millisecond))
}

func us(d time.Duration) string { return fmt.Sprintf("%.0f µs", float64(d)/float64(time.Microsecond)) }
