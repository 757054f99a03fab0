package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"
)

type options struct {
	mode    string
	proto   string // "h1" (HTTP/1.1) or "h3" (HTTP/3 over QUIC, load mode only)
	network string
	addr    string
	path    string
	conns   int
	dur     time.Duration
	idle    int
	timeout time.Duration
}

func main() {
	var o options
	flag.StringVar(&o.mode, "mode", "load", `"load" (requests for -d) or "idle" (hold -n connections)`)
	flag.StringVar(&o.proto, "proto", "h1", `"h1" (HTTP/1.1) or "h3" (HTTP/3 over QUIC; load mode, -addr is the UDP host:port)`)
	flag.StringVar(&o.network, "network", "tcp", `"tcp" or "unix" (HTTP/1.1)`)
	flag.StringVar(&o.addr, "addr", "127.0.0.1:8080", "host:port or socket path")
	flag.StringVar(&o.path, "path", "/", "request path")
	flag.IntVar(&o.conns, "c", 50, "connections (load mode)")
	flag.DurationVar(&o.dur, "d", 5*time.Second, "duration (load mode)")
	flag.IntVar(&o.idle, "n", 5000, "idle connections to hold (idle mode)")
	flag.DurationVar(&o.timeout, "timeout", 30*time.Second, "bound on connecting, each request, and holding")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

func run(o options) error {
	if err := raiseFileLimit(); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen: warning:", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	switch o.proto {
	case "h1":
	case "h3":
		if o.mode != "load" {
			return fmt.Errorf("-proto h3 works in load mode only")
		}
	default:
		return fmt.Errorf("unknown proto %q (want h1 or h3)", o.proto)
	}
	switch o.mode {
	case "load":
		res, err := load(ctx, o)
		if err != nil {
			return err
		}
		fmt.Println(res.line())
		return nil
	case "idle":
		return holdIdle(ctx, o)
	default:
		return fmt.Errorf("unknown mode %q (want load or idle)", o.mode)
	}
}

// raiseFileLimit lifts the soft open-files limit to the hard one.
func raiseFileLimit() error {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return fmt.Errorf("getrlimit: %w", err)
	}
	if lim.Cur >= lim.Max {
		return nil
	}
	lim.Cur = lim.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return fmt.Errorf("setrlimit: %w", err)
	}
	return nil
}
