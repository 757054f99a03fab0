// Package testnet holds network helpers for the kit's tests.
package testnet

import (
	"net"
	"strconv"
	"syscall"
	"testing"
)

// ReservePort returns a loopback TCP address ("127.0.0.1:port") whose port
// nobody else can take until the test ends, while a server (any listener
// with SO_REUSEADDR, as Go's net.Listen sets it) may bind and listen on it
// as often as the test needs.
//
// It holds a socket bound to the port and never listening: the kernel then
// gives the port to no other bind(0) and to no outgoing connection (as it
// would after a listen-close "reservation", the race behind false "port in
// use" failures), and refuses connections to it while no server listens.
func ReservePort(t testing.TB) string {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatalf("testnet: socket: %v", err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	if err := syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 1); err != nil {
		t.Fatalf("testnet: SO_REUSEADDR: %v", err)
	}
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatalf("testnet: bind: %v", err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatalf("testnet: getsockname: %v", err)
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(sa.(*syscall.SockaddrInet4).Port))
}
