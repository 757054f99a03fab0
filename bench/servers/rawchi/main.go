package main

import (
	"log/slog"
	"os"

	"github.com/go-chi/chi/v5"

	"github.com/seed-49a6713b/cherrygo/bench/servers/internal/rawserve"
)

func main() {
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	r := chi.NewRouter()
	r.Get("/", rawserve.Hello)
	r.Get("/slow", rawserve.Slow)
	if err := rawserve.Run(rawserve.FromEnv(), r, log); err != nil {
		log.Error("rawchi", "err", err)
		os.Exit(1)
	}
}
