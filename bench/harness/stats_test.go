package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSummarize(t *testing.T) {
	assert.Equal(t, summary{}, summarize(nil))
	s := summarize([]float64{1.02, 0.98, 1.00, 1.01, 0.99})
	assert.Equal(t, 5, s.n)
	assert.InDelta(t, 1.00, s.med, 1e-12)
	assert.InDelta(t, 0.98, s.min, 1e-12)
	assert.InDelta(t, 1.02, s.max, 1e-12)
	assert.InDelta(t, 0.04, s.spread(), 1e-12)
	assert.False(t, s.noisy(), "4 % is within the 5 % limit")

	wide := summarize([]float64{1.0, 0.97, 1.03, 1.0, 1.0})
	assert.InDelta(t, 0.06, wide.spread(), 1e-12)
	assert.True(t, wide.noisy(), "6 % is past the 5 % limit")

	one := summarize([]float64{2})
	assert.Zero(t, one.spread(), "one round has no spread")
	assert.False(t, one.noisy())
	assert.Zero(t, summarize([]float64{0, 0}).spread(), "a zero median gives no spread, not a division by zero")
}

func TestRatiosPerRound(t *testing.T) {
	kit, chi := &outcome[float64]{}, &outcome[float64]{}
	kit.add(0, 110, nil)
	chi.add(0, 100, nil)
	kit.add(1, 0, assert.AnError) // the kit lost round 1
	chi.add(1, 100, nil)
	kit.add(2, 99, nil)
	chi.add(2, 90, nil)
	kit.add(3, 50, nil) // chi lost round 3
	chi.add(3, 0, assert.AnError)
	kit.add(4, 80, nil)
	chi.add(4, 100, nil)
	id := func(v float64) float64 { return v }
	q := ratiosPerRound(kit, chi, id)
	require.Len(t, q, 3, "only the rounds both measured")
	assert.InDelta(t, 1.1, q[0], 1e-12)
	assert.InDelta(t, 1.1, q[1], 1e-12)
	assert.InDelta(t, 0.8, q[2], 1e-12)
	assert.Nil(t, ratiosPerRound(kit, nil, id))

	// The median of per-round ratios is not the ratio of medians: a slow
	// round for both servers cancels out within the round.
	a, b := &outcome[float64]{}, &outcome[float64]{}
	for i, v := range [][2]float64{{100, 100}, {60, 50}, {120, 110}} {
		a.add(i, v[0], nil)
		b.add(i, v[1], nil)
	}
	s := summarize(ratiosPerRound(a, b, id))
	assert.InDelta(t, 120.0/110, s.med, 1e-12)
	assert.InDelta(t, 1.0, s.min, 1e-12)
	assert.InDelta(t, 1.2, s.max, 1e-12)
}

func TestRatioTargetVerdict(t *testing.T) {
	cpu, rps := issue15Targets()[0], issue15Targets()[1]
	assert.Equal(t, na, cpu.verdict(summary{}))
	assert.Equal(t, "**pass**", cpu.verdict(summarize([]float64{1.01, 1.02, 1.03})))
	assert.Equal(t, "**FAIL**", cpu.verdict(summarize([]float64{1.04, 1.05, 1.04})))
	assert.Equal(t, "**pass**", rps.verdict(summarize([]float64{0.95, 0.96, 0.97})))
	assert.Equal(t, "**FAIL**", rps.verdict(summarize([]float64{0.90, 0.94, 0.93})))
	assert.Equal(t, "**pass** (noisy: spread 10.0 % > 5 %)", cpu.verdict(summarize([]float64{0.95, 1.0, 1.05})))
}

func TestRatioCell(t *testing.T) {
	assert.Empty(t, ratioCell(summary{}))
	assert.Equal(t, "1.000 (0.990–1.010)", ratioCell(summarize([]float64{0.99, 1.0, 1.01})))
	assert.Equal(t, "1.000 (0.900–1.100) **noisy**", ratioCell(summarize([]float64{0.9, 1.0, 1.1})))
}

func TestThroughputJobs(t *testing.T) {
	jobs := throughputJobs()
	cases := 0
	seen := map[string]bool{}
	for _, j := range jobs {
		assert.False(t, seen[j.transport], "one job per transport: %v", j.transport)
		seen[j.transport] = true
		cases += len(j.servers) * len(j.conns)
		switch j.transport {
		case tcp:
			assert.Equal(t, tcpConns, j.conns)
			assert.Equal(t, tcpServers(), j.servers)
		case fcgiNginx:
			assert.Equal(t, []string{srvRawFCGI, srvKit}, j.servers)
		case h3quic:
			assert.Equal(t, []string{srvRawH3, srvKit}, j.servers)
		default:
			assert.Equal(t, []int{mainConns}, j.conns)
			assert.Equal(t, []string{srvRawHTTP, srvRawChi, srvKit}, j.servers, j.transport)
		}
	}
	assert.Equal(t, len(allThroughputCases()), cases)
	assert.Len(t, jobs, 1+len(otherTransports())+2)
}

