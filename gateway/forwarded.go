package gateway

import (
	"net/netip"
	"strconv"
	"strings"
)

// hop is one element of a forwarding header: the address a proxy got the
// request from, and the scheme it got it with.
type hop struct {
	addr  netip.AddrPort // the address; its port is 0 when not given
	known bool           // false: "unknown", obfuscated, missing or malformed
	proto string         // "http", "https", or "" (not given, or another value)
}

// hopWalk finds the client in a chain of hops fed to it left to right
// (client side first): the rightmost hop that is not a trusted proxy,
// walking from the right, as if the chain were read from the end. Left to
// right it needs no more memory than this struct, however long the chain.
type hopWalk struct {
	trusted Proxies
	n       int // hops seen
	first   hop // hop 0: the answer when every hop is trusted

	stop    int // index of the last hop that ends a walk from the right, -1: none
	stopHop hop
	// next is hop stop+1 (trusted, as every hop after stop is), when
	// there is one: the last address identified before an unknown hop.
	next    hop
	hasNext bool
}

func newHopWalk(trusted Proxies) hopWalk { return hopWalk{trusted: trusted, stop: -1} }

// add feeds the next hop, to the right of those already fed.
func (w *hopWalk) add(h hop) {
	if w.n == 0 {
		w.first = h
	}
	switch {
	case !h.known || !w.trusted.Contains(h.addr.Addr()):
		w.stop, w.stopHop, w.hasNext = w.n, h, false
	case w.stop >= 0 && !w.hasNext:
		w.next, w.hasNext = h, true
	}
	w.n++
}

// result returns the client's address (ok false: keep the peer's), the
// scheme of the hop the walk ended at (its proto=, "" when none), and
// that hop's index (-1: the chain is empty).
func (w *hopWalk) result() (client netip.AddrPort, ok bool, proto string, index int) {
	switch {
	case w.n == 0:
		return netip.AddrPort{}, false, "", -1
	case w.stop < 0: // every hop is a trusted proxy: the leftmost one is the client
		return w.first.addr, true, w.first.proto, 0
	case w.stopHop.known: // the first untrusted address from the right
		return w.stopHop.addr, true, w.stopHop.proto, w.stop
	case w.hasNext: // unknown: the last address identified, a trusted proxy's
		return w.next.addr, true, w.stopHop.proto, w.stop
	default: // unknown right at the peer: its address stays
		return netip.AddrPort{}, false, w.stopHop.proto, w.stop
	}
}

// walkForwarded feeds w the elements of RFC 7239 Forwarded header lines,
// in order. Each element's for= is its address and proto= its scheme. An
// element without for=, with two of them, or that does not parse, counts
// as an unknown hop; a quoted string left open takes the rest of its
// line. Empty elements are skipped, as HTTP lists allow.
func walkForwarded(w *hopWalk, lines []string) {
	for _, s := range lines {
		for {
			h, rest, empty := forwardedElement(s)
			if !empty {
				w.add(h)
			}
			if rest == "" {
				break
			}
			s = rest[1:] // the comma
		}
	}
}

// forwardedElement parses the element at the start of s, up to a comma
// outside quotes or the end of s; rest starts at that comma ("" at the
// end). empty reports an element with nothing in it.
func forwardedElement(s string) (h hop, rest string, empty bool) {
	var forSeen, bad bool
	pairs := 0
	for {
		s = trimOWS(s)
		if s == "" || s[0] == ',' {
			break
		}
		if s[0] == ';' {
			s = s[1:]
			continue
		}
		pairs++
		i := strings.IndexAny(s, "=;,\"")
		if i < 0 || s[i] != '=' { // a pair without a value
			bad, s = true, skipPair(s)
			continue
		}
		name := strings.TrimSpace(s[:i])
		s = trimOWS(s[i+1:])
		var value string
		if strings.HasPrefix(s, `"`) {
			v, r, ok := unquote(s)
			if !ok {
				bad, s = true, ""
				break
			}
			value, s = v, r
		} else {
			j := strings.IndexAny(s, ";,")
			if j < 0 {
				j = len(s)
			}
			value, s = strings.TrimSpace(s[:j]), s[j:]
		}
		switch {
		case strings.EqualFold(name, "for"):
			if forSeen {
				bad = true // a parameter occurs once per element
			}
			forSeen = true
			h.addr, h.known = parseNode(value)
		case strings.EqualFold(name, "proto"):
			h.proto = forwardedScheme(value)
		}
	}
	if bad || !forSeen {
		h.addr, h.known = netip.AddrPort{}, false
	}
	return h, s, pairs == 0
}

// skipPair returns s from the first ';' or ',' outside quotes on, or ""
// when there is none or a quoted string is left open.
func skipPair(s string) string {
	for {
		i := strings.IndexAny(s, ";,\"")
		switch {
		case i < 0:
			return ""
		case s[i] != '"':
			return s[i:]
		}
		_, rest, ok := unquote(s[i:])
		if !ok {
			return ""
		}
		s = rest
	}
}

