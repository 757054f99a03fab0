package main

import (
	"fmt"
	"strings"
	"time"
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
	w("| machine | %d CPUs, %s |\n", s.cpus, m.model)
	w("| pinning | %s |\n", r.pinning())
	w("| kernel | %s |\n", m.kernel)
	w("| Go | %s |\n", m.goVer)
	w("| load generators | %s; %s; bench/loadgen |\n", m.wrk, m.h2load)
	w("| CherryPy | %s |\n", m.cherrypy)
	w("| nginx (FastCGI rows) | %s |\n", m.nginx)
	w("| load average at start | %s |\n", m.loadAvg)
	w("| settings | %v per measurement, %v warm-up per server start, %d interleaved rounds, "+
		"%d client thread(s) for wrk and h2load; lifecycle and memory in the first %d rounds, "+
		"%d start/stop runs per server and round, %d idle connections |\n\n",
		s.duration, s.warmup, s.rounds, s.threads(mainConns), s.lifecycleRounds, s.lifecycleRuns, s.idleConns)
	w("The primary figure is the server's CPU time per request (utime + stime from /proc/<pid>/stat, after "+
		"minus before the measurement, ÷ requests); req/s stands beside it. Every figure is the median over "+
		"the rounds with the min–max beside it. Within a round the servers of a transport run side by side and "+
		"are measured in interleaved 1 s slices (A B C, B C A, …) until each has had the measurement's time, so "+
		"two servers compared were measured within seconds of each other. A ratio is computed within each round "+
		"and its median and min–max over the rounds are shown; a ratio whose spread "+
		"(max − min) ÷ median exceeds %.0f %% is marked **noisy**.\n\n", maxSpread*100)

	r.writeTargets(w)
	r.writeIssue6Targets(w)
	r.writeTCP(w)
	r.writeTransports(w)
	r.writeSwapped(w)
	r.writeLifecycle(w)
	r.writeMemory(w)
	r.writeErrors(w)
	return b.String()
}

// pinning describes where the servers and the load generators ran.
func (r *benchRun) pinning() string {
	switch {
	case r.s.pinned():
		return fmt.Sprintf("servers (and nginx) on CPU %s, wrk, h2load, loadgen and the harness on CPU %s (taskset)",
			r.s.serverCPU, r.s.clientCPU)
	case r.s.cpus < 2:
		return fmt.Sprintf("none: only %d CPU, so servers and load generators share it (unpinned)", r.s.cpus)
	default:
		return "none: taskset not found, servers and load generators share the CPUs (unpinned)"
	}
}

type writer func(format string, args ...any)

// Figures of one throughput round.
func cpuOf(t throughput) float64   { return float64(t.cpuPerReq) }
func frontOf(t throughput) float64 { return float64(t.frontCPUPerReq) }
func rpsOf(t throughput) float64   { return t.rps() }
func p50Of(t throughput) float64   { return float64(t.p50) }
func p99Of(t throughput) float64   { return float64(t.p99) }

// fig summarises f over a case's rounds.
func (r *benchRun) fig(k caseKey, f func(throughput) float64) summary {
	o := r.thr[k]
	if o == nil {
		return summary{}
	}
	xs := make([]float64, len(o.rounds))
	for i, t := range o.rounds {
		xs[i] = f(t)
	}
	return summarize(xs)
}

// ratio summarises num ÷ den of f over the rounds both measured.
func (r *benchRun) ratio(num, den caseKey, f func(throughput) float64) summary {
	return summarize(ratiosPerRound(r.thr[num], r.thr[den], f))
}

func (r *benchRun) medRPS(k caseKey) (float64, bool) {
	s := r.fig(k, rpsOf)
	return s.med, s.n > 0
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

// ratioCell is "median (min–max)", marked noisy past maxSpread; "" for
// no rounds.
func ratioCell(s summary) string {
	if s.n == 0 {
		return ""
	}
	c := fmt.Sprintf("%.3f (%.3f–%.3f)", s.med, s.min, s.max)
	if s.noisy() {
		c += " **noisy**"
	}
	return c
}

// cpuCell is a CPU time per request in µs with its min–max.
func cpuCell(s summary) string {
	return fmt.Sprintf("%.1f µs (%.1f–%.1f)", s.med/1e3, s.min/1e3, s.max/1e3)
}

// rpsCell is requests per second with its min–max.
func rpsCell(s summary) string { return fmt.Sprintf("%.0f (%.0f–%.0f)", s.med, s.min, s.max) }

func passFail(ok bool) string {
	if ok {
		return "**pass**"
	}
	return "**FAIL**"
}

const na = "n/a"

// naWhy is a skipped row's first cell after its name: n/a and why.
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
