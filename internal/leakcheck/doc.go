// Package leakcheck finds goroutines that a test left running.
//
// It needs nothing beyond the standard library: it reads every goroutine's
// stack with runtime.Stack, parses the text into one record per goroutine
// and compares the records with what was there before.
//
// # Per test
//
// Call Check at the top of a test. It remembers the goroutines alive at that
// moment and registers a t.Cleanup that, once the test and its other
// cleanups are done, waits for every goroutine started since then to end.
// Goroutines still running after the grace period (5 s by default) fail the
// test, and their stacks are printed.
//
//	func TestServer(t *testing.T) {
//		leakcheck.Check(t)
//		...
//	}
//
// Register Check before the cleanups that stop what the test started:
// cleanups run last-registered first, so Check's cleanup then runs after
// them.
//
// # Per package
//
// Main is for TestMain. It runs the tests and then waits, within the same
// grace period, for every goroutine except the main one to end; if some are
// left it prints their stacks and ends the test binary with exit code 1.
//
//	func TestMain(m *testing.M) { leakcheck.Main(m) }
//
// # What is not a leak
//
// Goroutines of the testing framework (those running testing.tRunner,
// testing.(*M).Run and friends), the os/signal receive loop, and goroutines
// created by a different test that is still running (found through the
// "created by … in goroutine N" line of each stack) are ignored. More can be
// ignored by their top function with IgnoreTopFunction.
//
// Waiting is a bounded poll: a leak detector has no event to wait on, so it
// re-reads the stacks every few milliseconds until nothing is left or the
// grace period is over. The poll never makes a passing test slower than the
// goroutines it waits for.
//
// # Keep-alive connections
//
// An http.Client keeps idle connections open, each with two goroutines.
// Tests should use their own http.Transport and call CloseIdleConnections in
// a cleanup, or this checker rightly reports them.
package leakcheck
