package stdlib

import (
	"os"
	"strconv"
	"strings"
	"syscall"
)

// somaxconnFile holds Linux's upper bound for listen backlogs.
const somaxconnFile = "/proc/sys/net/core/somaxconn"

// backlog returns the listen backlog for a configured SOCKET_QUEUE_SIZE:
// the value itself when positive, else the system's maximum, read from
// /proc/sys/net/core/somaxconn where it exists and syscall.SOMAXCONN
// otherwise. The kernel silently caps larger values at that maximum.
func backlog(configured int) int {
	if configured > 0 {
		return configured
	}
	return systemBacklog()
}

func systemBacklog() int {
	b, err := os.ReadFile(somaxconnFile)
	if err == nil {
		if n, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && n > 0 {
			return n
		}
	}
	return syscall.SOMAXCONN
}
