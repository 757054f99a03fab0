package main

import (
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// caseKey names one throughput measurement.
type caseKey struct{ server, transport string }

// throughputCases is the side-by-side table, in report order.
func throughputCases() []caseKey {
	return []caseKey{
		{srvRawHTTP, tcp}, {srvRawChi, tcp}, {srvKit, tcp}, {srvCherryPy, tcp},
		{srvRawChi, unix}, {srvKit, unix},
		{srvRawChi, tlsH1}, {srvKit, tlsH1},
		{srvRawChi, tlsH2}, {srvKit, tlsH2},
	}
}

// swappedCases are the backends the kit swaps by environment
// (SERVER_BACKEND=fastcgi, SERVER_HTTP3=true), each beside its raw
// counterpart, in report order.
func swappedCases() []caseKey {
	return []caseKey{
		{srvRawFCGI, fcgiNginx}, {srvKit, fcgiNginx},
		{srvRawH3, h3quic}, {srvKit, h3quic},
	}
}

// rawFor names the raw server a swapped case's kit row is divided by.
func rawFor(transport string) string {
	if transport == fcgiNginx {
		return srvRawFCGI
	}
	return srvRawH3
}

// allThroughputCases is every throughput measurement of a round.
func allThroughputCases() []caseKey { return append(throughputCases(), swappedCases()...) }

// lifecycleServers get the start/stop measurements.
func lifecycleServers() []string { return []string{srvRawHTTP, srvRawChi, srvKit, srvCherryPy} }

// memoryServers get the idle-connection memory measurement.
func memoryServers() []string { return []string{srvRawHTTP, srvRawChi, srvKit} }

// outcome collects one measurement's values over the rounds, and the
// errors that stopped some of them.
type outcome[T any] struct {
	rounds []T
	errs   []string
}

func (o *outcome[T]) add(v T, err error) {
	if err != nil {
		o.errs = append(o.errs, err.Error())
		return
	}
	o.rounds = append(o.rounds, v)
}

// benchRun holds a run's settings and everything measured so far.
type benchRun struct {
	s     settings
	log   *slog.Logger
	progs programs
	mach  machine
	began time.Time
	seq   int

	thr      map[caseKey]*outcome[throughput]
	start    map[string]*outcome[startStop] // per round: medians of the runs
	inflight map[string]*outcome[inFlight]
	mem      map[string]*outcome[memory]
}

func newRun(s settings, log *slog.Logger) *benchRun {
	r := &benchRun{
		s: s, log: log, progs: findPrograms(s), mach: describeMachine(s), began: time.Now(),
		thr:      map[caseKey]*outcome[throughput]{},
		start:    map[string]*outcome[startStop]{},
		inflight: map[string]*outcome[inFlight]{},
		mem:      map[string]*outcome[memory]{},
	}
	for _, k := range allThroughputCases() {
		r.thr[k] = &outcome[throughput]{}
	}
	for _, srv := range lifecycleServers() {
		r.start[srv] = &outcome[startStop]{}
		r.inflight[srv] = &outcome[inFlight]{}
	}
	for _, srv := range memoryServers() {
		r.mem[srv] = &outcome[memory]{}
	}
	return r
}

// rotate returns xs starting at position n (mod len).
func rotate[T any](xs []T, n int) []T {
	n %= len(xs)
	return append(append([]T{}, xs[n:]...), xs[:n]...)
}

// all runs every round; each round visits every server in a rotated order.
func (r *benchRun) all() {
	for round := range r.s.rounds {
		r.log.Info("round", "n", round+1, "of", r.s.rounds)
		for _, k := range rotate(allThroughputCases(), round) {
			r.throughputCase(k)
		}
		for _, srv := range rotate(lifecycleServers(), round) {
			r.lifecycle(srv)
		}
		for _, srv := range rotate(memoryServers(), round) {
			r.memory(srv)
		}
	}
}

func (r *benchRun) target(server, transport string, slow bool) (target, error) {
	argv := r.progs.argv[server]
	if slow {
		argv = r.progs.slow[server]
	}
	if argv == nil {
		why := r.progs.miss[server]
		if slow && why == "" {
			why = "bench/servers/kit not built"
		}
		return target{}, fmt.Errorf("skipped: %s", why)
	}
	r.seq++
	return newTarget(r.s, server, transport, argv, r.seq)
}

// errNoNginx skips the FastCGI rows on a machine without nginx.
var errNoNginx = errors.New("n/a: nginx not found (Debian: apt-get install nginx-light)")

func (r *benchRun) throughputCase(k caseKey) {
	if k.transport == fcgiNginx && r.s.nginx == "" {
		r.thr[k].add(throughput{}, errNoNginx)
		return
	}
	t, err := r.target(k.server, k.transport, false)
	if err != nil {
		r.thr[k].add(throughput{}, err)
		return
	}
	res, err := measureThroughput(r.s, t)
	r.log.Info("throughput", "server", k.server, "transport", k.transport,
		"rps", int(res.rps()), "p99", res.p99, "cpu/req", res.cpuPerReq, "nginx cpu/req", res.frontCPUPerReq, "err", err)
	r.thr[k].add(res, err)
}

func (r *benchRun) lifecycle(srv string) {
	var runs []startStop
	var firstErr error
	for range r.s.lifecycleRuns {
		t, err := r.target(srv, tcp, false)
		if err == nil {
			var ss startStop
			if ss, err = measureStartStop(t); err == nil {
				runs = append(runs, ss)
				continue
			}
		}
		firstErr = err
		break
	}
	if firstErr == nil {
		var f, p, e []time.Duration
		for _, ss := range runs {
			f, p, e = append(f, ss.first200), append(p, ss.portFree), append(e, ss.exit)
		}
		med := startStop{first200: medianDur(f), portFree: medianDur(p), exit: medianDur(e)}
		r.log.Info("start/stop", "server", srv, "first200", med.first200, "portFree", med.portFree, "exit", med.exit)
		r.start[srv].add(med, nil)
	} else {
		r.log.Info("start/stop", "server", srv, "err", firstErr)
		r.start[srv].add(startStop{}, firstErr)
	}

	t, err := r.target(srv, tcp, true)
	if err != nil {
		r.inflight[srv].add(inFlight{}, err)
		return
	}
	inf, err := measureInFlight(t)
	r.log.Info("in-flight stop", "server", srv, "completed", inf.completed, "portFree", inf.portFree,
		"exit", inf.exit, "err", err)
	r.inflight[srv].add(inf, err)
}

func (r *benchRun) memory(srv string) {
	t, err := r.target(srv, tcp, false)
	if err != nil {
		r.mem[srv].add(memory{}, err)
		return
	}
	m, err := measureMemory(r.s, t)
	r.log.Info("memory", "server", srv, "baseKiB", m.baseKiB, "loadedKiB", m.loadedKiB,
		"open", m.open, "fds", m.fds, "perConnKiB", m.perConnKiB(), "err", err)
	r.mem[srv].add(m, err)
}
