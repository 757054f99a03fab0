package testnet

import (
	"errors"
	"net"
	"syscall"
	"testing"
)

func TestReservePort(t *testing.T) {
	addr := ReservePort(t)
	// Nothing listens: connects are refused.
	if c, err := net.Dial("tcp", addr); err == nil {
		c.Close()
		t.Fatal("a connect to the reserved port succeeded with no server")
	} else if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("connect: %v, want refused", err)
	}
	// A server may listen on it, twice in a row.
	for range 2 {
		l, err := net.Listen("tcp", addr)
		if err != nil {
			t.Fatalf("listen on the reserved port: %v", err)
		}
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("dial the server: %v", err)
		}
		c.Close()
		l.Close()
	}
	// An outgoing connection cannot take it as its local port.
	peer, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	local, _ := net.ResolveTCPAddr("tcp", addr)
	d := net.Dialer{LocalAddr: local}
	if c, err := d.Dial("tcp", peer.Addr().String()); err == nil {
		c.Close()
		t.Fatal("an outgoing connection took the reserved port")
	}
}
