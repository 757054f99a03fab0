package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// load is what one load-generator run saw.
type load struct {
	tool         string
	requests     int64
	elapsed      time.Duration
	errors       int64 // connect/read/write/timeouts
	statusErrors int64 // answers other than 200
	p50, p99     time.Duration
}

func (l load) rps() float64 {
	if l.elapsed <= 0 {
		return 0
	}
	return float64(l.requests) / l.elapsed.Seconds()
}

// throughput is one measured case: a load plus the server's CPU time
// (and nginx's, for FastCGI).
type throughput struct {
	load
	cpuPerReq      time.Duration
	frontCPUPerReq time.Duration // nginx's master and worker; 0 without nginx
}

// toolFor names the load generator used for a transport.
func toolFor(transport string) string {
	switch transport {
	case unix:
		return "loadgen"
	case h3quic:
		return "loadgen -proto h3"
	case tlsH2:
		return "h2load"
	default:
		return "wrk"
	}
}

// runLoad drives t for d with the transport's tool.
func runLoad(s settings, t target, d time.Duration) (load, error) {
	secs := strconv.Itoa(int(d / time.Second))
	conns := strconv.Itoa(s.connections)
	threads := "2"
	if s.connections < 2 {
		threads = "1"
	}
	ctx, cancel := context.WithTimeout(context.Background(), d+30*time.Second)
	defer cancel()
	switch toolFor(t.transport) {
	case "loadgen":
		out, err := command(ctx, filepath.Join(s.bin, "loadgen"), "-mode", "load", "-network", t.network,
			"-addr", t.addr, "-c", conns, "-d", secs+"s")
		if err != nil {
			return load{}, err
		}
		return parseBench("loadgen", out)
	case "loadgen -proto h3":
		out, err := command(ctx, filepath.Join(s.bin, "loadgen"), "-mode", "load", "-proto", "h3",
			"-addr", t.addr, "-c", conns, "-d", secs+"s")
		if err != nil {
			return load{}, err
		}
		return parseBench("loadgen", out)
	case "h2load":
		log := filepath.Join(s.tmp, "h2load.log")
		defer os.Remove(log)
		out, err := command(ctx, "h2load", "-c", conns, "-t", threads, "-m", "1", "-D", secs,
			"--log-file="+log, t.url())
		if err != nil {
			return load{}, err
		}
		return parseH2load(out, log)
	default:
		out, err := command(ctx, "wrk", "-t", threads, "-c", conns, "-d", secs+"s", "--latency",
			"-s", s.wrkScript, t.url())
		if err != nil {
			return load{}, err
		}
		return parseBench("wrk", out)
	}
}

func command(ctx context.Context, name string, args ...string) (string, error) {
	var out, errb bytes.Buffer
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("%s: %w: %s", name, err, lastLines(errb.String()+out.String(), 3))
	}
	return out.String(), nil
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}

// parseBench reads the "BENCH k=v ..." line of wrk's script or loadgen.
func parseBench(tool, out string) (load, error) {
	for line := range strings.Lines(out) {
		rest, ok := strings.CutPrefix(strings.TrimSpace(line), "BENCH ")
		if !ok {
			continue
		}
		kv := map[string]int64{}
		for _, f := range strings.Fields(rest) {
			k, v, _ := strings.Cut(f, "=")
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return load{}, fmt.Errorf("%s: bad field %q", tool, f)
			}
			kv[k] = n
		}
		l := load{
			tool:         tool,
			requests:     kv["requests"],
			elapsed:      time.Duration(kv["duration_us"]) * time.Microsecond,
			errors:       kv["errors"],
			statusErrors: kv["status_errors"],
			p50:          time.Duration(kv["p50_us"]) * time.Microsecond,
			p99:          time.Duration(kv["p99_us"]) * time.Microsecond,
		}
		if l.requests == 0 {
			return l, fmt.Errorf("%s: no requests completed", tool)
		}
		return l, nil
	}
	return load{}, fmt.Errorf("%s: no BENCH line in output: %s", tool, lastLines(out, 3))
}

var (
	h2Finished = regexp.MustCompile(`finished in ([0-9.]+)s, ([0-9.]+) req/s`)
	h2Requests = regexp.MustCompile(`requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout`)
	h2Proto    = regexp.MustCompile(`Application protocol: (\S+)`)
)

// parseH2load reads h2load's summary and its per-request log.
func parseH2load(out, logPath string) (load, error) {
	l := load{tool: "h2load"}
	if m := h2Proto.FindStringSubmatch(out); m == nil || m[1] != "h2" {
		return l, fmt.Errorf("h2load: HTTP/2 was not negotiated: %s", lastLines(out, 3))
	}
	f := h2Finished.FindStringSubmatch(out)
	r := h2Requests.FindStringSubmatch(out)
	if f == nil || r == nil {
		return l, fmt.Errorf("h2load: unexpected output: %s", lastLines(out, 3))
	}
	secs, _ := strconv.ParseFloat(f[1], 64)
	l.elapsed = time.Duration(secs * float64(time.Second))
	l.requests, _ = strconv.ParseInt(r[4], 10, 64)
	failed, _ := strconv.ParseInt(r[5], 10, 64)
	errored, _ := strconv.ParseInt(r[6], 10, 64)
	timeouts, _ := strconv.ParseInt(r[7], 10, 64)
	l.errors = failed + errored + timeouts

	fh, err := os.Open(logPath)
	if err != nil {
		return l, fmt.Errorf("h2load log: %w", err)
	}
	defer fh.Close()
	var lat []float64
	sc := bufio.NewScanner(fh)
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) < 3 {
			continue
		}
		if cols[1] != "200" {
			l.statusErrors++
		}
		us, err := strconv.ParseFloat(cols[2], 64)
		if err == nil {
			lat = append(lat, us)
		}
	}
	if err := sc.Err(); err != nil {
		return l, fmt.Errorf("h2load log: %w", err)
	}
	if len(lat) == 0 || l.requests == 0 {
		return l, errors.New("h2load: no requests completed")
	}
	slices.Sort(lat)
	l.p50 = time.Duration(percentile(lat, 50) * float64(time.Microsecond))
	l.p99 = time.Duration(percentile(lat, 99) * float64(time.Microsecond))
	return l, nil
}

// measureThroughput starts t's server (and nginx in front for FastCGI),
// warms it up, and measures one load run together with the server's CPU
// time and nginx's.
func measureThroughput(s settings, t target) (throughput, error) {
	st, err := startStack(s, t)
	if err != nil {
		return throughput{}, err
	}
	defer st.stop()
	if s.warmup > 0 {
		if _, err := runLoad(s, t, s.warmup); err != nil {
			return throughput{}, fmt.Errorf("warm-up: %w", err)
		}
	}
	before, err := st.ticks()
	if err != nil {
		return throughput{}, err
	}
	l, err := runLoad(s, t, s.duration)
	if err != nil {
		return throughput{}, err
	}
	after, err := st.ticks()
	if err != nil {
		return throughput{}, err
	}
	tick := time.Second / time.Duration(s.clkTck)
	res := throughput{
		load:           l,
		cpuPerReq:      time.Duration(after.server-before.server) * tick / time.Duration(l.requests),
		frontCPUPerReq: time.Duration(after.front-before.front) * tick / time.Duration(l.requests),
	}
	if err := st.stop(); err != nil {
		return res, fmt.Errorf("after the measurement: %w", err)
	}
	return res, nil
}
