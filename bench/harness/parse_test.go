package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseBench(t *testing.T) {
	out := "Running 1s test @ http://127.0.0.1:1/\n" +
		"BENCH requests=1000 duration_us=2000000 errors=3 status_errors=4 p50_us=250 p99_us=4000\n"
	l, err := parseBench("wrk", out)
	require.NoError(t, err)
	assert.Equal(t, int64(1000), l.requests)
	assert.Equal(t, 2*time.Second, l.elapsed)
	assert.InDelta(t, 500.0, l.rps(), 0.001)
	assert.Equal(t, int64(3), l.errors)
	assert.Equal(t, int64(4), l.statusErrors)
	assert.Equal(t, 250*time.Microsecond, l.p50)
	assert.Equal(t, 4*time.Millisecond, l.p99)

	_, err = parseBench("wrk", "no summary here\n")
	require.Error(t, err)
	_, err = parseBench("wrk", "BENCH requests=0 duration_us=1\n")
	require.Error(t, err, "a run without requests is an error")
}

func TestParseH2load(t *testing.T) {
	out := `Application protocol: h2
finished in 2.00s, 3.00 req/s, 1.14MB/s
requests: 6 total, 6 started, 6 done, 5 succeeded, 1 failed, 0 errored, 0 timeout
`
	log := filepath.Join(t.TempDir(), "h2.log")
	rows := "1\t200\t100\n2\t200\t300\n3\t200\t200\n4\t503\t400\n5\t200\t500\n"
	require.NoError(t, os.WriteFile(log, []byte(rows), 0o600))
	l, err := parseH2load(out, log)
	require.NoError(t, err)
	assert.Equal(t, int64(5), l.requests)
	assert.Equal(t, 2*time.Second, l.elapsed)
	assert.Equal(t, int64(1), l.errors)
	assert.Equal(t, int64(1), l.statusErrors)
	assert.Equal(t, 300*time.Microsecond, l.p50)
	assert.Equal(t, 400*time.Microsecond, l.p99)

	_, err = parseH2load("Application protocol: http/1.1\n", log)
	require.Error(t, err, "HTTP/2 must have been negotiated")
}

func TestMedian(t *testing.T) {
	assert.Equal(t, 0.0, median(nil))
	assert.Equal(t, 2.0, median([]float64{3, 1, 2}))
	assert.Equal(t, 2.5, median([]float64{4, 1, 3, 2}))
	assert.Equal(t, 2*time.Millisecond, medianDur([]time.Duration{time.Millisecond, 3 * time.Millisecond, 2 * time.Millisecond}))
}

func TestProcfsOwnProcess(t *testing.T) {
	pid := os.Getpid()
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc on this system")
	}
	_, err := cpuTicks(pid)
	require.NoError(t, err)
	rss, err := rssKiB(pid)
	require.NoError(t, err)
	assert.Positive(t, rss)
	fds, err := openFDs(pid)
	require.NoError(t, err)
	assert.Positive(t, fds)
}
