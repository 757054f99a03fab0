package peer

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// Greeting is the body every benchmark server answers on GET /, as
// text/plain (ContentType).
const (
	Greeting    = "Hello, world!"
	ContentType = "text/plain; charset=utf-8"
)

// ShutdownTimeout bounds a graceful stop, like the kit's default
// SERVER_SHUTDOWN_TIMEOUT and the raw baselines' limit.
const ShutdownTimeout = 5 * time.Second

// Addr is host:port from SERVER_SOCKET_HOST and SERVER_SOCKET_PORT.
func Addr() string {
	return net.JoinHostPort(envOr("SERVER_SOCKET_HOST", "127.0.0.1"), envOr("SERVER_SOCKET_PORT", "8080"))
}

func envOr(name, def string) string {
	if v, ok := os.LookupEnv(name); ok && v != "" {
		return v
	}
	return def
}

// StopContext is done at the first SIGTERM or SIGINT. Call it before
// binding, so that a SIGTERM right after the first answer stops the
// server gracefully instead of killing it.
func StopContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
}

// ServeHTTP serves h with net/http on Addr until ctx is done, then shuts
// down with http.Server.Shutdown bounded by ShutdownTimeout. It returns
// nil after a clean stop.
func ServeHTTP(ctx context.Context, h http.Handler) error {
	ln, err := net.Listen("tcp", Addr())
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), ShutdownTimeout)
	defer cancel()
	err = srv.Shutdown(sctx)
	if serr := <-served; !errors.Is(serr, http.ErrServerClosed) {
		return serr
	}
	return err
}
