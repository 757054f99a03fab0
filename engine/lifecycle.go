package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"syscall"
	"time"

	"github.com/seed-49a6713b/cherrygo/internal/exechook"
)

// Start moves the bus from Stopped to Started by publishing the start
// channel.
//
// If a start listener fails, the publish stops there: the start listeners
// after it do not run (a server that failed to bind at PriorityServerStart
// does not let PriorityDropPrivs drop privileges, for example). Start then
// rolls back: the components whose start already succeeded are stopped in
// reverse order (see SubscribeComponent), the bus ends in Stopped, and Start
// returns a *ChannelError holding the failure and any roll-back failures. It
// never ends the process.
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
	_, started, ce := b.publish(ctx, ChannelStart, list, nil, true)
	if ce == nil {
		b.setState(Started)
		return nil
	}
	b.log.Error("start failed: rolling back", "err", ce)
	b.setState(Stopping)
	for _, s := range slices.Backward(started) {
		if s.undo == nil {
			continue
		}
		if _, uerr := call(ctx, &subscription{channel: ChannelStop, priority: s.priority, fn: s.undo}, nil); uerr != nil {
			b.log.Error("roll-back failed", "err", uerr)
			// The roll-back's own failures belong to the same report.
			ce.Errs = append(ce.Errs, uerr)
		}
	}
	b.setState(Stopped)
	return ce
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
// ExitCode 1. An *ExitRequest returned by a stop or exit listener is a
// request, not a failure: its code counts as RequestExit's would (see
// ExitCode), and Exit does not return it. Exit on an exited bus does
// nothing and returns nil; while another exit runs, Exit waits for it and
// then returns nil.
func (b *Bus) Exit(ctx context.Context) error {
	b.beginExit(false)
	return b.exit(ctx)
}

// exit runs the exit that beginExit recorded.
func (b *Bus) exit(ctx context.Context) error {
	b.lifeMu.Lock()
	defer b.lifeMu.Unlock()
	if b.State() == Exiting {
		return nil
	}
	stopErr := failures(b.stopLocked(ctx))
	b.setState(Exiting)
	_, exitErr := b.Publish(ctx, ChannelExit, nil)
	b.goCancel()
	err := errors.Join(stopErr, failures(exitErr))
	if err != nil {
		b.setExitCode(1)
	}
	close(b.exited)
	return err
}

// failures returns err without the *ExitRequest values it holds (they are
// requests, honoured through RequestExit, not failures), or nil when
// nothing else is left.
func failures(err error) error {
	var ce *ChannelError
	if !errors.As(err, &ce) {
		return err
	}
	var rest []error
	for _, e := range ce.Errs {
		var exit *ExitRequest
		if !errors.As(e, &exit) {
			rest = append(rest, e)
		}
	}
	if len(rest) == 0 {
		return nil
	}
	return &ChannelError{Channel: ce.Channel, Errs: rest}
}

// beginExit records that an exit is under way and reports whether this is
// the first one. Only the first exit decides whether the program is
// re-executed: a Restart after an Exit (or a SIGHUP after a SIGTERM) does
// not turn the exit already in flight into a restart.
func (b *Bus) beginExit(restart bool) (first bool) {
	b.stateMu.Lock()
	defer b.stateMu.Unlock()
	if b.exitBegun {
		return false
	}
	b.exitBegun = true
	b.restart = restart
	return true
}

// RequestExit asks the bus to exit with code, in the background, and returns
// at once. It is the way for listeners and servers to end the process: they
// must not call Exit themselves while the bus may be waiting on them. The
// first non-zero code counts (see ExitCode); only the first request starts
// an exit (none when Exit or Restart was already called), and the goroutine
// running it belongs to the bus (Block waits for it).
//
// The background exit runs with a context that ends after the stop timeout
// (see WithStopTimeout), so a stop or exit listener that hangs cannot keep
// the process from exiting.
func (b *Bus) RequestExit(code int) {
	b.setExitCode(code)
	b.requestExit(false)
}

func (b *Bus) requestExit(restart bool) {
	if !b.beginExit(restart) {
		return
	}
	b.goAdd()
	go func() {
		defer b.goDone()
		ctx, cancel := b.stopContext()
		defer cancel()
		if err := b.exit(ctx); err != nil {
			b.log.Error("exit failed", "err", err)
		}
	}()
}

// stopContext returns the context of a background exit: bounded by the
// stop timeout, unless that is not positive.
func (b *Bus) stopContext() (context.Context, context.CancelFunc) {
	if b.stopTimeout <= 0 {
		return context.WithCancel(context.Background())
	}
	return context.WithTimeout(context.Background(), b.stopTimeout)
}

// Restart exits the bus and marks it for re-execution: once Block has seen
// Exiting and every goroutine of the bus has finished, it re-executes the
// same program with the arguments, environment and working directory it had
// when New was called. When an exit is already under way (Exit,
// RequestExit, a signal), Restart does not mark anything: the process exits
// as asked first.
func (b *Bus) Restart(ctx context.Context) error {
	b.beginExit(true)
	return b.exit(ctx)
}

// RequestRestart is the background form of Restart, for listeners. Like
// Restart, it does nothing when an exit is already under way.
func (b *Bus) RequestRestart() {
	b.requestExit(true)
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
	return b.reexec(ctx)
}

// reexec replaces the process with the program New recorded. It calls
// syscall.Exec, unless ctx carries an exec hook (internal/exechook), which
// only the kit's tests set.
func (b *Bus) reexec(ctx context.Context) error {
	if b.exePath == "" {
		return errors.New("engine: restart: cannot find the program's executable")
	}
	if b.wd != "" {
		if err := os.Chdir(b.wd); err != nil {
			return fmt.Errorf("engine: restart: %w", err)
		}
	}
	b.log.Info("re-executing", "path", b.exePath, "args", b.args)
	exec, ok := exechook.From(ctx)
	if !ok {
		exec = syscall.Exec
	}
	if err := exec(b.exePath, b.args, b.env); err != nil {
		return fmt.Errorf("engine: restart: re-exec %s: %w", b.exePath, err)
	}
	return nil
}
