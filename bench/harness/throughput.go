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

// runLoad drives t for d with the transport's tool over conns
// connections, on the client CPU when the run is pinned.
func runLoad(s settings, t target, conns int, d time.Duration) (load, error) {
	secs := strconv.Itoa(int(d / time.Second))
	c := strconv.Itoa(conns)
	threads := strconv.Itoa(s.threads(conns))
	ctx, cancel := context.WithTimeout(context.Background(), d+30*time.Second)
	defer cancel()
	run := func(argv ...string) (string, error) { return command(ctx, onCPU(s.clientCPU, argv)...) }
	switch toolFor(t.transport) {
	case "loadgen":
		out, err := run(filepath.Join(s.bin, "loadgen"), "-mode", "load", "-network", t.network,
			"-addr", t.addr, "-c", c, "-d", secs+"s")
		if err != nil {
			return load{}, err
		}
		return parseBench("loadgen", out)
	case "loadgen -proto h3":
		out, err := run(filepath.Join(s.bin, "loadgen"), "-mode", "load", "-proto", "h3",
			"-addr", t.addr, "-c", c, "-d", secs+"s")
		if err != nil {
			return load{}, err
		}
		return parseBench("loadgen", out)
	case "h2load":
		log := filepath.Join(s.tmp, "h2load.log")
		defer os.Remove(log)
		out, err := run("h2load", "-c", c, "-t", threads, "-m", "1", "-D", secs,
			"--log-file="+log, t.url())
		if err != nil {
			return load{}, err
		}
		return parseH2load(out, log)
	default:
		out, err := run("wrk", "-t", threads, "-c", c, "-d", secs+"s", "--latency",
			"-s", s.wrkScript, t.url())
		if err != nil {
			return load{}, err
		}
		return parseBench("wrk", out)
	}
}

// command runs argv and returns its standard output.
func command(ctx context.Context, argv ...string) (string, error) {
	name := argv[0]
	var out, errb bytes.Buffer
	cmd := exec.CommandContext(ctx, name, argv[1:]...)
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

// measured is one connection count's throughput, or why it failed.
type measured struct {
	conns int
	res   throughput
	err   error
}

// sliceLength is the length of one slice of a measurement: the shortest
// run wrk and h2load take (whole seconds).
const sliceLength = time.Second

// slices is how many slices a measurement of s.duration is cut into.
func (s settings) slices() int { return max(1, int(s.duration/sliceLength)) }

// measureGroup starts the servers of ts (each with nginx in front for
// FastCGI) side by side, warms each up at mainConns connections, and then,
// for each of conns in turn, measures them in interleaved slices: one
// slice of sliceLength for each server, in an order that rotates from one
// slice to the next, until each has had s.duration. A server's figures
// are the sum of its slices (CPU per request: its CPU time over its
// requests; p50 and p99: the median of its slices'), so servers compared
// with each other were measured within seconds of each other, and a
// machine whose speed drifts (a shared VM) moves them alike. The result
// is indexed like ts. An error starting or warming up a server fails every
// count of it; an error in a slice fails that count.
func measureGroup(s settings, ts []target, conns []int) [][]measured {
	out := make([][]measured, len(ts))
	stacks := make([]*stack, len(ts))
	for i, t := range ts {
		out[i] = make([]measured, len(conns))
		for k, c := range conns {
			out[i][k].conns = c
		}
		st, err := startStack(s, t)
		if err == nil && s.warmup > 0 {
			if _, err = runLoad(s, t, mainConns, s.warmup); err != nil {
				err = fmt.Errorf("warm-up: %w", err)
				_ = st.stop()
			}
		}
		if err != nil {
			for k := range conns {
				out[i][k].err = err
			}
			continue
		}
		stacks[i] = st
	}
	defer func() {
		for _, st := range stacks {
			if st != nil {
				_ = st.stop()
			}
		}
	}()
	n := s.slices()
	sliced := s
	sliced.duration = min(s.duration, sliceLength)
	for k, c := range conns {
		parts := make([][]throughput, len(ts))
		for slice := range n {
			for _, i := range rotate(indices(len(ts)), slice) {
				if stacks[i] == nil || out[i][k].err != nil {
					continue
				}
				res, err := measureOnce(sliced, ts[i], stacks[i], c)
				if err != nil {
					out[i][k].err = err
					continue
				}
				parts[i] = append(parts[i], res)
			}
		}
		for i := range ts {
			if out[i][k].err == nil && len(parts[i]) > 0 {
				out[i][k].res = combine(parts[i])
			}
		}
	}
	for i, st := range stacks {
		if st == nil {
			continue
		}
		if err := st.stop(); err != nil {
			for k := range conns {
				if out[i][k].err == nil {
					out[i][k].err = fmt.Errorf("after the measurement: %w", err)
				}
			}
		}
		stacks[i] = nil
	}
	return out
}

// indices returns 0, 1, …, n-1.
func indices(n int) []int {
	xs := make([]int, n)
	for i := range xs {
		xs[i] = i
	}
	return xs
}

// combine sums the slices of one measurement: requests, time and errors
// add up, CPU per request is the total CPU time over the total requests,
// and the latency percentiles are the median of the slices'.
func combine(parts []throughput) throughput {
	var out throughput
	out.tool = parts[0].tool
	var cpu, front time.Duration
	var p50, p99 []time.Duration
	for _, p := range parts {
		out.requests += p.requests
		out.elapsed += p.elapsed
		out.errors += p.errors
		out.statusErrors += p.statusErrors
		cpu += p.cpuPerReq * time.Duration(p.requests)
		front += p.frontCPUPerReq * time.Duration(p.requests)
		p50, p99 = append(p50, p.p50), append(p99, p.p99)
	}
	if out.requests > 0 {
		out.cpuPerReq = cpu / time.Duration(out.requests)
		out.frontCPUPerReq = front / time.Duration(out.requests)
	}
	out.p50, out.p99 = medianDur(p50), medianDur(p99)
	return out
}

// measureOnce is one load run on a running stack, with the CPU time the
// server (and nginx) used during it.
func measureOnce(s settings, t target, st *stack, conns int) (throughput, error) {
	if st.server.exited() {
		return throughput{}, fmt.Errorf("server exited (%v): %s", st.server.waitErr, st.server.output())
	}
	before, err := st.ticks()
	if err != nil {
		return throughput{}, err
	}
	l, err := runLoad(s, t, conns, s.duration)
	if err != nil {
		return throughput{}, err
	}
	after, err := st.ticks()
	if err != nil {
		return throughput{}, err
	}
	tick := time.Second / time.Duration(s.clkTck)
	return throughput{
		load:           l,
		cpuPerReq:      time.Duration(after.server-before.server) * tick / time.Duration(l.requests),
		frontCPUPerReq: time.Duration(after.front-before.front) * tick / time.Duration(l.requests),
	}, nil
}
