package main

import (
	"fmt"
	"log/slog"
	"os"
	"time"
)

func main() {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	s, err := loadSettings(os.Args[1:])
	if err != nil {
		log.Error("harness", "err", err)
		os.Exit(2)
	}
	r := newRun(s, log)
	r.all()
	if err := os.WriteFile(s.out, []byte(r.report()), 0o644); err != nil {
		log.Error("harness", "err", fmt.Errorf("write report: %w", err))
		os.Exit(1)
	}
	log.Info("report written", "file", s.out, "took", time.Since(r.began).Round(time.Second))
}
