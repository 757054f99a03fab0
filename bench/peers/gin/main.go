// Gin is the benchmark's hello world on gin in release mode without the
// logger (gin.New with gin.Recovery only), served by net/http on
// SERVER_SOCKET_HOST:SERVER_SOCKET_PORT. GET / answers "Hello, world!" as
// text/plain. SIGTERM or SIGINT: http.Server.Shutdown with a 5 s limit.
package main

import (
	"fmt"
	"net/http"
	"os"

	"github.com/gin-gonic/gin"
	"github.com/seed-49a6713b/cherrygo/bench/peers/internal/peer"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "gin:", err)
		os.Exit(1)
	}
}

func run() error {
	ctx, stop := peer.StopContext()
	defer stop()
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.Use(gin.Recovery())
	r.GET("/", func(c *gin.Context) { c.Data(http.StatusOK, peer.ContentType, []byte(peer.Greeting)) })
	return peer.ServeHTTP(ctx, r)
}
