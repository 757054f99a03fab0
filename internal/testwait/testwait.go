// Package testwait holds the bounded waits the kit's tests share: every
// wait on an event has a timeout inside a select, never a sleep.
package testwait

import (
	"context"
	"testing"
	"time"
)

// Timeout bounds every wait. Events take microseconds to milliseconds; the
// bound only matters on a loaded machine or a bug.
const Timeout = 10 * time.Second

// Receive returns the next value from ch, failing t after Timeout. Call it
// from the test's goroutine.
func Receive[T any](t testing.TB, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(Timeout):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

// Context returns a context that ends after Timeout or with the test.
func Context(t testing.TB) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), Timeout)
	t.Cleanup(cancel)
	return ctx
}
