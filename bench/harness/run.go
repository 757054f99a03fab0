package main

import (
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"
)

// caseKey names one throughput measurement.
type caseKey struct {
	server, transport string
	conns             int
}

// tcpServers are the servers of the TCP table, the peers a user would
// pick instead beside the baselines and the kit.
func tcpServers() []string {
	return []string{srvRawHTTP, srvRawChi, srvKit, srvGin, srvEcho, srvFiber, srvCherryPy}
}

// otherTransports are the kit's other transports; each is measured for
// raw net/http, net/http + chi and the kit at mainConns connections.
func otherTransports() []string { return []string{unix, tlsH1, tlsH2} }

// throughputCases is the TCP table and the transports table, in report
// order.
func throughputCases() []caseKey {
	var ks []caseKey
	for _, c := range tcpConns {
		for _, srv := range tcpServers() {
			ks = append(ks, caseKey{srv, tcp, c})
		}
	}
	for _, tr := range otherTransports() {
		for _, srv := range []string{srvRawHTTP, srvRawChi, srvKit} {
			ks = append(ks, caseKey{srv, tr, mainConns})
		}
	}
	return ks
}

// swappedCases are the backends the kit swaps by environment
// (SERVER_BACKEND=fastcgi, SERVER_HTTP3=true), each beside its raw
// counterpart, in report order.
func swappedCases() []caseKey {
	return []caseKey{
		{srvRawFCGI, fcgiNginx, mainConns}, {srvKit, fcgiNginx, mainConns},
		{srvRawH3, h3quic, mainConns}, {srvKit, h3quic, mainConns},
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

// job is one transport of a round: its servers are started together,
// each warmed up once, and then measured at each of conns connections in
// interleaved slices (see measureGroup).
type job struct {
	transport string
	servers   []string
	conns     []int
}

// throughputJobs groups a round's cases by transport: one job per
// transport, with every server measured on it and the connection counts
// of its cases, in report order.
func throughputJobs() []job {
	var jobs []job
	at := map[string]int{}
	for _, k := range allThroughputCases() {
		i, ok := at[k.transport]
		if !ok {
			i = len(jobs)
			at[k.transport] = i
			jobs = append(jobs, job{transport: k.transport})
		}
		j := &jobs[i]
		if !slices.Contains(j.servers, k.server) {
			j.servers = append(j.servers, k.server)
		}
		if !slices.Contains(j.conns, k.conns) {
			j.conns = append(j.conns, k.conns)
		}
	}
	return jobs
}

// lifecycleServers get the start/stop measurements.
func lifecycleServers() []string { return []string{srvRawHTTP, srvRawChi, srvKit, srvCherryPy} }

// silentServers get the stop with a never-sent connection open: the
// baselines (net/http's own Shutdown) and the kit. CherryPy is left out
// to keep the run short (it closes such a connection only after its
// socket timeout, about 5 s).
func silentServers() []string { return []string{srvRawHTTP, srvRawChi, srvKit} }

// memoryServers get the idle-connection memory measurement.
func memoryServers() []string { return []string{srvRawHTTP, srvRawChi, srvKit} }

// outcome collects one measurement's values over the rounds, and the
// errors that stopped some of them.
type outcome[T any] struct {
	rounds []T
	round  []int // round[i] is the round (from 0) rounds[i] was measured in
	errs   []string
}

// add records round's value, or the error that stopped it.
func (o *outcome[T]) add(round int, v T, err error) {
	if err != nil {
		o.errs = append(o.errs, err.Error())
		return
	}
	o.rounds = append(o.rounds, v)
	o.round = append(o.round, round)
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
	silent   map[string]*outcome[silentStop]
	inflight map[string]*outcome[inFlight]
	mem      map[string]*outcome[memory]
}

func newRun(s settings, log *slog.Logger) *benchRun {
	r := &benchRun{
		s: s, log: log, progs: findPrograms(s), mach: describeMachine(s), began: time.Now(),
		thr:      map[caseKey]*outcome[throughput]{},
		start:    map[string]*outcome[startStop]{},
		silent:   map[string]*outcome[silentStop]{},
		inflight: map[string]*outcome[inFlight]{},
		mem:      map[string]*outcome[memory]{},
	}
	for _, k := range allThroughputCases() {
		r.thr[k] = &outcome[throughput]{}
	}
	for _, srv := range lifecycleServers() {
		r.start[srv] = &outcome[startStop]{}
		r.silent[srv] = &outcome[silentStop]{}
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

// all runs every round; each round visits every server in a rotated
// order. Lifecycle and memory are measured in the first lifecycleRounds
// rounds only.
func (r *benchRun) all() {
	for round := range r.s.rounds {
		began := time.Now()
		r.log.Info("round", "n", round+1, "of", r.s.rounds)
		for _, j := range rotate(throughputJobs(), round) {
			r.throughputJob(round, j)
		}
		r.log.Info("round throughput done", "n", round+1, "took", time.Since(began).Round(time.Millisecond))
		if round >= r.s.lifecycleRounds {
			continue
		}
		mid := time.Now()
		for _, srv := range rotate(lifecycleServers(), round) {
			r.lifecycle(round, srv)
		}
		for _, srv := range rotate(memoryServers(), round) {
			r.memory(round, srv)
		}
		r.log.Info("round lifecycle and memory done", "n", round+1, "took", time.Since(mid).Round(time.Millisecond))
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

func (r *benchRun) throughputJob(round int, j job) {
	var ts []target
	var names []string
	for _, srv := range rotate(j.servers, round) {
		fail := func(err error) {
			for _, c := range j.conns {
				r.thr[caseKey{srv, j.transport, c}].add(round, throughput{}, err)
			}
		}
		if j.transport == fcgiNginx && r.s.nginx == "" {
			fail(errNoNginx)
			continue
		}
		t, err := r.target(srv, j.transport, false)
		if err != nil {
			fail(err)
			continue
		}
		ts = append(ts, t)
		names = append(names, srv)
	}
	if len(ts) == 0 {
		return
	}
	for i, ms := range measureGroup(r.s, ts, j.conns) {
		for _, m := range ms {
			res := m.res
			r.log.Info("throughput", "server", names[i], "transport", j.transport, "conns", m.conns,
				"rps", int(res.rps()), "p99", res.p99, "cpu/req", res.cpuPerReq, "nginx cpu/req", res.frontCPUPerReq,
				"err", m.err)
			r.thr[caseKey{names[i], j.transport, m.conns}].add(round, res, m.err)
		}
	}
}

func (r *benchRun) lifecycle(round int, srv string) {
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
		r.start[srv].add(round, med, nil)
	} else {
		r.log.Info("start/stop", "server", srv, "err", firstErr)
		r.start[srv].add(round, startStop{}, firstErr)
	}

	if slices.Contains(silentServers(), srv) {
		r.silentStop(round, srv)
	}

	t, err := r.target(srv, tcp, true)
	if err != nil {
		r.inflight[srv].add(round, inFlight{}, err)
		return
	}
	inf, err := measureInFlight(t)
	r.log.Info("in-flight stop", "server", srv, "completed", inf.completed, "portFree", inf.portFree,
		"exit", inf.exit, "err", err)
	r.inflight[srv].add(round, inf, err)
}

func (r *benchRun) silentStop(round int, srv string) {
	t, err := r.target(srv, tcp, false)
	if err != nil {
		r.silent[srv].add(round, silentStop{}, err)
		return
	}
	ss, err := measureSilentStop(t)
	r.log.Info("never-sent-connection stop", "server", srv, "portFree", ss.portFree, "closed", ss.closed,
		"exit", ss.exit, "err", err)
	r.silent[srv].add(round, ss, err)
}

func (r *benchRun) memory(round int, srv string) {
	t, err := r.target(srv, tcp, false)
	if err != nil {
		r.mem[srv].add(round, memory{}, err)
		return
	}
	m, err := measureMemory(r.s, t)
	r.log.Info("memory", "server", srv, "baseKiB", m.baseKiB, "loadedKiB", m.loadedKiB,
		"open", m.open, "fds", m.fds, "perConnKiB", m.perConnKiB(), "err", err)
	r.mem[srv].add(round, m, err)
}
