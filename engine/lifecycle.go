package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"time"
)

// Start moves the bus from Stopped to Started by publishing the start
// channel.
//
// If a start listener fails, Start rolls back: the components whose start
// already succeeded are stopped in reverse order (see SubscribeComponent),
// the bus ends in Stopped, and Start returns every failure joined. It never
// ends the process.
//
// Start on a Started bus does nothing and returns nil; after Exit it returns
// ErrExited.
func (b *Bus) Start(ctx context.Context) error {
	b.lifeMu.Lock()
	defer b.lifeMu.Unlock()
	switch b.State() {
	case Started:
		b.log.Info("bus already started")
		return nil
	case Exiting:
		return ErrExited
	}
	b.setState(Starting)
	list := (*b.subs.Load())[ChannelStart]
	if len(list) == 0 {
		b.setState(Started)
		return nil
	}
	_, started, err := b.publish(ctx, ChannelStart, list, nil, true)
	if err == nil {
		b.setState(Started)
		return nil
	}
	b.log.Error("start failed: rolling back", "err", err)
	b.setState(Stopping)
	var undoErrs []error
	for _, s := range slices.Backward(started) {
		if s.undo == nil {
			continue
		}
		if _, uerr := call(ctx, &subscription{channel: ChannelStop, priority: s.priority, fn: s.undo}, nil); uerr != nil {
			b.log.Error("roll-back failed", "err", uerr)
			undoErrs = append(undoErrs, uerr)
		}
	}
	b.setState(Stopped)
	if ce, ok := err.(*ChannelError); ok {
		// The roll-back's own failures belong to the same report.
		ce.Errs = append(ce.Errs, undoErrs...)
		return ce
	}
	return errors.Join(append([]error{err}, undoErrs...)...)
}

// StartWithCallback starts the bus and then runs fn in a goroutine owned by
// the bus (Block waits for it). fn does not run when Start fails.
func (b *Bus) StartWithCallback(ctx context.Context, fn func(ctx context.Context)) error {
	if err := b.Start(ctx); err != nil {
		return err
	}
	b.Go(fn)
	return nil
}

// Stop moves the bus from Started to Stopped by publishing the stop channel.
// Every stop listener runs even when some fail; their failures are returned
// joined and the bus still ends in Stopped.
//
// Stop on a Stopped bus does nothing and returns nil; after Exit it returns
// ErrExited.
func (b *Bus) Stop(ctx context.Context) error {
	b.lifeMu.Lock()
	defer b.lifeMu.Unlock()
	if b.State() == Exiting {
		return ErrExited
	}
	return b.stopLocked(ctx)
}

func (b *Bus) stopLocked(ctx context.Context) error {
	if b.State() != Started {
		return nil
	}
	b.setState(Stopping)
	_, err := b.Publish(ctx, ChannelStop, nil)
	b.setState(Stopped)
	return err
}

// Graceful publishes the graceful channel: listeners reload what they can
// without the process going down (the background task restarts, for
// example). It needs a Started bus and returns ErrNotStarted otherwise, or
// ErrExited after Exit.
func (b *Bus) Graceful(ctx context.Context) error {
	b.lifeMu.Lock()
	defer b.lifeMu.Unlock()
	switch b.State() {
	case Exiting:
		return ErrExited
	case Started:
	default:
		return ErrNotStarted
	}
	_, err := b.Publish(ctx, ChannelGraceful, nil)
	return err
}

// Exit stops the bus if it is Started, moves it to Exiting (terminal) and
// publishes the exit channel. The goroutines started by Go see their
// context cancelled. Failures of stop or exit listeners are returned and make
// ExitCode 1. Exit on an exited bus does nothing and returns nil.
func (b *Bus) Exit(ctx context.Context) error {
	b.lifeMu.Lock()
	defer b.lifeMu.Unlock()
	if b.State() == Exiting {
		return nil
	}
	stopErr := b.stopLocked(ctx)
	b.setState(Exiting)
	_, exitErr := b.Publish(ctx, ChannelExit, nil)
	b.goCancel()
	err := errors.Join(stopErr, exitErr)
	if err != nil {
		b.setExitCode(1)
	}
	close(b.exited)
	return err
}

// RequestExit asks the bus to exit with code, in the background, and returns
// at once. It is the way for listeners and servers to end the process: they
// must not call Exit themselves while the bus may be waiting on them. The
// first non-zero code counts (see ExitCode); only the first request starts
// an exit, and the goroutine running it belongs to the bus (Block waits for
// it).
func (b *Bus) RequestExit(code int) {
	b.setExitCode(code)
	b.exitOnce.Do(func() {
		b.goAdd()
		go func() {
			defer b.goDone()
			if err := b.Exit(context.Background()); err != nil {
				b.log.Error("exit failed", "err", err)
			}
		}()
	})
}

// Restart exits the bus and marks it for re-execution: once Block has seen
// Exiting and every goroutine of the bus has finished, it re-executes the
// same program with the arguments, environment and working directory it had
// when New was called.
func (b *Bus) Restart(ctx context.Context) error {
	b.stateMu.Lock()
	b.restart = true
	b.stateMu.Unlock()
	return b.Exit(ctx)
}

// RequestRestart is the background form of Restart, for listeners.
func (b *Bus) RequestRestart() {
	b.stateMu.Lock()
	b.restart = true
	b.stateMu.Unlock()
	b.RequestExit(0)
}

// Block waits until the bus has exited, exit listeners included (publishing
// main at the interval set by WithMainInterval, if any), then for every
// goroutine owned by the bus (those started by Go or StartWithCallback, and
// a background exit). If Restart was called, it then re-executes the
// program and, when that works, never returns. It returns ctx's error when
// ctx ends first, or the re-exec error; Block starts no goroutine of its
// own, so returning early leaves nothing behind.
func (b *Bus) Block(ctx context.Context) error {
	var tick <-chan time.Time
	if b.mainInterval > 0 {
		t := time.NewTicker(b.mainInterval)
		defer t.Stop()
		tick = t.C
	}
wait:
	for {
		select {
		case <-b.exited:
			break wait
		case <-tick:
			b.Publish(ctx, ChannelMain, nil) //nolint:errcheck // listeners log their own failures
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if err := b.waitGoroutines(ctx); err != nil {
		return err
	}
	b.stateMu.Lock()
	restart := b.restart
	b.stateMu.Unlock()
	if !restart {
		return nil
	}
	return b.reexec()
}

func (b *Bus) reexec() error {
	if b.exePath == "" {
		return errors.New("engine: restart: cannot find the program's executable")
	}
	if b.wd != "" {
		if err := os.Chdir(b.wd); err != nil {
			return fmt.Errorf("engine: restart: %w", err)
		}
	}
	b.log.Info("re-executing", "path", b.exePath, "args", b.args)
	if err := b.exec(b.exePath, b.args, b.env); err != nil {
		return fmt.Errorf("engine: restart: re-exec %s: %w", b.exePath, err)
	}
	return nil
}
