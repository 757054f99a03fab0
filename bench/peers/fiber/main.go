// Fiber is the benchmark's hello world on fiber v2 (fasthttp) with its
// default settings and no middleware, one process (no prefork), on
// SERVER_SOCKET_HOST:SERVER_SOCKET_PORT. GET / answers "Hello, world!" as
// text/plain. SIGTERM or SIGINT: App.ShutdownWithTimeout(5 s).
package main

import (
	"fmt"
	"net"
	"os"

	"github.com/gofiber/fiber/v2"
	"github.com/seed-49a6713b/cherrygo/bench/peers/internal/peer"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "fiber:", err)
		os.Exit(1)
	}
}

func run() error {
	ctx, stop := peer.StopContext()
	defer stop()
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Get("/", func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, peer.ContentType)
		return c.SendString(peer.Greeting)
	})
	ln, err := net.Listen("tcp", peer.Addr())
	if err != nil {
		return err
	}
	served := make(chan error, 1)
	go func() { served <- app.Listener(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	err = app.ShutdownWithTimeout(peer.ShutdownTimeout)
	if serr := <-served; serr != nil {
		return serr
	}
	return err
}
