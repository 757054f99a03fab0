package engine

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"
)

// ReverseDNS resolves client addresses to host names (CherryPy's
// reverse_dns) with a bounded wait and a small bounded cache, so that a
// slow or failing resolver costs a request at most Timeout, and an address
// at most one lookup per TTL. A failed or late lookup gives "".
//
// The zero value is not usable; call NewReverseDNS. It is safe for
// concurrent use.
type ReverseDNS struct {
	timeout time.Duration
	ttl     time.Duration
	size    int
	lookup  func(ctx context.Context, addr string) ([]string, error)
	now     func() time.Time

	mu    sync.Mutex // guards cache
	cache map[netip.Addr]dnsEntry
}

type dnsEntry struct {
	name    string
	expires time.Time
}

// ReverseDNSOption configures a ReverseDNS.
type ReverseDNSOption func(*ReverseDNS)

// WithDNSLookup replaces the resolver (net.DefaultResolver.LookupAddr by
// default); tests use it.
func WithDNSLookup(fn func(ctx context.Context, addr string) ([]string, error)) ReverseDNSOption {
	return func(d *ReverseDNS) { d.lookup = fn }
}

// WithDNSClock replaces time.Now for the cache's expiry; tests use it.
func WithDNSClock(now func() time.Time) ReverseDNSOption {
	return func(d *ReverseDNS) { d.now = now }
}

// NewReverseDNS returns a resolver that waits at most timeout per lookup
// (1 s when zero or less), keeps answers (failures too) for ttl (5 min
// when zero or less), and at most size of them (1024 when zero or less;
// when full, expired entries go first, then everything).
func NewReverseDNS(timeout, ttl time.Duration, size int, opts ...ReverseDNSOption) *ReverseDNS {
	if timeout <= 0 {
		timeout = time.Second
	}
	if ttl <= 0 {
		ttl = 5 * time.Minute
	}
	if size <= 0 {
		size = 1024
	}
	d := &ReverseDNS{
		timeout: timeout,
		ttl:     ttl,
		size:    size,
		lookup:  net.DefaultResolver.LookupAddr,
		now:     time.Now,
		cache:   make(map[netip.Addr]dnsEntry),
	}
	for _, o := range opts {
		o(d)
	}
	return d
}

// Lookup returns the host name of addr (without the trailing dot), or ""
// when it has none, the lookup failed, or it took longer than the
// timeout. ctx ends the wait early.
func (d *ReverseDNS) Lookup(ctx context.Context, addr netip.Addr) string {
	if !addr.IsValid() {
		return ""
	}
	addr = addr.Unmap()
	now := d.now()
	d.mu.Lock()
	e, ok := d.cache[addr]
	d.mu.Unlock()
	if ok && now.Before(e.expires) {
		return e.name
	}
	lctx, cancel := context.WithTimeout(ctx, d.timeout)
	names, err := d.lookup(lctx, addr.String())
	cancel()
	name := ""
	if err == nil && len(names) > 0 {
		name = strings.TrimSuffix(names[0], ".")
	}
	if ctx.Err() != nil {
		return name // the request went away: do not cache its failure
	}
	d.store(addr, dnsEntry{name: name, expires: d.now().Add(d.ttl)})
	return name
}

// Len reports how many addresses are cached.
func (d *ReverseDNS) Len() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.cache)
}

func (d *ReverseDNS) store(addr netip.Addr, e dnsEntry) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.cache[addr]; !ok && len(d.cache) >= d.size {
		now := d.now()
		for k, v := range d.cache {
			if !now.Before(v.expires) {
				delete(d.cache, k)
			}
		}
		if len(d.cache) >= d.size {
			clear(d.cache)
		}
	}
	d.cache[addr] = e
}
