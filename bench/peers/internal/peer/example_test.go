package peer_test

import (
	"fmt"
	"net/http"

	"github.com/seed-49a6713b/cherrygo/bench/peers/internal/peer"
)

// ServeHTTP serves a handler on SERVER_SOCKET_HOST:SERVER_SOCKET_PORT until
// SIGTERM or SIGINT. (Compiled, not run: it blocks until a signal.)
func ExampleServeHTTP() {
	ctx, stop := peer.StopContext()
	defer stop()
	h := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", peer.ContentType)
		_, _ = w.Write([]byte(peer.Greeting))
	})
	if err := peer.ServeHTTP(ctx, h); err != nil {
		fmt.Println(err)
	}
}
