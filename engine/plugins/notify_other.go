//go:build !linux

package plugins

// monotonicUsec is not available here: RELOADING=1 goes without
// MONOTONIC_USEC.
func monotonicUsec() (int64, bool) { return 0, false }
