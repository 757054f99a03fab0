// Echo is the benchmark's hello world on echo v4 with no middleware
// (echo.New, banner hidden), served by net/http on
// SERVER_SOCKET_HOST:SERVER_SOCKET_PORT. GET / answers "Hello, world!" as
// text/plain. SIGTERM or SIGINT: http.Server.Shutdown with a 5 s limit.
package main

import (
	"fmt"
	"net/http"
	"os"

	"github.com/labstack/echo/v4"
	"github.com/seed-49a6713b/cherrygo/bench/peers/internal/peer"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "echo:", err)
		os.Exit(1)
	}
}

func run() error {
	ctx, stop := peer.StopContext()
	defer stop()
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.GET("/", func(c echo.Context) error {
		return c.Blob(http.StatusOK, peer.ContentType, []byte(peer.Greeting))
	})
	return peer.ServeHTTP(ctx, e)
}
