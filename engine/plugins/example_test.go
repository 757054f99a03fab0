package plugins_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/seed-49a6713b/cherrygo/engine"
	"github.com/seed-49a6713b/cherrygo/engine/plugins"
)

// The usual wiring in main: signals, a PID file and a privilege drop around
// the servers, then Block until a signal ends the bus.
func Example() {
	logger := slog.Default()
	bus := engine.New(engine.WithLogger(logger))

	defer (&plugins.SignalHandler{Hangup: plugins.HangupGraceful}).Subscribe(bus)()
	defer (&plugins.PIDFile{Path: "/run/myservice.pid"}).Subscribe(bus)()
	defer (&plugins.DropPrivileges{User: "www-data"}).Subscribe(bus)()
	// … subscribe the servers here (package adapter) …

	ctx := context.Background()
	if err := bus.Start(ctx); err != nil {
		logger.Error("start failed", "err", err)
		return // main turns this into exit code 1
	}
	if err := bus.Block(ctx); err != nil {
		logger.Error("block", "err", err)
	}
}

// SIGTERM and SIGINT exit, SIGHUP restarts (re-exec) by default, SIGUSR1
// reloads gracefully. Each signal is also published on its own channel.
func ExampleSignalHandler() {
	bus := engine.New()
	unsubscribe := (&plugins.SignalHandler{}).Subscribe(bus)
	defer unsubscribe() // gives the signals back to their default handling

	bus.Subscribe("SIGHUP", func(context.Context, any) (any, error) {
		slog.Info("reloading on SIGHUP")
		return nil, nil
	}, engine.DefaultPriority-1) // before the restart
}

// In tests, signals come from a channel the test owns.
func ExampleSignalHandler_injected() {
	bus := engine.New()
	sigs := make(chan os.Signal, 1)
	unsubscribe := (&plugins.SignalHandler{Signals: sigs}).Subscribe(bus)
	defer unsubscribe()

	ctx := context.Background()
	if err := bus.Start(ctx); err != nil {
		fmt.Println(err)
		return
	}
	sigs <- os.Interrupt // as if Ctrl-C were pressed
	if err := bus.Block(ctx); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(bus.State(), bus.ExitCode())
	// Output: EXITING 0
}

func ExamplePIDFile() {
	dir, err := os.MkdirTemp("", "pidfile-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "app.pid")

	bus := engine.New()
	defer (&plugins.PIDFile{Path: path}).Subscribe(bus)()

	ctx := context.Background()
	if err := bus.Start(ctx); err != nil {
		fmt.Println(err)
		return
	}
	data, _ := os.ReadFile(path)
	fmt.Println("holds our PID:", string(data) == fmt.Sprintf("%d\n", os.Getpid()))

	if err := bus.Exit(ctx); err != nil {
		fmt.Println(err)
		return
	}
	_, err = os.Stat(path)
	fmt.Println("removed on exit:", os.IsNotExist(err))
	// Output:
	// holds our PID: true
	// removed on exit: true
}

// A process started as root binds port 80 (servers start at 75) and then
// becomes www-data (at 77). Not run: it would drop the privileges of the
// test process.
func ExampleDropPrivileges() {
	bus := engine.New()
	defer (&plugins.DropPrivileges{
		User:     "www-data",
		Group:    "www-data",
		Umask:    0o027,
		SetUmask: true,
	}).Subscribe(bus)()
	// … subscribe a server on :80 here …
	if err := bus.Start(context.Background()); err != nil {
		fmt.Println(err)
	}
}

func ExampleBackgroundTask() {
	bus := engine.New()
	ran := make(chan struct{}, 1)
	task := &plugins.BackgroundTask{
		Name:     "cache-cleanup",
		Interval: 10 * time.Millisecond,
		Fn: func(ctx context.Context) error {
			select {
			case ran <- struct{}{}:
			default:
			}
			return nil
		},
	}
	defer task.Subscribe(bus)()

	ctx := context.Background()
	if err := bus.Start(ctx); err != nil {
		fmt.Println(err)
		return
	}
	<-ran
	fmt.Println("the task ran")
	if err := bus.Exit(ctx); err != nil {
		fmt.Println(err)
	}
	if err := bus.Block(ctx); err != nil { // waits for the task's goroutine
		fmt.Println(err)
	}
	// Output: the task ran
}

// In development, restart the program when it is rebuilt or its
// configuration changes. Not run: it re-executes the program.
func ExampleAutoreloader() {
	bus := engine.New()
	defer (&plugins.Autoreloader{
		Files:    []string{"config.toml", "templates/index.html"},
		Interval: 500 * time.Millisecond,
	}).Subscribe(bus)()

	ctx := context.Background()
	if err := bus.Start(ctx); err != nil {
		fmt.Println(err)
		return
	}
	if err := bus.Block(ctx); err != nil { // re-executes after a change
		fmt.Println(err)
	}
}
