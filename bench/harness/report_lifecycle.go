package main

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// durCells are f's medians over o's rounds, or one n/a cell and blanks.
func durCells[T any](o *outcome[T], fs ...func(T) time.Duration) []string {
	if len(o.rounds) == 0 {
		cells := []string{naWhy(o.errs)}
		for range fs[1:] {
			cells = append(cells, "")
		}
		return cells
	}
	var cells []string
	for _, f := range fs {
		d, _ := medOf(o, func(v T) float64 { return float64(f(v)) })
		cells = append(cells, ms(time.Duration(d)))
	}
	return cells
}

func (r *benchRun) writeLifecycle(w writer) {
	w("## Lifecycle (TCP)\n\n")
	w("| server | start → first 200 | idle keep-alive open: SIGTERM → port free | → exit | " +
		"never-sent connection open: SIGTERM → port free | → connection closed | → exit | " +
		"2 s request at SIGTERM: got 200 | → port free | → answer | → exit |\n")
	w("|---|--:|--:|--:|--:|--:|--:|---|--:|--:|--:|\n")
	for _, srv := range lifecycleServers() {
		cells := []string{srv}
		cells = append(cells, durCells(r.start[srv],
			func(v startStop) time.Duration { return v.first200 },
			func(v startStop) time.Duration { return v.portFree },
			func(v startStop) time.Duration { return v.exit })...)
		if slices.Contains(silentServers(), srv) {
			cells = append(cells, durCells(r.silent[srv],
				func(v silentStop) time.Duration { return v.portFree },
				func(v silentStop) time.Duration { return v.closed },
				func(v silentStop) time.Duration { return v.exit })...)
		} else {
			cells = append(cells, "not measured", "", "")
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
			cells = append(cells, durCells(o,
				func(v inFlight) time.Duration { return v.portFree },
				func(v inFlight) time.Duration { return v.answered },
				func(v inFlight) time.Duration { return v.exit })...)
		} else {
			cells = append(cells, naWhy(o.errs), "", "", "")
		}
		w("| %s |\n", strings.Join(cells, " | "))
	}
	w("\nMedians over %d round(s). start → first 200: from just before the spawn (through taskset when pinned, "+
		"the same for every server) to the first 200 on GET /, polling connect + GET every %v (median of %d "+
		"runs per round). Idle keep-alive: the connection that got the 200 stays open and idle; %v later (for "+
		"CherryPy: %v after its engine reported STARTED, since a SIGTERM while it is still STARTING makes it "+
		"exit at once with status 70) the harness sends SIGTERM; → port free is until a bind of the same "+
		"address succeeds. Never-sent connection: a second server start, a TCP connection that is accepted but "+
		"never sends a byte, SIGTERM %v later; → connection closed is until the server closes it (EOF). "+
		"**net/http's own Shutdown waits 5 s on such a connection**: it closes a connection still in StateNew "+
		"only once it is more than 5 s old (counted in whole seconds), so raw net/http and net/http + chi "+
		"reach their 5 s Shutdown limit and Close it; their port is free at once. CherryPy is not measured "+
		"there, to keep the run short. The 2 s request is GET /slow "+
		"(bench/servers/kit for the full stack), signalled once its handler has started.\n\n",
		r.s.lifecycleRounds, pollPause, r.s.lifecycleRuns, idlePause, idlePause, idlePause)
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
			w("| %s | %s | | | | |\n", srv, naWhy(o.errs))
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
			lines = append(lines, fmt.Sprintf("- throughput %s / %s / %d connections: %s", k.server, k.transport, k.conns, e))
		}
	}
	for _, srv := range lifecycleServers() {
		for _, e := range r.start[srv].errs {
			lines = append(lines, fmt.Sprintf("- start/stop %s: %s", srv, e))
		}
		for _, e := range r.silent[srv].errs {
			lines = append(lines, fmt.Sprintf("- never-sent-connection stop %s: %s", srv, e))
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
