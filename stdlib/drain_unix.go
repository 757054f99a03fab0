//go:build unix

package stdlib

import (
	"net"
	"syscall"

	"golang.org/x/sys/unix"
)

// readable reports whether c has bytes waiting to be read (not an end of
// file, nor an error), without reading anything: a peek that never waits,
// on the descriptor itself, so that it does not queue behind net/http's
// own blocked Read. known is false when c has no descriptor to look at.
func readable(c net.Conn) (pending, known bool) {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return false, false
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return false, false
	}
	var buf [1]byte
	cerr := rc.Control(func(fd uintptr) {
		n, _, err := unix.Recvfrom(int(fd), buf[:], unix.MSG_PEEK|unix.MSG_DONTWAIT)
		pending = err == nil && n > 0
	})
	return pending, cerr == nil
}

// queued reports whether the listening socket l has connections waiting in
// its accept queue. known is false when that cannot be told.
func queued(l net.Listener) (waiting, known bool) {
	sc, ok := socketListener(l).(syscall.Conn)
	if !ok {
		return false, false
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return false, false
	}
	cerr := rc.Control(func(fd uintptr) {
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		n, err := unix.Poll(fds, 0)
		waiting = err == nil && n > 0 && fds[0].Revents&unix.POLLIN != 0
	})
	return waiting, cerr == nil
}
