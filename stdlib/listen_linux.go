//go:build linux

package stdlib

import (
	"net"
	"os"
	"syscall"
)

// listenSocket creates, binds and listens on the socket s describes with
// raw system calls, because net.Listen cannot set a backlog; the socket is
// then handed to net.FileListener. Errors are *os.SyscallError values
// naming the failed call.
func listenSocket(s socketSpec) (net.Listener, error) {
	fd, err := syscall.Socket(s.family, syscall.SOCK_STREAM|syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, os.NewSyscallError("socket", err)
	}
	bound := false
	fail := func(call string, err error) (net.Listener, error) {
		_ = syscall.Close(fd)
		if bound && s.family == syscall.AF_UNIX {
			_ = syscall.Unlink(s.path)
		}
		return nil, os.NewSyscallError(call, err)
	}

	if s.family != syscall.AF_UNIX {
		if err := syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 1); err != nil {
			return fail("setsockopt", err)
		}
	}
	if s.family == syscall.AF_INET6 {
		v6only := 0
		if s.v6only {
			v6only = 1
		}
		if err := syscall.SetsockoptInt(fd, syscall.IPPROTO_IPV6, syscall.IPV6_V6ONLY, v6only); err != nil {
			return fail("setsockopt", err)
		}
	}

	var sa syscall.Sockaddr
	switch s.family {
	case syscall.AF_INET:
		sa4 := &syscall.SockaddrInet4{Port: s.port}
		copy(sa4.Addr[:], s.ip.To4())
		sa = sa4
	case syscall.AF_INET6:
		sa6 := &syscall.SockaddrInet6{Port: s.port, ZoneId: zoneIndex(s.zone)}
		copy(sa6.Addr[:], s.ip.To16())
		sa = sa6
	default:
		sa = &syscall.SockaddrUnix{Name: s.path}
	}
	if err := syscall.Bind(fd, sa); err != nil {
		return fail("bind", err)
	}
	bound = true
	if s.family == syscall.AF_UNIX && s.mode.Perm() != 0 {
		// Before listen, nobody can connect yet: the mode is in place
		// before the first client could use the looser default.
		if err := syscall.Chmod(s.path, uint32(s.mode.Perm())); err != nil {
			return fail("chmod", err)
		}
	}
	if s.family == syscall.AF_UNIX && s.gid >= 0 {
		if err := syscall.Lchown(s.path, -1, s.gid); err != nil {
			return fail("chown", err)
		}
	}
	if err := syscall.Listen(fd, s.backlog); err != nil {
		return fail("listen", err)
	}

	f := os.NewFile(uintptr(fd), "listener")
	l, err := net.FileListener(f) // duplicates the descriptor
	closeErr := f.Close()
	if err != nil {
		if s.family == syscall.AF_UNIX {
			_ = syscall.Unlink(s.path)
		}
		return nil, err
	}
	if closeErr != nil {
		_ = l.Close()
		return nil, closeErr
	}
	return l, nil
}
