package plugins

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	"github.com/seed-49a6713b/cherrygo/engine"
)

// BackgroundTask calls Fn every Interval while the bus is started
// (CherryPy's Monitor and BackgroundTask). The calls run one after the
// other in a single goroutine owned by the bus (engine.Bus.Go), so Block
// waits for the task before it returns.
//
// The task starts with the bus (at engine.PriorityMonitor), stops with it,
// and restarts on graceful: the goroutine is stopped and a new one is
// started, whose first call comes one Interval later. The first call of
// every run comes one Interval after the start, not at once.
//
// Fn receives a context that is cancelled when the task stops; stopping
// waits for a call in progress to return, but no longer than the stop
// listener's context allows (the bus bounds a background exit, see
// engine.WithStopTimeout): an Fn that ignores its context is then logged
// and left to finish on its own, and the stop fails. An error returned by Fn, or a
// panic, is logged and the task goes on with the next tick. A tick that
// falls while Fn still runs is dropped rather than queued.
//
// A BackgroundTask serves one bus at a time.
type BackgroundTask struct {
	// Name identifies the task in log lines.
	Name string

	// Interval is the time between two calls. It must be positive.
	Interval time.Duration

	// Fn is the function to call. It must be set.
	Fn func(ctx context.Context) error

	mu     sync.Mutex         // guards cancel and done
	cancel context.CancelFunc // stops the running goroutine; nil when stopped
	done   chan struct{}      // closed when the running goroutine returns
}

// Subscribe starts the task on start, stops it on stop and restarts it on
// graceful. A later start listener that fails stops it again (see
// engine.Bus.SubscribeComponent). The returned function removes the
// listeners and stops the task if it runs; it is idempotent.
func (t *BackgroundTask) Subscribe(b *engine.Bus) (unsubscribe func()) {
	log := b.Logger()
	log = log.With("task", t.Name)
	comp := &taskComponent{
		start: func(context.Context) error { return t.start(b, log) },
		stop:  func(ctx context.Context) error { return t.stop(ctx, log) },
	}
	unsubComp := b.SubscribeComponent(comp, engine.PriorityMonitor, engine.DefaultPriority)
	unsubGraceful := b.Subscribe(engine.ChannelGraceful, engine.Func(func(ctx context.Context) error {
		return t.restart(ctx, b, log)
	}), engine.DefaultPriority)
	var once sync.Once
	return func() {
		once.Do(func() {
			unsubComp()
			unsubGraceful()
			ctx, cancel := context.Background(), context.CancelFunc(func() {})
			if d := b.StopTimeout(); d > 0 {
				ctx, cancel = context.WithTimeout(ctx, d)
			}
			defer cancel()
			if err := t.stop(ctx, log); err != nil {
				log.Error("background task: stop on unsubscribe failed", "err", err)
			}
		})
	}
}

// taskComponent adapts start and stop functions to engine.Component.
type taskComponent struct {
	start func(ctx context.Context) error
	stop  func(ctx context.Context) error
}

func (c *taskComponent) Start(ctx context.Context) error { return c.start(ctx) }
func (c *taskComponent) Stop(ctx context.Context) error  { return c.stop(ctx) }

// start launches the goroutine unless it already runs.
func (t *BackgroundTask) start(b *engine.Bus, log *slog.Logger) error {
	if t.Fn == nil {
		return fmt.Errorf("plugins: background task %q: no function set", t.Name)
	}
	if t.Interval <= 0 {
		return fmt.Errorf("plugins: background task %q: interval %v is not positive", t.Name, t.Interval)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.cancel != nil {
		return nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	t.cancel, t.done = cancel, done
	fn, interval := t.Fn, t.Interval
	b.Go(func(busCtx context.Context) {
		defer close(done)
		// The bus cancels busCtx when it exits; stop cancels ctx.
		unlink := context.AfterFunc(busCtx, cancel)
		defer unlink()
		runTask(ctx, fn, interval, log)
	})
	log.Info("background task started", "interval", interval)
	return nil
}

// stop cancels the goroutine and waits for it, or for ctx.
func (t *BackgroundTask) stop(ctx context.Context, log *slog.Logger) error {
	t.mu.Lock()
	cancel, done := t.cancel, t.done
	t.cancel, t.done = nil, nil
	t.mu.Unlock()
	if cancel == nil {
		return nil
	}
	cancel()
	select {
	case <-done:
		log.Info("background task stopped")
		return nil
	case <-ctx.Done():
		// Fn ignores its context. The goroutine still belongs to the bus
		// (Block waits for it), but the stop does not wait any longer.
		log.Error("background task did not stop in time: giving up waiting", "err", ctx.Err())
		return fmt.Errorf("plugins: background task %q did not stop: %w", t.Name, ctx.Err())
	}
}

// restart is the graceful listener: stop, then start again.
func (t *BackgroundTask) restart(ctx context.Context, b *engine.Bus, log *slog.Logger) error {
	if err := t.stop(ctx, log); err != nil {
		return err
	}
	return t.start(b, log)
}

// runTask calls fn at every tick until ctx ends.
func runTask(ctx context.Context, fn func(context.Context) error, interval time.Duration, log *slog.Logger) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			if err := callTask(ctx, fn); err != nil && !(ctx.Err() != nil && errors.Is(err, ctx.Err())) {
				log.Error("background task failed", "err", err)
			}
		}
	}
}

// callTask runs fn once, turning a panic into an error.
func callTask(ctx context.Context, fn func(context.Context) error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = &TaskPanicError{Value: p, Stack: debug.Stack()}
		}
	}()
	return fn(ctx)
}

// TaskPanicError is what a panic in a BackgroundTask's function becomes
// before it is logged.
type TaskPanicError struct {
	Value any    // the recovered value
	Stack []byte // the stack of the panicking call
}

func (e *TaskPanicError) Error() string {
	return fmt.Sprintf("plugins: background task panicked: %v\n%s", e.Value, e.Stack)
}

// Unwrap returns the panic value when it is an error.
func (e *TaskPanicError) Unwrap() error {
	err, _ := e.Value.(error)
	return err
}
