//go:build race

package gateway_test

// raceEnabled is whether the tests run under the race detector.
const raceEnabled = true
