package leakcheck_test

import (
	"testing"

	"github.com/seed-49a6713b/cherrygo/internal/leakcheck"
)

// Check goes first in a test, so that its cleanup runs after the cleanups
// that stop what the test started.
func ExampleCheck() {
	_ = func(t *testing.T) {
		leakcheck.Check(t)
		done := make(chan struct{})
		go func() { <-done }()
		t.Cleanup(func() { close(done) })
	}
}

// Main is the whole body of a package's TestMain.
func ExampleMain() {
	_ = func(m *testing.M) { leakcheck.Main(m) }
}
