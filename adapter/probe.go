package adapter

import (
	"context"
	"errors"
	"fmt"
	"net"
	"syscall"
	"time"
)

// configuredAddr is a TCP address as configured ("host:port"), not resolved.
type configuredAddr string

func (c configuredAddr) Network() string { return "tcp" }
func (c configuredAddr) String() string  { return string(c) }

// listenNetwork picks the network for a bind test of addr: "0.0.0.0" is
// IPv4 only, so it must not be tested dual-stack (Go's "tcp" would).
func listenNetwork(host string) string {
	if host == "0.0.0.0" {
		return "tcp4"
	}
	return "tcp"
}

// checkFree reports whether the TCP address addr can be bound. It binds
// rather than connects: a connect probe is fooled by firewalls, by sockets
// in TIME_WAIT and by wildcard hosts; a bind asks the kernel the very
// question the server will ask. Only "address in use" counts as not free;
// any other failure is left for the server to report with its own words.
func checkFree(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil || port == "0" {
		return nil
	}
	l, err := net.Listen(listenNetwork(host), addr)
	if err == nil {
		return l.Close()
	}
	if errors.Is(err, syscall.EADDRINUSE) {
		if host == "" {
			host = "all interfaces"
		}
		return fmt.Errorf("adapter: port %s not free on %s: %w", port, host, err)
	}
	return nil
}

// waitFree retries checkFree until addr is free or timeout passes. The
// server's Stop already promises a released socket, so the first try
// nearly always succeeds; the retries cover servers from outside the kit.
//
// Free means that nothing listens there. A bind test alone can be fooled:
// an outgoing connection that happens to use the port as its local port
// (any client on the machine may get it as an ephemeral port once the
// server let go of it) makes the bind fail with "address in use" though
// no server is left. So when the bind fails, a connect to the address
// decides: refused means nothing listens, and the port counts as free.
func waitFree(addr string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	backoff := time.Millisecond
	for {
		err := checkFree(addr)
		if err == nil || !listening(addr) {
			return nil
		}
		if time.Now().After(deadline) {
			return err
		}
		time.Sleep(backoff) // a bounded retry of a probe, not synchronisation
		backoff = min(backoff*2, 50*time.Millisecond)
	}
}

// listening reports whether something accepts connections on the TCP
// address addr (wildcard hosts through loopback). Only a refused connect
// says no: a connect that times out (a firewall) counts as yes, so that
// waitFree keeps waiting rather than call a port free it cannot see.
func listening(addr string) bool {
	targets, _ := probeTargets(configuredAddr(addr))
	if len(targets) == 0 {
		return false
	}
	d := net.Dialer{Timeout: 200 * time.Millisecond}
	for _, t := range targets {
		c, err := d.Dial("tcp", t)
		if err == nil {
			c.Close()
			return true
		}
		if !errors.Is(err, syscall.ECONNREFUSED) && !errors.Is(err, syscall.EADDRNOTAVAIL) && !errors.Is(err, syscall.ENETUNREACH) {
			return true
		}
	}
	return false
}

// probeTargets returns the addresses to connect to for checking that addr
// is served, and whether addr is a wildcard (reached through loopback).
// It returns nothing for port 0, which cannot be connected to.
func probeTargets(addr net.Addr) (targets []string, wildcard bool) {
	if addr.Network() == "unix" {
		return []string{addr.String()}, false
	}
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil || port == "0" {
		return nil, false
	}
	switch host {
	case "", "0.0.0.0":
		return []string{net.JoinHostPort("127.0.0.1", port)}, true
	case "::":
		return []string{net.JoinHostPort("::1", port), net.JoinHostPort("127.0.0.1", port)}, true
	}
	return []string{addr.String()}, false
}

// probe connects to each target in turn until one answers, and closes the
// connection at once so it can never hold up a later stop.
func probe(ctx context.Context, network string, targets []string, timeout time.Duration) error {
	if network != "unix" {
		network = "tcp"
	}
	d := net.Dialer{Timeout: timeout}
	var errs []error
	for _, t := range targets {
		c, err := d.DialContext(ctx, network, t)
		if err == nil {
			return c.Close()
		}
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
