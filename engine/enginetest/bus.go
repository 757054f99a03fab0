package enginetest

import (
	"context"
	"testing"
	"time"

	"github.com/seed-49a6713b/cherrygo/engine"
	"github.com/seed-49a6713b/cherrygo/internal/exechook"
)

// WaitTimeout bounds the waits of NewBus's cleanup and of WaitState.
// Events on a bus take microseconds; the bound only matters on a loaded
// machine or a bug.
const WaitTimeout = 10 * time.Second

// NewBus returns a bus that is exited, and whose goroutines are waited
// for, when the test ends; a Block that does not return in WaitTimeout
// fails the test. That last Block never replaces the test binary: when the
// bus was restarted, its re-exec does nothing and succeeds.
func NewBus(t testing.TB, opts ...engine.Option) *engine.Bus {
	t.Helper()
	b := engine.New(opts...)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), WaitTimeout)
		defer cancel()
		ctx = exechook.With(ctx, func(string, []string, []string) error { return nil })
		_ = b.Exit(ctx) // the test may have exited it already, or checked the error
		if err := b.Block(ctx); err != nil {
			t.Errorf("Block in cleanup: %v", err)
		}
	})
	return b
}

// WaitState fails the test unless b reaches one of states within
// WaitTimeout.
func WaitState(t testing.TB, b *engine.Bus, states ...engine.State) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), WaitTimeout)
	defer cancel()
	if got, err := b.Wait(ctx, states...); err != nil {
		t.Fatalf("waiting for %v: still %v: %v", states, got, err)
	}
}
