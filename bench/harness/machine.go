package main

import (
	"context"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"
)

// machine describes where the run happened.
type machine struct {
	cpus     int
	model    string
	kernel   string
	goVer    string
	loadAvg  string
	wrk      string
	h2load   string
	cherrypy string
	nginx    string
}

func describeMachine(s settings) machine {
	m := machine{cpus: runtime.NumCPU(), goVer: runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.Lines(string(b)) {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.model = strings.TrimSpace(v)
				break
			}
		}
	}
	m.kernel = strings.TrimSpace(readFile("/proc/sys/kernel/ostype") + " " + readFile("/proc/sys/kernel/osrelease"))
	m.loadAvg = readFile("/proc/loadavg")
	m.wrk, _, _ = strings.Cut(firstLine(run("wrk", "-v")), " Copyright")
	m.h2load = firstLine(run("h2load", "--version"))
	m.nginx = "not found"
	if s.nginx != "" {
		m.nginx = strings.TrimPrefix(firstLine(run(s.nginx, "-v")), "nginx version: ")
	}
	m.cherrypy = firstLine(run(s.python, "-c", "import cherrypy, sys; print('CherryPy', cherrypy.__version__, 'on Python', sys.version.split()[0])"))
	return m
}

func readFile(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "?"
	}
	return strings.TrimSpace(string(b))
}

// run returns a command's combined output, whatever its exit status (wrk
// -v exits non-zero).
func run(name string, args ...string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, _ := exec.CommandContext(ctx, name, args...).CombinedOutput()
	return string(out)
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	if line == "" {
		return "?"
	}
	return line
}
