package cherrygo

import (
	"fmt"
	"net"
	"os"
	"syscall"
)

// fileSocket makes a listener of f when it is a stream socket, or a
// packet conn when it is a UDP socket (HTTP/3's), as passed by socket
// activation or an upgrade's hand-over; the kind is the socket's SO_TYPE.
// Each is on a duplicate of f's descriptor: the caller closes f.
func fileSocket(f *os.File) (net.Listener, net.PacketConn, error) {
	typ, err := socketType(f)
	if err != nil {
		return nil, nil, fmt.Errorf("not a socket: %w", err)
	}
	switch typ {
	case syscall.SOCK_STREAM:
		l, err := net.FileListener(f)
		if err != nil {
			return nil, nil, fmt.Errorf("not a listening stream socket: %w", err)
		}
		return l, nil, nil
	case syscall.SOCK_DGRAM:
		pc, err := net.FilePacketConn(f)
		if err != nil {
			return nil, nil, fmt.Errorf("a datagram socket: %w", err)
		}
		if _, ok := pc.(*net.UDPConn); !ok {
			_ = pc.Close()
			return nil, nil, fmt.Errorf("a %s datagram socket: only a UDP one (for HTTP/3) is served", pc.LocalAddr().Network())
		}
		return nil, pc, nil
	}
	return nil, nil, fmt.Errorf("a socket of type %d, neither a stream nor a datagram one", typ)
}

// socketType is f's SO_TYPE, read without changing the descriptor's mode
// (f.Fd would make it blocking, and the mode belongs to the socket, which
// another process may be serving).
func socketType(f *os.File) (int, error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return 0, err
	}
	var (
		typ  int
		serr error
	)
	if err := rc.Control(func(fd uintptr) {
		typ, serr = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_TYPE)
	}); err != nil {
		return 0, err
	}
	if serr != nil {
		return 0, os.NewSyscallError("getsockopt", serr)
	}
	return typ, nil
}

// socketAddr is the local address of a listener or packet conn.
func socketAddr(l net.Listener, pc net.PacketConn) net.Addr {
	if l != nil {
		return l.Addr()
	}
	return pc.LocalAddr()
}

// closeSocket closes a listener or packet conn.
func closeSocket(l net.Listener, pc net.PacketConn) {
	if l != nil {
		_ = l.Close()
	}
	if pc != nil {
		_ = pc.Close()
	}
}
