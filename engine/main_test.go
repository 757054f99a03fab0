package engine_test

import (
	"context"
	"testing"
	"time"

	"github.com/seed-49a6713b/cherrygo/engine"
	"github.com/seed-49a6713b/cherrygo/internal/leakcheck"
)

// TestMain fails the package when a test leaves a goroutine behind.
func TestMain(m *testing.M) { leakcheck.Main(m) }

// busWaitTimeout bounds every wait in the bus tests. Events normally take
// microseconds; the bound only matters on a loaded machine or a bug.
const busWaitTimeout = 10 * time.Second

// busCtx returns a context that ends after busWaitTimeout or with the test.
func busCtx(t testing.TB) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), busWaitTimeout)
	t.Cleanup(cancel)
	return ctx
}

// newBus returns a bus that is exited, and whose goroutines are waited
// for, when the test ends.
func newBus(t testing.TB, opts ...engine.Option) *engine.Bus {
	t.Helper()
	b := engine.New(opts...)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), busWaitTimeout)
		defer cancel()
		_ = b.Exit(ctx) // the test may have exited it already, or checked the error
		if err := b.Block(ctx); err != nil {
			t.Errorf("Block in cleanup: %v", err)
		}
	})
	return b
}

// waitState waits for the bus to reach one of states and fails the test
// when it does not within busWaitTimeout.
func waitState(t testing.TB, b *engine.Bus, states ...engine.State) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), busWaitTimeout)
	defer cancel()
	if got, err := b.Wait(ctx, states...); err != nil {
		t.Fatalf("waiting for %v: still %v: %v", states, got, err)
	}
}
