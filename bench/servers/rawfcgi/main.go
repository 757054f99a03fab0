package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/fcgi"
	"os"
	"os/signal"
	"syscall"

	"github.com/seed-49a6713b/cherrygo/bench/servers/internal/rawserve"
)

func main() {
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", rawserve.Hello)
	if err := run(rawserve.FromEnv(), mux, log); err != nil {
		log.Error("rawfcgi", "err", err)
		os.Exit(1)
	}
}

// run serves h over FastCGI where s says until SIGTERM or SIGINT.
func run(s rawserve.Settings, h http.Handler, log *slog.Logger) error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	ln, err := rawserve.Listen(s)
	if err != nil {
		return err
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- fcgi.Serve(ln, h) }()
	log.Info("serving", "network", ln.Addr().Network(), "addr", ln.Addr().String(), "protocol", "fastcgi")

	select {
	case err := <-serveErr:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	// fcgi.Serve returns once Accept fails on the closed listener.
	cerr := ln.Close()
	if serr := <-serveErr; serr != nil && !errors.Is(serr, net.ErrClosed) {
		return fmt.Errorf("serve: %w", serr)
	}
	if cerr != nil {
		return fmt.Errorf("close: %w", cerr)
	}
	log.Info("stopped")
	return nil
}
