package cherrygo

import (
	"fmt"
	"net"
	"os"
)

// fileSocket makes a listener of f when it is a listening stream socket,
// or a packet conn when it is a UDP socket (HTTP/3's), as passed by socket
// activation or an upgrade's hand-over. Each is on a duplicate of f's
// descriptor: the caller closes f.
func fileSocket(f *os.File) (net.Listener, net.PacketConn, error) {
	l, err := net.FileListener(f)
	if err == nil {
		return l, nil, nil
	}
	pc, perr := net.FilePacketConn(f)
	if perr != nil {
		return nil, nil, fmt.Errorf("neither a listening stream socket nor a UDP one: %w", err)
	}
	if _, ok := pc.(*net.UDPConn); !ok {
		_ = pc.Close()
		return nil, nil, fmt.Errorf("a %s datagram socket: only a UDP one (for HTTP/3) is served", pc.LocalAddr().Network())
	}
	return nil, pc, nil
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
