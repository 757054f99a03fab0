//go:build !linux

package stdlib

import (
	"context"
	"errors"
	"net"
	"os"
	"syscall"
)

// listenSocket binds the socket s describes through net.ListenConfig. Off
// Linux the backlog is the system default: SOCKET_QUEUE_SIZE is not applied.
func listenSocket(s socketSpec) (net.Listener, error) {
	var lc net.ListenConfig
	network, address := "unix", s.path
	switch s.family {
	case syscall.AF_INET:
		network, address = "tcp4", s.addr().String()
	case syscall.AF_INET6:
		network, address = "tcp6", s.addr().String()
		lc.Control = func(_, _ string, c syscall.RawConn) error {
			var opErr error
			v6only := 0
			if s.v6only {
				v6only = 1
			}
			err := c.Control(func(fd uintptr) {
				opErr = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_IPV6, syscall.IPV6_V6ONLY, v6only)
			})
			if err != nil {
				return err
			}
			return opErr
		}
	}
	l, err := lc.Listen(context.Background(), network, address)
	if err != nil {
		if op, ok := errors.AsType[*net.OpError](err); ok {
			return nil, op.Err
		}
		return nil, err
	}
	if ul, ok := l.(*net.UnixListener); ok {
		ul.SetUnlinkOnClose(false)
	}
	if s.family == syscall.AF_UNIX && s.mode.Perm() != 0 {
		if err := os.Chmod(s.path, s.mode.Perm()); err != nil {
			_ = l.Close()
			_ = os.Remove(s.path)
			return nil, os.NewSyscallError("chmod", err)
		}
	}
	if s.family == syscall.AF_UNIX && s.gid >= 0 {
		if err := os.Lchown(s.path, -1, s.gid); err != nil {
			_ = l.Close()
			_ = os.Remove(s.path)
			return nil, os.NewSyscallError("chown", err)
		}
	}
	return l, nil
}
