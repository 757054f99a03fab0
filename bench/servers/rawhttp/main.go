package main

import (
	"log/slog"
	"net/http"
	"os"

	"github.com/seed-49a6713b/cherrygo/bench/servers/internal/rawserve"
)

func main() {
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", rawserve.Hello)
	mux.HandleFunc("GET /slow", rawserve.Slow)
	if err := rawserve.Run(rawserve.FromEnv(), mux, log); err != nil {
		log.Error("rawhttp", "err", err)
		os.Exit(1)
	}
}
