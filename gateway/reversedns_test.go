package gateway

import (
	"context"
	"errors"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestReverseDNSCachesAnswersAndFailures(t *testing.T) {
	var calls atomic.Int32
	lookup := func(_ context.Context, addr string) ([]string, error) {
		calls.Add(1)
		if addr == "192.0.2.1" {
			return []string{"client.example."}, nil
		}
		return nil, errors.New("no such host")
	}
	now := time.Unix(1000, 0)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	d := newReverseDNS(time.Second, time.Minute, 10, withDNSLookup(lookup), withDNSClock(clock))
	ctx := context.Background()

	assert.Equal(t, "client.example", d.Lookup(ctx, netip.MustParseAddr("192.0.2.1")))
	assert.Equal(t, "client.example", d.Lookup(ctx, netip.MustParseAddr("::ffff:192.0.2.1")))
	assert.Equal(t, "", d.Lookup(ctx, netip.MustParseAddr("192.0.2.2")))
	assert.Equal(t, "", d.Lookup(ctx, netip.MustParseAddr("192.0.2.2")))
	assert.Equal(t, int32(2), calls.Load())
	assert.Equal(t, "", d.Lookup(ctx, netip.Addr{}))

	mu.Lock()
	now = now.Add(2 * time.Minute)
	mu.Unlock()
	assert.Equal(t, "client.example", d.Lookup(ctx, netip.MustParseAddr("192.0.2.1")))
	assert.Equal(t, int32(3), calls.Load())
}

func TestReverseDNSTimeout(t *testing.T) {
	lookup := func(ctx context.Context, _ string) ([]string, error) {
		<-ctx.Done() // a resolver that never answers
		return nil, ctx.Err()
	}
	d := newReverseDNS(50*time.Millisecond, 0, 0, withDNSLookup(lookup))
	start := time.Now()
	assert.Equal(t, "", d.Lookup(context.Background(), netip.MustParseAddr("192.0.2.9")))
	assert.Less(t, time.Since(start), 5*time.Second)
	assert.Equal(t, 1, d.Len())

	// A request that went away does not poison the cache.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	assert.Equal(t, "", d.Lookup(ctx, netip.MustParseAddr("192.0.2.10")))
	assert.Equal(t, 1, d.Len())
}

func TestReverseDNSCacheIsBounded(t *testing.T) {
	lookup := func(_ context.Context, addr string) ([]string, error) { return []string{"h-" + addr}, nil }
	d := newReverseDNS(time.Second, time.Hour, 8, withDNSLookup(lookup))
	for i := range 100 {
		addr := netip.AddrFrom4([4]byte{10, 0, byte(i / 256), byte(i)})
		assert.Equal(t, "h-"+addr.String(), d.Lookup(context.Background(), addr))
		assert.LessOrEqual(t, d.Len(), 8)
	}
}

// Concurrent lookups of one address share a single resolver call; the
// others wait for its answer.
func TestReverseDNSOneLookupPerAddressInFlight(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var calls atomic.Int32
		release := make(chan struct{})
		d := newReverseDNS(time.Second, time.Minute, 0, withDNSLookup(func(ctx context.Context, _ string) ([]string, error) {
			calls.Add(1)
			select {
			case <-release:
				return []string{"client.example."}, nil
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}))
		addr := netip.MustParseAddr("192.0.2.7")
		names := make(chan string, 5)
		for range 5 {
			go func() { names <- d.Lookup(context.Background(), addr) }()
		}
		synctest.Wait() // all five are blocked: one in the resolver, four waiting for it
		close(release)
		for range 5 {
			assert.Equal(t, "client.example", <-names)
		}
		assert.Equal(t, int32(1), calls.Load())
	})
}

// A waiting lookup is bounded by the timeout too, even when the one in
// flight never returns.
func TestReverseDNSWaitersAreBounded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		stuck := make(chan struct{})
		d := newReverseDNS(time.Second, time.Minute, 0, withDNSLookup(func(context.Context, string) ([]string, error) {
			<-stuck // ignores its context
			return []string{"late."}, nil
		}))
		addr := netip.MustParseAddr("192.0.2.8")
		first := make(chan string, 1)
		go func() { first <- d.Lookup(context.Background(), addr) }()
		synctest.Wait()
		start := time.Now()
		assert.Empty(t, d.Lookup(context.Background(), addr))
		assert.Equal(t, time.Second, time.Since(start))
		close(stuck)
		assert.Equal(t, "late", <-first)
	})
}
