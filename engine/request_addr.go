package engine

import (
	"net"
	"net/http"
	"net/netip"
)

// Remote returns the client's address and port, parsed from RemoteAddr;
// zero when there is none (a unix socket) or it does not parse. IPv4
// addresses come unmapped ("192.0.2.1", not "::ffff:192.0.2.1").
func (r *Request) Remote() netip.AddrPort { return parseAddrPort(r.RemoteAddr) }

// Local returns the address and port the request came in on: from
// LocalAddr, or else from Source's context. Zero when unknown or not IP.
func (r *Request) Local() netip.AddrPort {
	a := r.LocalAddr
	if a == nil && r.Source != nil {
		a, _ = r.Source.Context().Value(http.LocalAddrContextKey).(net.Addr)
	}
	var ap netip.AddrPort
	switch a := a.(type) {
	case *net.TCPAddr:
		ap = a.AddrPort()
	case *net.UDPAddr:
		ap = a.AddrPort()
	case nil:
		return ap
	default:
		ap = parseAddrPort(a.String())
	}
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}

// parseAddrPort parses "ip:port" as net/http writes RemoteAddr; anything
// else ("", a unix socket's "@") is the zero AddrPort. The address comes
// unmapped.
func parseAddrPort(s string) netip.AddrPort {
	if s == "" || s[0] == '@' {
		return netip.AddrPort{}
	}
	ap, err := netip.ParseAddrPort(s)
	if err != nil {
		return netip.AddrPort{}
	}
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}
