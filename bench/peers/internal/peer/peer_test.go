package peer_test

import (
	"testing"

	"github.com/seed-49a6713b/cherrygo/bench/peers/internal/peer"
)

func TestAddr(t *testing.T) {
	t.Setenv("SERVER_SOCKET_HOST", "127.0.0.2")
	t.Setenv("SERVER_SOCKET_PORT", "9")
	if got := peer.Addr(); got != "127.0.0.2:9" {
		t.Fatalf("Addr() = %q, want 127.0.0.2:9", got)
	}
	t.Setenv("SERVER_SOCKET_HOST", "")
	t.Setenv("SERVER_SOCKET_PORT", "")
	if got := peer.Addr(); got != "127.0.0.1:8080" {
		t.Fatalf("Addr() with empty variables = %q, want 127.0.0.1:8080", got)
	}
}
