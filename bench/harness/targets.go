package main

import (
	"fmt"
	"time"
)

// Targets from issue 15: the kit's server CPU per request at most
// maxCPURatio × net/http + chi's, and its req/s at least minRPSRatio ×
// chi's, on each transport.
const (
	maxCPURatio = 1.03
	minRPSRatio = 0.95
)

// Targets from issue 6.
const (
	minRatioChi      = 0.97
	minRatioCherryPy = 25.0
	startSlack       = 5 * time.Millisecond
	stopSlack        = 5 * time.Millisecond
	maxRatioMemory   = 1.1
)

// targetTransports are the transports the issue-15 targets compare the
// kit with net/http + chi on, at mainConns connections.
func targetTransports() []string { return []string{tcp, unix, tlsH1, tlsH2} }

// ratioTarget is one issue-15 target's verdict on a ratio's summary.
type ratioTarget struct {
	name     string
	f        func(throughput) float64
	atMost   bool // the ratio must be ≤ limit (CPU) rather than ≥ (req/s)
	limit    float64
	required string
}

func issue15Targets() []ratioTarget {
	return []ratioTarget{
		{"server CPU/req", cpuOf, true, maxCPURatio, fmt.Sprintf("≤ %.2f", maxCPURatio)},
		{"req/s", rpsOf, false, minRPSRatio, fmt.Sprintf("≥ %.2f", minRPSRatio)},
	}
}

// met reports whether the median meets the target.
func (t ratioTarget) met(s summary) bool {
	if t.atMost {
		return s.med <= t.limit
	}
	return s.med >= t.limit
}

// verdict is the result cell: pass or FAIL on the median, with the
// noisy mark when the spread is past maxSpread; n/a without rounds.
func (t ratioTarget) verdict(s summary) string {
	if s.n == 0 {
		return na
	}
	v := passFail(t.met(s))
	if s.noisy() {
		v += fmt.Sprintf(" (noisy: spread %.1f %% > %.0f %%)", s.spread()*100, maxSpread*100)
	}
	return v
}

func (r *benchRun) writeTargets(w writer) {
	w("## Targets\n\n")
	w("The kit (examples/hello) against net/http + chi on the same transport, %d connections (the harness "+
		"runs chi on every transport, so every target compares with chi). Each ratio is kit ÷ chi within a "+
		"round; the verdict is on the median over the rounds.\n\n", mainConns)
	w("| target | transport | median | spread (min–max) | required | result |\n|---|---|--:|---|---|---|\n")
	for _, tr := range targetTransports() {
		kit, chi := caseKey{srvKit, tr, mainConns}, caseKey{srvRawChi, tr, mainConns}
		for _, tg := range issue15Targets() {
			s := r.ratio(kit, chi, tg.f)
			med, spread := na, ""
			if s.n > 0 {
				med = fmt.Sprintf("%.3f", s.med)
				spread = fmt.Sprintf("%.3f–%.3f (%.1f %%, n = %d)", s.min, s.max, s.spread()*100, s.n)
			}
			w("| %s, kit ÷ net/http + chi | %s | %s | %s | %s | %s |\n", tg.name, tr, med, spread, tg.required,
				tg.verdict(s))
		}
	}
	w("\n")
}

// writeIssue6Targets keeps issue 6's targets: req/s over TCP against chi
// and CherryPy, start and stop against raw net/http, memory, and the
// in-flight request.
func (r *benchRun) writeIssue6Targets(w writer) {
	w("### Earlier targets (issue 6)\n\n| target | measured | required | result |\n|---|---|---|---|\n")
	kit, okKit := r.medRPS(caseKey{srvKit, tcp, mainConns})
	chi, okChi := r.medRPS(caseKey{srvRawChi, tcp, mainConns})
	cp, okCP := r.medRPS(caseKey{srvCherryPy, tcp, mainConns})
	row := func(name, measured, required string, ok, known bool) {
		res := na
		if known {
			res = passFail(ok)
		}
		w("| %s | %s | %s | %s |\n", name, measured, required, res)
	}
	if okKit && okChi {
		q := kit / chi
		row("full stack req/s over TCP ÷ net/http + chi (medians)", fmt.Sprintf("%.3f", q), fmt.Sprintf("≥ %.2f", minRatioChi), q >= minRatioChi, true)
	} else {
		row("full stack req/s over TCP ÷ net/http + chi (medians)", na, fmt.Sprintf("≥ %.2f", minRatioChi), false, false)
	}
	if okKit && okCP {
		q := kit / cp
		row("full stack req/s over TCP ÷ CherryPy (medians)", fmt.Sprintf("%.1f", q), fmt.Sprintf("≥ %.0f", minRatioCherryPy), q >= minRatioCherryPy, true)
	} else {
		row("full stack req/s over TCP ÷ CherryPy (medians)", na, fmt.Sprintf("≥ %.0f", minRatioCherryPy), false, false)
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
