package rawserve

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// shutdownTimeout matches the kit's default SERVER_SHUTDOWN_TIMEOUT.
const shutdownTimeout = 5 * time.Second

// Settings is where and how to listen, from the SERVER_* variables.
type Settings struct {
	Host, Port string
	SocketFile string
	CertFile   string
	KeyFile    string
}

// FromEnv reads Settings from the process environment.
func FromEnv() Settings {
	s := Settings{
		Host:       envOr("SERVER_SOCKET_HOST", "127.0.0.1"),
		Port:       envOr("SERVER_SOCKET_PORT", "8080"),
		SocketFile: os.Getenv("SERVER_SOCKET_FILE"),
		CertFile:   os.Getenv("SERVER_SSL_CERTIFICATE"),
		KeyFile:    os.Getenv("SERVER_SSL_PRIVATE_KEY"),
	}
	return s
}

func envOr(name, def string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return def
}

// Run serves h as Settings say until SIGTERM or SIGINT, then shuts down.
// It returns nil after a clean shutdown.
func Run(s Settings, h http.Handler, log *slog.Logger) error {
	// Catch the signals before binding: a SIGTERM that arrives right after
	// the first answer must shut down, not kill, the process.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	ln, err := Listen(s)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h}
	serveErr := make(chan error, 1)
	go func() {
		if s.CertFile != "" && s.KeyFile != "" {
			serveErr <- srv.ServeTLS(ln, s.CertFile, s.KeyFile)
			return
		}
		serveErr <- srv.Serve(ln)
	}()
	log.Info("serving", "network", ln.Addr().Network(), "addr", ln.Addr().String(), "tls", s.CertFile != "")

	select {
	case err := <-serveErr:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	err = srv.Shutdown(sctx)
	if errors.Is(err, context.DeadlineExceeded) {
		err = srv.Close()
	}
	if serr := <-serveErr; !errors.Is(serr, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", serr)
	}
	if err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	log.Info("stopped")
	return nil
}

// Listen binds where s says: the unix socket SocketFile, else TCP Host:Port.
func Listen(s Settings) (net.Listener, error) {
	network, addr := "tcp", net.JoinHostPort(s.Host, s.Port)
	if s.SocketFile != "" {
		network, addr = "unix", s.SocketFile
	}
	ln, err := net.Listen(network, addr)
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	return ln, nil
}
