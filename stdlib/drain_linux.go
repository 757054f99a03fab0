package stdlib

import (
	"net"
	"syscall"

	"golang.org/x/sys/unix"
)

// refuseSYN is a classic BPF socket filter that drops TCP segments with SYN
// set and ACK clear (new connection attempts) and lets everything else
// through, the ACKs that complete handshakes already under way included.
// A socket filter sees the segment from its TCP header on: byte 13 holds
// the flags.
var refuseSYN = []unix.SockFilter{
	{Code: unix.BPF_LD | unix.BPF_B | unix.BPF_ABS, K: 13},
	{Code: unix.BPF_ALU | unix.BPF_AND | unix.BPF_K, K: 0x12}, // SYN|ACK
	{Code: unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, K: 0x02, Jt: 0, Jf: 1},
	{Code: unix.BPF_RET | unix.BPF_K, K: 0},          // a bare SYN: dropped
	{Code: unix.BPF_RET | unix.BPF_K, K: 0xffffffff}, // anything else: kept
}

// stopHandshakes makes a TCP listening socket ignore new connection
// attempts while the handshakes already under way complete into its accept
// queue, so that the queue can be emptied before the socket closes:
// closing a listener resets every connection that completed its handshake
// and was not accepted, and whose client may have sent its request. The
// clients dropped here retransmit their SYN (after a second) and find the
// port closed by then: refused, with nothing sent. It reports whether the
// filter is on.
func stopHandshakes(l net.Listener) bool {
	tl, ok := socketListener(l).(*net.TCPListener)
	if !ok {
		return false
	}
	rc, err := tl.SyscallConn()
	if err != nil {
		return false
	}
	prog := unix.SockFprog{Len: uint16(len(refuseSYN)), Filter: &refuseSYN[0]}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		serr = unix.SetsockoptSockFprog(int(fd), syscall.SOL_SOCKET, unix.SO_ATTACH_FILTER, &prog)
	}); err != nil {
		return false
	}
	return serr == nil
}

// allowHandshakes removes stopHandshakes' filter from a socket that is
// served again (an owned socket kept open across runs); a socket without
// one is left as it is.
func allowHandshakes(l net.Listener) {
	tl, ok := l.(*net.TCPListener)
	if !ok {
		return
	}
	if rc, err := tl.SyscallConn(); err == nil {
		_ = rc.Control(func(fd uintptr) {
			_ = unix.SetsockoptInt(int(fd), syscall.SOL_SOCKET, unix.SO_DETACH_FILTER, 0)
		})
	}
}
