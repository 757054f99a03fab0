package gateway

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"
)

// reverseDNS resolves client addresses to host names (CherryPy's
// reverse_dns) with a bounded wait and a small bounded cache, so that a
// slow or failing resolver costs a request at most Timeout, and an address
// at most one lookup per TTL. A failed or late lookup gives "".
//
// The zero value is not usable; call newReverseDNS. It is safe for
// concurrent use.
type reverseDNS struct {
	timeout time.Duration
	ttl     time.Duration
	size    int
	lookup  func(ctx context.Context, addr string) ([]string, error)
	now     func() time.Time

	mu       sync.Mutex // guards cache and inflight
	cache    map[netip.Addr]dnsEntry
	inflight map[netip.Addr]*dnsCall // the lookup under way per address
}

// dnsCall is a lookup under way; name is set before done is closed.
type dnsCall struct {
	done chan struct{}
	name string
}

type dnsEntry struct {
	name    string
	expires time.Time
}

// reverseDNSOption configures a reverseDNS.
type reverseDNSOption func(*reverseDNS)

// withDNSLookup replaces the resolver (net.DefaultResolver.LookupAddr by
// default); tests use it.
func withDNSLookup(fn func(ctx context.Context, addr string) ([]string, error)) reverseDNSOption {
	return func(d *reverseDNS) { d.lookup = fn }
}

// withDNSClock replaces time.Now for the cache's expiry; tests use it.
func withDNSClock(now func() time.Time) reverseDNSOption {
	return func(d *reverseDNS) { d.now = now }
}

// newReverseDNS returns a resolver that waits at most timeout per lookup
// (1 s when zero or less), keeps answers (failures too) for ttl (5 min
// when zero or less), and at most size of them (1024 when zero or less;
// when full, expired entries go first, then everything).
func newReverseDNS(timeout, ttl time.Duration, size int, opts ...reverseDNSOption) *reverseDNS {
	if timeout <= 0 {
		timeout = time.Second
	}
	if ttl <= 0 {
		ttl = 5 * time.Minute
	}
	if size <= 0 {
		size = 1024
	}
	d := &reverseDNS{
		timeout: timeout,
		ttl:     ttl,
		size:    size,
		lookup:  net.DefaultResolver.LookupAddr,
		now:     time.Now,
		cache:   make(map[netip.Addr]dnsEntry),

		inflight: make(map[netip.Addr]*dnsCall),
	}
	for _, o := range opts {
		o(d)
	}
	return d
}

// Lookup returns the host name of addr (without the trailing dot), or ""
// when it has none, the lookup failed, or it took longer than the
// timeout. ctx ends the wait early.
//
// One lookup per address is under way at a time: concurrent calls for the
// same address wait for its answer, each for at most the timeout (or until
// its own ctx ends), and get "" if it has not come by then.
func (d *reverseDNS) Lookup(ctx context.Context, addr netip.Addr) string {
	if !addr.IsValid() {
		return ""
	}
	addr = addr.Unmap()
	now := d.now()
	d.mu.Lock()
	if e, ok := d.cache[addr]; ok && now.Before(e.expires) {
		d.mu.Unlock()
		return e.name
	}
	if c, ok := d.inflight[addr]; ok {
		d.mu.Unlock()
		return d.wait(ctx, c)
	}
	c := &dnsCall{done: make(chan struct{})}
	d.inflight[addr] = c
	d.mu.Unlock()

	lctx, cancel := context.WithTimeout(ctx, d.timeout)
	names, err := d.lookup(lctx, addr.String())
	cancel()
	if err == nil && len(names) > 0 {
		c.name = strings.TrimSuffix(names[0], ".")
	}
	d.mu.Lock()
	delete(d.inflight, addr)
	if ctx.Err() == nil { // the request went away: do not cache its failure
		d.storeLocked(addr, dnsEntry{name: c.name, expires: d.now().Add(d.ttl)})
	}
	d.mu.Unlock()
	close(c.done)
	return c.name
}

// wait waits for the lookup c of another request, as long as a lookup of
// its own could take.
func (d *reverseDNS) wait(ctx context.Context, c *dnsCall) string {
	timer := time.NewTimer(d.timeout)
	defer timer.Stop()
	select {
	case <-c.done:
		return c.name
	case <-timer.C:
		return ""
	case <-ctx.Done():
		return ""
	}
}

// Len reports how many addresses are cached.
func (d *reverseDNS) Len() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.cache)
}

// storeLocked caches e for addr; d.mu is held.
func (d *reverseDNS) storeLocked(addr netip.Addr, e dnsEntry) {
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