// unquote reads the quoted string at the start of s (which begins with
// '"'), undoing backslash escapes; ok is false when it is not closed.
func unquote(s string) (value, rest string, ok bool) {
	escaped := false
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			escaped = true
			i++ // the escaped byte
		case '"':
			value = s[1:i]
			if escaped {
				var b strings.Builder
				for j := 0; j < len(value); j++ {
					if value[j] == '\\' {
						j++
					}
					b.WriteByte(value[j])
				}
				value = b.String()
			}
			return value, s[i+1:], true
		}
	}
	return "", "", false
}

// walkXForwardedFor feeds w the addresses of X-Forwarded-For header lines,
// in order: a comma-separated list of addresses, each an IPv4 or IPv6
// address, with or without a port ("192.0.2.1:4711", "[2001:db8::1]:4711",
// "2001:db8::1"). Anything else ("unknown", a host name) is an unknown
// hop. Empty items are skipped.
func walkXForwardedFor(w *hopWalk, lines []string) {
	for _, s := range lines {
		for item := range strings.SplitSeq(s, ",") {
			if item = trimOWS(item); item != "" {
				var h hop
				h.addr, h.known = parseNode(item)
				w.add(h)
			}
		}
	}
}

// xForwardedProto returns the scheme X-Forwarded-Proto gives hop index
// of a chain of n hops: a single value applies to any hop; a list is
// matched to the hops from the right (its last value to the last hop).
// "" when the list does not reach that hop or the value is neither http
// nor https.
func xForwardedProto(lines []string, index, n int) string {
	m := 0
	var only string
	for _, s := range lines {
		for item := range strings.SplitSeq(s, ",") {
			if item = trimOWS(item); item != "" {
				m++
				only = item
			}
		}
	}
	if m == 1 {
		return forwardedScheme(only)
	}
	want := index - (n - m) // the position in the list of that hop
	if m == 0 || want < 0 || want >= m {
		return ""
	}
	k := 0
	for _, s := range lines {
		for item := range strings.SplitSeq(s, ",") {
			if item = trimOWS(item); item != "" {
				if k == want {
					return forwardedScheme(item)
				}
				k++
			}
		}
	}
	return ""
}

// forwardedScheme is s as a scheme, "http" or "https" in any case, or "".
func forwardedScheme(s string) string {
	switch {
	case strings.EqualFold(s, "https"):
		return "https"
	case strings.EqualFold(s, "http"):
		return "http"
	}
	return ""
}

// parseNode parses a node of RFC 7239 (also the items of
// X-Forwarded-For): an IPv4 address or a bracketed IPv6 address, each
// with an optional port (an obfuscated port, "_x", counts as none), or an
// IPv6 address without brackets and port. "unknown", obfuscated names and
// anything else are not addresses. The address comes unmapped and
// without a zone.
func parseNode(s string) (netip.AddrPort, bool) {
	var host, port string
	switch {
	case strings.HasPrefix(s, "["):
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return netip.AddrPort{}, false
		}
		host, port = s[1:end], s[end+1:]
		if port != "" {
			if port[0] != ':' || len(port) == 1 {
				return netip.AddrPort{}, false
			}
			port = port[1:]
		}
		a, err := netip.ParseAddr(host)
		if err != nil || !a.Is6() {
			return netip.AddrPort{}, false
		}
		return nodeAddr(a, port)
	default:
		if a, err := netip.ParseAddr(s); err == nil { // a bare address, IPv6 included
			return nodeAddr(a, "")
		}
		i := strings.LastIndexByte(s, ':')
		if i < 0 || i == len(s)-1 {
			return netip.AddrPort{}, false
		}
		a, err := netip.ParseAddr(s[:i])
		if err != nil || !a.Is4() {
			return netip.AddrPort{}, false
		}
		return nodeAddr(a, s[i+1:])
	}
}

// nodeAddr pairs a with port: digits, an obfuscated port ("_x") or none.
func nodeAddr(a netip.Addr, port string) (netip.AddrPort, bool) {
	a = a.Unmap().WithZone("")
	switch {
	case port == "" || (port[0] == '_' && len(port) > 1):
		return netip.AddrPortFrom(a, 0), true
	case port[0] >= '0' && port[0] <= '9':
		p, err := strconv.ParseUint(port, 10, 16)
		if err != nil {
			return netip.AddrPort{}, false
		}
		return netip.AddrPortFrom(a, uint16(p)), true
	}
	return netip.AddrPort{}, false
}

// trimOWS trims HTTP's optional white space (spaces and tabs).
func trimOWS(s string) string { return strings.Trim(s, " \t") }
