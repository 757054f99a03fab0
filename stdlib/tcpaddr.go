package stdlib

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"syscall"
)

// tcpPlan is what a TCP server binds: one socket per address.
type tcpPlan struct {
	specs []socketSpec
	// resolved is set when the addresses came from a host name: an address
	// the machine cannot bind (no IPv6, say) is then skipped, as long as
	// another one binds.
	resolved bool
}

// planTCP turns SOCKET_HOST into the sockets to bind:
//
//   - "" or "*": all interfaces, dual-stack (one IPv6 socket that also
//     accepts IPv4; plain IPv4 where the kernel has no IPv6);
//   - "0.0.0.0": all IPv4 interfaces only;
//   - "::": all interfaces, dual-stack;
//   - an IPv4 or IPv6 literal (brackets and a %zone allowed): that address;
//   - a host name: each address it resolves to ("localhost" → 127.0.0.1
//     and ::1 where both are listed).
func planTCP(ctx context.Context, host string, port, queue int) (tcpPlan, error) {
	spec := func(ip net.IP, zone string, v6only bool) socketSpec {
		s := socketSpec{ip: ip, zone: zone, port: port, backlog: queue, family: syscall.AF_INET6, v6only: v6only}
		if ip.To4() != nil {
			s.family = syscall.AF_INET
		}
		return s
	}
	h := strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(host), "["), "]")
	switch h {
	case "", "*", "::":
		return tcpPlan{specs: []socketSpec{spec(net.IPv6unspecified, "", false)}}, nil
	case "0.0.0.0":
		return tcpPlan{specs: []socketSpec{spec(net.IPv4zero.To4(), "", false)}}, nil
	}
	literal, zone, _ := strings.Cut(h, "%")
	if ip := net.ParseIP(literal); ip != nil {
		return tcpPlan{specs: []socketSpec{spec(ip, zone, true)}}, nil
	}

	addrs, err := net.DefaultResolver.LookupIPAddr(ctx, h)
	if err != nil {
		return tcpPlan{}, fmt.Errorf("stdlib: resolve SOCKET_HOST %q: %w", host, err)
	}
	plan := tcpPlan{resolved: true}
	seen := map[string]bool{}
	for _, a := range addrs {
		key := a.IP.String() + "%" + a.Zone
		if seen[key] {
			continue
		}
		seen[key] = true
		plan.specs = append(plan.specs, spec(a.IP, a.Zone, true))
	}
	if len(plan.specs) == 0 {
		return tcpPlan{}, fmt.Errorf("stdlib: resolve SOCKET_HOST %q: no addresses", host)
	}
	return plan, nil
}

// maxPortAttempts bounds the retries of a multi-address bind with port 0,
// when the port the first address got is taken on a later one.
const maxPortAttempts = 8

// bindTCP binds every socket of plan. With port 0 the first socket gets an
// ephemeral port and the others reuse it.
func bindTCP(plan tcpPlan, log *slog.Logger) ([]net.Listener, error) {
	var err error
	for range maxPortAttempts {
		var ls []net.Listener
		var retry bool
		ls, retry, err = bindOnce(plan, log)
		if !retry {
			return ls, err
		}
	}
	return nil, err
}

func bindOnce(plan tcpPlan, log *slog.Logger) (ls []net.Listener, retry bool, err error) {
	closeAll := func() {
		for _, l := range ls {
			_ = l.Close()
		}
	}
	port := plan.specs[0].port
	var skipped error
	for i, s := range plan.specs {
		s.port = port
		l, lerr := listenSocket(s)
		if lerr != nil && s.family == syscall.AF_INET6 && s.ip.IsUnspecified() && !s.v6only &&
			errors.Is(lerr, syscall.EAFNOSUPPORT) {
			// No IPv6 in this kernel: all interfaces means all IPv4 ones.
			s.family, s.ip = syscall.AF_INET, net.IPv4zero.To4()
			l, lerr = listenSocket(s)
		}
		switch {
		case lerr == nil:
		case i > 0 && plan.specs[0].port == 0 && errors.Is(lerr, syscall.EADDRINUSE):
			closeAll()
			return nil, true, listenError(s, lerr)
		case plan.resolved && (errors.Is(lerr, syscall.EADDRNOTAVAIL) || errors.Is(lerr, syscall.EAFNOSUPPORT)):
			log.Warn("skipping an address the host name resolved to", "addr", s.addr().String(), "err", lerr)
			if skipped == nil {
				skipped = listenError(s, lerr)
			}
			continue
		default:
			closeAll()
			return nil, false, listenError(s, lerr)
		}
		if port == 0 {
			if ta, ok := l.Addr().(*net.TCPAddr); ok {
				port = ta.Port
			}
		}
		ls = append(ls, l)
	}
	if len(ls) == 0 {
		return nil, false, skipped
	}
	return ls, false, nil
}
