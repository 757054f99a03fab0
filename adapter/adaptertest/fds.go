package adaptertest

import "os"

// fdSlack is how many more open descriptors the leak test tolerates after
// the cycles than before: the runtime and the test framework may open one
// or two on their own, while a real leak shows once per cycle.
const fdSlack = 3

// countFDs counts the process's open file descriptors; ok is false where
// /proc/self/fd cannot be read.
func countFDs() (n int, ok bool) {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return 0, false
	}
	return len(entries), true
}
