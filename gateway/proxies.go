package gateway

import (
	"context"
	"net/http"
	"net/netip"
	"sync/atomic"
)

// Proxies is a set of trusted proxies: the peers whose Forwarded,
// X-Forwarded-For and X-Forwarded-Proto headers Forwarded believes. The
// zero value trusts nobody.
type Proxies struct {
	// Prefixes are the trusted addresses; a single address is a prefix of
	// its full length ("192.0.2.7/32").
	Prefixes []netip.Prefix
	// Unix trusts every peer on a unix socket, whose RemoteAddr net/http
	// reports as "" or "@".
	Unix bool
}

// Empty reports whether p trusts nobody.
func (p Proxies) Empty() bool { return !p.Unix && len(p.Prefixes) == 0 }

// Contains reports whether a proxy at addr is trusted. IPv4-mapped IPv6
// addresses count as IPv4.
func (p Proxies) Contains(addr netip.Addr) bool {
	addr = addr.Unmap()
	for _, prefix := range p.Prefixes {
		if prefix.Contains(addr) {
			return true
		}
	}
	return false
}

// trustsPeer reports whether the peer of a request, by its RemoteAddr, is
// a trusted proxy: "ip:port" (or a bare "ip") in Prefixes, or a unix
// socket peer ("", "@…" or a path) when Unix is set.
func (p Proxies) trustsPeer(remoteAddr string) bool {
	if remoteAddr == "" || remoteAddr[0] == '@' || remoteAddr[0] == '/' {
		return p.Unix
	}
	if ap, err := netip.ParseAddrPort(remoteAddr); err == nil {
		return p.Contains(ap.Addr())
	}
	if a, err := netip.ParseAddr(remoteAddr); err == nil {
		return p.Contains(a)
	}
	return false
}

// contextKey is the type of the gateway's context keys.
type contextKey struct{ name string }

// schemeKey carries the scheme Forwarded found, a string.
var schemeKey = &contextKey{"scheme"}

// forwarding is set once a Forwarded middleware that trusts somebody
// exists: until then no request can carry schemeKey, and Scheme does not
// look for it (a context lookup walks the whole chain of a request's
// context, on every request).
var forwarding atomic.Bool

// Scheme returns the scheme the client used for r, "http" or "https":
// the one a trusted proxy reported, when Forwarded found one; else
// "https" when r came over TLS, "http" otherwise. Convert fills
// engine.Request.Scheme with it. An application behind Forwarded asks
// Scheme rather than looking at r.TLS, which Forwarded leaves alone (it
// tells about the connection from the proxy, not the client's).
func Scheme(r *http.Request) string {
	if forwarding.Load() {
		if s, ok := r.Context().Value(schemeKey).(string); ok {
			return s
		}
	}
	if r.TLS != nil {
		return "https"
	}
	return "http"
}

// Forwarded returns a middleware that takes the client's address and
// scheme from the headers trusted proxies add, CherryPy's tools.proxy:
//
//   - Only a request whose direct peer (r.RemoteAddr, or a unix socket
//     peer when trusted.Unix is set) is a trusted proxy is looked at.
//     From any other peer the headers are ignored: nothing changes, so a
//     client cannot claim another address by sending them itself.
//   - The header read is RFC 7239's Forwarded (its for= and proto=
//     parameters; quoted values, "[2001:db8::1]:4711" and obfuscated
//     ports are understood) when the request has one, else
//     X-Forwarded-For and X-Forwarded-Proto. Several lines of a header
//     are one list, in order.
//   - The client is the rightmost address of the list that is not itself
//     a trusted proxy: the walk starts at the right (the hop the peer
//     added) and skips trusted hops, so "spoofed, client, proxy" gives
//     "client" when proxy is trusted and client is not. When every
//     address is trusted, the leftmost is the client. An identifier that
//     is not an address ("unknown", an obfuscated "_hidden", garbage, an
//     element without for=) ends the walk: the client is then the last
//     address identified before it, or the peer itself.
//   - The scheme is that hop's proto= (Forwarded) or the matching value
//     of X-Forwarded-Proto (a single value applies to any hop; a list is
//     matched to X-Forwarded-For from the right). Only "http" and "https"
//     count; any other value, or none, leaves the scheme as it is.
//
// The handler below then gets a shallow copy of r (r.WithContext) whose
// RemoteAddr is the client's, "ip:port", with the port the header gave or
// 0, and whose context carries the scheme, which Scheme reads (r.TLS is
// left as it is). r itself, which the server owns, is never changed, and
// a request the headers change nothing about is passed on as it is.
// Everything below the middleware, the access log and statistics
// included, sees the client's address; put it right after Protocol (see
// the package doc).
//
// The headers are believed only as far as the proxies in trusted write
// them: each must overwrite (or append to) the header it uses, and drop
// the other kind a client sent. A proxy that appends to X-Forwarded-For
// but passes on a client's Forwarded header lets that client choose its
// address, since Forwarded is preferred.
//
// With an empty trusted it returns next unchanged: it costs nothing.
func Forwarded(trusted Proxies) func(http.Handler) http.Handler {
	if trusted.Empty() {
		return func(next http.Handler) http.Handler { return next }
	}
	forwarding.Store(true)
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r2 := trusted.forward(r); r2 != nil {
				r = r2
			}
			next.ServeHTTP(w, r)
		})
	}
}

// forward returns the copy of r its trusted proxy's headers describe, or
// nil when they change nothing.
func (p Proxies) forward(r *http.Request) *http.Request {
	if !p.trustsPeer(r.RemoteAddr) {
		return nil
	}
	w := newHopWalk(p)
	var forwarded bool
	if lines := r.Header.Values("Forwarded"); len(lines) > 0 {
		forwarded = true
		walkForwarded(&w, lines)
	} else {
		walkXForwardedFor(&w, r.Header.Values("X-Forwarded-For"))
	}
	client, ok, scheme, index := w.result()
	switch {
	case forwarded:
	case index >= 0:
		scheme = xForwardedProto(r.Header.Values("X-Forwarded-Proto"), index, w.n)
	default: // no X-Forwarded-For: a lone X-Forwarded-Proto is the peer's own
		scheme = xForwardedProto(r.Header.Values("X-Forwarded-Proto"), 0, 1)
	}
	remote := r.RemoteAddr
	if ok {
		remote = client.String()
	}
	if scheme == Scheme(r) {
		scheme = ""
	}
	if remote == r.RemoteAddr && scheme == "" {
		return nil
	}
	ctx := r.Context()
	if scheme != "" {
		ctx = context.WithValue(ctx, schemeKey, scheme)
	}
	r2 := r.WithContext(ctx) // a shallow copy: r stays the server's
	r2.RemoteAddr = remote
	return r2
}
