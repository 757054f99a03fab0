package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/seed-49a6713b/cherrygo/engine"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "restarttest:", err)
		os.Exit(1)
	}
}

func run() error {
	marker := os.Getenv("RESTARTTEST_MARKER")
	if marker == "" {
		return errors.New("RESTARTTEST_MARKER is not set")
	}
	if _, err := os.Stat(marker); err == nil {
		return report()
	}
	return firstRun(marker)
}

// report is the second run: it prints what the re-exec preserved.
func report() error {
	wd, err := os.Getwd()
	if err != nil {
		return fmt.Errorf("getwd: %w", err)
	}
	fmt.Printf("run=2\npid=%d\nargs=%q\nwd=%s\nvalue=%s\n", os.Getpid(), os.Args, wd, os.Getenv("RESTARTTEST_VALUE"))
	return nil
}

// firstRun starts a bus and restarts it. It returns only when the re-exec
// failed.
func firstRun(marker string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	b := engine.New(engine.WithLogger(slog.New(slog.NewTextHandler(os.Stderr, nil))))
	if err := os.WriteFile(marker, []byte("restarted\n"), 0o600); err != nil {
		return fmt.Errorf("write marker: %w", err)
	}
	fmt.Printf("run=1\npid=%d\n", os.Getpid())

	if err := b.Start(ctx); err != nil {
		return fmt.Errorf("start: %w", err)
	}
	b.Go(func(ctx context.Context) { <-ctx.Done() }) // Block waits for it

	// What happens after New must not reach the re-executed program.
	if err := os.Chdir(os.TempDir()); err != nil {
		return fmt.Errorf("chdir: %w", err)
	}
	if err := os.Setenv("RESTARTTEST_VALUE", "changed after New"); err != nil {
		return fmt.Errorf("setenv: %w", err)
	}

	if err := b.Restart(ctx); err != nil {
		return fmt.Errorf("restart: %w", err)
	}
	if err := b.Block(ctx); err != nil {
		return fmt.Errorf("block: %w", err)
	}
	return errors.New("block returned without re-executing")
}
