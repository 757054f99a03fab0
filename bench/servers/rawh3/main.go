package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/quic-go/quic-go/http3"

	"github.com/seed-49a6713b/cherrygo/bench/servers/internal/rawserve"
)

// shutdownTimeout matches the kit's default SERVER_SHUTDOWN_TIMEOUT.
const shutdownTimeout = 5 * time.Second

func main() {
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", rawserve.Hello)
	if err := run(rawserve.FromEnv(), mux, log); err != nil {
		log.Error("rawh3", "err", err)
		os.Exit(1)
	}
}

// run serves h over HTTP/3 where s says until SIGTERM or SIGINT.
func run(s rawserve.Settings, h http.Handler, log *slog.Logger) error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	if s.CertFile == "" || s.KeyFile == "" {
		return errors.New("SERVER_SSL_CERTIFICATE and SERVER_SSL_PRIVATE_KEY are required")
	}
	cert, err := tls.LoadX509KeyPair(s.CertFile, s.KeyFile)
	if err != nil {
		return fmt.Errorf("certificate: %w", err)
	}
	// Bind first, then serve: Serve on our own socket does not race with
	// Shutdown the way ListenAndServe does.
	pc, err := net.ListenPacket("udp", net.JoinHostPort(s.Host, s.Port))
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	defer pc.Close()
	srv := &http3.Server{
		Handler:   h,
		TLSConfig: http3.ConfigureTLSConfig(&tls.Config{Certificates: []tls.Certificate{cert}}),
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(pc) }()
	log.Info("serving", "network", "udp", "addr", pc.LocalAddr().String(), "protocol", "h3")

	select {
	case err := <-serveErr:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	err = srv.Shutdown(sctx)
	if serr := <-serveErr; !errors.Is(serr, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", serr)
	}
	if err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	log.Info("stopped")
	return nil
}