func TestCombineSumsTheSlices(t *testing.T) {
	got := combine([]throughput{
		{load: load{tool: "wrk", requests: 100, elapsed: time.Second, errors: 1, p50: 10, p99: 50}, cpuPerReq: 20 * time.Microsecond},
		{load: load{tool: "wrk", requests: 300, elapsed: time.Second, statusErrors: 2, p50: 30, p99: 90}, cpuPerReq: 10 * time.Microsecond},
	})
	assert.EqualValues(t, 400, got.requests)
	assert.Equal(t, 2*time.Second, got.elapsed)
	assert.EqualValues(t, 1, got.errors)
	assert.EqualValues(t, 2, got.statusErrors)
	assert.Equal(t, 12500*time.Nanosecond, got.cpuPerReq, "(100 × 20 µs + 300 × 10 µs) / 400")
	assert.Equal(t, 200.0, got.rps())
}

func TestPinning(t *testing.T) {
	assert.Equal(t, []string{"a", "b"}, onCPU("", []string{"a", "b"}))
	assert.Equal(t, []string{"taskset", "-c", "1", "a", "b"}, onCPU("1", []string{"a", "b"}))
	s, err := loadSettings([]string{"-bin", t.TempDir(), "-server-cpu", "0", "-client-cpu", "1", "-cpus", "2"})
	require.NoError(t, err)
	assert.True(t, s.pinned())
	assert.Equal(t, 1, s.threads(500), "one wrk thread on its own CPU")
	_, err = loadSettings([]string{"-bin", t.TempDir(), "-server-cpu", "0"})
	require.Error(t, err, "pinning the server alone is refused")
	s, err = loadSettings([]string{"-bin", t.TempDir(), "-cpus", "1"})
	require.NoError(t, err)
	assert.False(t, s.pinned())
	assert.Equal(t, 2, s.threads(50))
	assert.Equal(t, 1, s.threads(1))
	r := &benchRun{s: s}
	assert.Contains(t, r.pinning(), "only 1 CPU")
}

// TestReportTargets fills every case with two rounds and checks the
// targets table and the noisy marks.
func TestReportTargets(t *testing.T) {
	t.Setenv("BENCH_DURATION", "")
	t.Setenv("BENCH_ROUNDS", "")
	s, err := loadSettings([]string{"-bin", t.TempDir(), "-server-cpu", "0", "-client-cpu", "1", "-cpus", "2"})
	require.NoError(t, err)
	r := newRun(s, nil)
	run := func(rps int64, cpu time.Duration) throughput {
		return throughput{load: load{requests: rps, elapsed: time.Second}, cpuPerReq: cpu}
	}
	for round := range 2 {
		for _, k := range allThroughputCases() {
			r.thr[k].add(round, run(10000, 30*time.Microsecond), nil)
		}
	}
	// The kit over TCP: 2 % more CPU, 3 % fewer req/s in both rounds;
	// over TLS HTTP/2: 10 % more CPU in one round only.
	for round := range 2 {
		r.thr[caseKey{srvKit, tcp, mainConns}].rounds[round] = run(9700, 30600*time.Nanosecond)
	}
	r.thr[caseKey{srvKit, tlsH2, mainConns}].rounds[1] = run(10000, 33*time.Microsecond)
	out := r.report()
	assert.NotContains(t, out, "SMOKE RUN")
	assert.Contains(t, out, "| server CPU/req, kit ÷ net/http + chi | TCP | 1.020 | 1.020–1.020 (0.0 %, n = 2) | ≤ 1.03 | **pass** |")
	assert.Contains(t, out, "| req/s, kit ÷ net/http + chi | TCP | 0.970 | 0.970–0.970 (0.0 %, n = 2) | ≥ 0.95 | **pass** |")
	assert.Contains(t, out, "| server CPU/req, kit ÷ net/http + chi | TLS HTTP/2 | 1.050 | 1.000–1.100 (9.5 %, n = 2) | ≤ 1.03 | "+
		"**FAIL** (noisy: spread 9.5 % > 5 %) |")
	assert.Contains(t, out, "servers (and nginx) on CPU 0")
	assert.Contains(t, out, "| 500 | "+srvFiber+" | 30.0 µs (30.0–30.0) | 10000 (10000–10000) |")
	assert.Contains(t, out, "net/http's own Shutdown waits 5 s")
	for _, k := range allThroughputCases() {
		assert.Contains(t, out, k.server)
	}
	for _, c := range tcpConns {
		assert.Equal(t, len(tcpServers()), strings.Count(out, fmt.Sprintf("\n| %d | ", c)), "TCP rows at %d connections", c)
	}
}
