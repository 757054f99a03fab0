package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"time"
)

// settings is everything one run needs: where the programs are and how
// long and how often to measure.
type settings struct {
	bin       string // directory holding rawhttp, rawchi, hello, kit, loadgen
	python    string // interpreter with CherryPy
	cherrypy  string // bench/servers/cherrypy_hello.py
	wrkScript string // bench/wrk/report.lua
	cert, key string
	out       string
	tmp       string // scratch directory (unix sockets, h2load logs, nginx)
	nginx     string // nginx's path; "" when it is not installed

	// serverCPU and clientCPU are the CPUs (taskset -c lists) the servers
	// (with nginx) and the load generators run on; "" leaves them unpinned.
	serverCPU, clientCPU string
	cpus                 int // the machine's CPUs as run.sh saw them (nproc)

	duration        time.Duration
	warmup          time.Duration
	rounds          int
	lifecycleRounds int // the first lifecycleRounds rounds also measure lifecycle and memory
	lifecycleRuns   int
	idleConns       int
	clkTck          int
}

// Connection counts: every transport is measured at mainConns, plain TCP
// also at each of tcpConns.
const mainConns = 50

var tcpConns = []int{1, mainConns, 500}

func loadSettings(args []string) (settings, error) {
	var s settings
	fs := flag.NewFlagSet("harness", flag.ContinueOnError)
	fs.StringVar(&s.bin, "bin", "", "directory with the built servers and loadgen")
	fs.StringVar(&s.python, "python", "/usr/bin/python3", "python with CherryPy")
	fs.StringVar(&s.cherrypy, "cherrypy", "bench/servers/cherrypy_hello.py", "CherryPy app")
	fs.StringVar(&s.wrkScript, "wrk-script", "bench/wrk/report.lua", "wrk Lua report script")
	fs.StringVar(&s.cert, "cert", "", "TLS certificate (PEM)")
	fs.StringVar(&s.key, "key", "", "TLS private key (PEM)")
	fs.StringVar(&s.out, "out", "bench/RESULTS.md", "report to write")
	fs.StringVar(&s.tmp, "tmp", os.TempDir(), "scratch directory")
	fs.StringVar(&s.nginx, "nginx", "", "nginx binary (default: nginx on PATH, else /usr/sbin/nginx)")
	fs.StringVar(&s.serverCPU, "server-cpu", "", `CPU for the servers and nginx (taskset -c); "" = unpinned`)
	fs.StringVar(&s.clientCPU, "client-cpu", "", `CPU for wrk, h2load and loadgen (taskset -c); "" = unpinned`)
	fs.IntVar(&s.cpus, "cpus", 0, "the machine's CPUs (nproc before any pinning; 0 = what the harness sees)")
	if err := fs.Parse(args); err != nil {
		return s, fmt.Errorf("flags: %w", err)
	}
	if s.nginx == "" {
		s.nginx = findNginx()
	} else if _, err := exec.LookPath(s.nginx); err != nil {
		s.nginx = "" // the FastCGI rows say "n/a: nginx not found"
	}
	if s.bin == "" {
		return s, fmt.Errorf("flags: -bin is required")
	}
	if (s.serverCPU == "") != (s.clientCPU == "") {
		return s, fmt.Errorf("flags: -server-cpu and -client-cpu go together")
	}
	if s.cpus <= 0 {
		s.cpus = runtime.NumCPU()
	}
	ints := []struct {
		name     string
		def      int
		min, max int
		dst      *int
	}{
		{"BENCH_DURATION", defaultDuration, 1, 10, nil},
		{"BENCH_WARMUP", 1, 0, 10, nil},
		{"BENCH_ROUNDS", defaultRounds, 1, 20, &s.rounds},
		{"BENCH_LIFECYCLE_ROUNDS", 2, 1, 20, &s.lifecycleRounds},
		{"BENCH_LIFECYCLE_RUNS", 3, 1, 50, &s.lifecycleRuns},
		{"BENCH_IDLE_CONNS", 5000, 1, 15000, &s.idleConns},
		{"BENCH_CLK_TCK", 100, 1, 1000000, &s.clkTck},
	}
	var dur, warm int
	ints[0].dst, ints[1].dst = &dur, &warm
	for _, v := range ints {
		n, err := envInt(v.name, v.def, v.min, v.max)
		if err != nil {
			return s, err
		}
		*v.dst = n
	}
	s.lifecycleRounds = min(s.lifecycleRounds, s.rounds)
	s.duration = time.Duration(dur) * time.Second
	s.warmup = time.Duration(warm) * time.Second
	return s, nil
}

func envInt(name string, def, lo, hi int) (int, error) {
	v, ok := os.LookupEnv(name)
	if !ok || v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, fmt.Errorf("%s=%q: want a whole number from %d to %d", name, v, lo, hi)
	}
	return n, nil
}

// The defaults of a full run; anything shorter is a smoke run.
const (
	defaultDuration = 2 // seconds per throughput measurement
	defaultRounds   = 5
)

// smoke reports whether this run is too short to be quoted as a result.
func (s settings) smoke() bool {
	return s.duration < defaultDuration*time.Second || s.rounds < defaultRounds
}

// pinned reports whether servers and load generators run on CPUs of their own.
func (s settings) pinned() bool { return s.serverCPU != "" }

// threads is the thread count for wrk and h2load: one on a pinned client
// CPU, else two (never more than connections).
func (s settings) threads(conns int) int {
	if s.pinned() || conns < 2 {
		return 1
	}
	return 2
}

// onCPU prefixes argv with "taskset -c cpu" when cpu is set; taskset
// execs argv, so the process keeps the pid the harness sees.
func onCPU(cpu string, argv []string) []string {
	if cpu == "" {
		return argv
	}
	return append([]string{"taskset", "-c", cpu}, argv...)
}
