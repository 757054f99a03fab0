package plugins

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-49a6713b/cherrygo/engine"
)

// running reports whether the task's goroutine is meant to run.
func (t *BackgroundTask) running() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.cancel != nil
}

// ctxRecorder returns a task function that reports the context of every
// call on a buffered channel, dropping reports nobody has room for.
func ctxRecorder(n int) (func(context.Context) error, <-chan context.Context) {
	ch := make(chan context.Context, n)
	return func(ctx context.Context) error {
		select {
		case ch <- ctx:
		default:
		}
		return nil
	}, ch
}

// TestTaskSchedule checks the timing on synctest's fake clock: the sleeps
// below advance that clock, they do not wait for real time.
func TestTaskSchedule(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var calls atomic.Int32
		b := newBus(t)
		task := &BackgroundTask{Name: "tick", Interval: time.Second, Fn: func(context.Context) error {
			calls.Add(1)
			return nil
		}}
		t.Cleanup(task.Subscribe(b))
		ctx := testCtx(t)

		advance(5 * time.Second)
		assert.Zero(t, calls.Load(), "no call before the bus starts")

		require.NoError(t, b.Start(ctx))
		advance(3500 * time.Millisecond)
		assert.EqualValues(t, 3, calls.Load(), "one call per interval, the first after one interval")

		require.NoError(t, b.Graceful(ctx))
		advance(900 * time.Millisecond)
		assert.EqualValues(t, 3, calls.Load(), "the new run's first call comes one interval after graceful")
		advance(200 * time.Millisecond)
		assert.EqualValues(t, 4, calls.Load())

		require.NoError(t, b.Stop(ctx))
		advance(10 * time.Second)
		assert.EqualValues(t, 4, calls.Load(), "no call after stop")

		require.NoError(t, b.Start(ctx))
		advance(1500 * time.Millisecond)
		assert.EqualValues(t, 5, calls.Load(), "runs again after a new start")
	})
}

func TestTaskFailureLoggedAndContinues(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		log, buf := newLogger()
		var calls atomic.Int32
		b := newBus(t, engine.WithLogger(log))
		task := &BackgroundTask{Name: "flaky", Interval: time.Second, Fn: func(context.Context) error {
			switch calls.Add(1) {
			case 1:
				return errors.New("disk full")
			case 2:
				panic("boom")
			}
			return nil
		}}
		t.Cleanup(task.Subscribe(b))
		require.NoError(t, b.Start(testCtx(t)))
		advance(4500 * time.Millisecond)
		assert.EqualValues(t, 4, calls.Load(), "the task goes on after an error and a panic")
		out := buf.String()
		assert.Equal(t, 2, strings.Count(out, "background task failed"), out)
		assert.Contains(t, out, "disk full")
		assert.Contains(t, out, "panicked: boom")
		assert.Contains(t, out, "task=flaky")
	})
}

func TestTaskRuns(t *testing.T) {
	b := newBus(t)
	fn, calls := ctxRecorder(16)
	t.Cleanup((&BackgroundTask{Name: "real", Interval: time.Millisecond, Fn: fn}).Subscribe(b))
	require.NoError(t, b.Start(testCtx(t)))
	for i := range 3 {
		ctx := receive(t, calls, "a call")
		assert.NoError(t, ctx.Err(), "call %d", i)
	}
}

func TestTaskGracefulStartsNewRun(t *testing.T) {
	b := newBus(t)
	fn, calls := ctxRecorder(64)
	t.Cleanup((&BackgroundTask{Interval: time.Millisecond, Fn: fn}).Subscribe(b))
	require.NoError(t, b.Start(testCtx(t)))
	first := receive(t, calls, "a call of the first run")

	require.NoError(t, b.Graceful(testCtx(t)))
	assert.Error(t, first.Err(), "graceful stopped the first run")
	deadline := time.After(waitTimeout)
	for {
		select {
		case ctx := <-calls:
			if ctx == first {
				continue // queued before the restart
			}
			assert.NoError(t, ctx.Err())
			return
		case <-deadline:
			t.Fatal("no call from a new run after graceful")
		}
	}
}

func TestTaskStopCancelsAndWaits(t *testing.T) {
	b := newBus(t)
	entered := make(chan struct{}, 1)
	var returned atomic.Bool
	task := &BackgroundTask{Interval: time.Millisecond, Fn: func(ctx context.Context) error {
		select {
		case entered <- struct{}{}:
		default:
		}
		<-ctx.Done()
		returned.Store(true)
		return ctx.Err() // not logged: the task was stopped
	}}
	t.Cleanup(task.Subscribe(b))
	require.NoError(t, b.Start(testCtx(t)))
	receive(t, entered, "the call")
	require.NoError(t, b.Stop(testCtx(t)))
	assert.True(t, returned.Load(), "Stop waited for the call in progress")
	assert.False(t, task.running())
}

func TestTaskStopGivesUp(t *testing.T) {
	b := newBus(t)
	entered := make(chan struct{}, 1)
	release := make(chan struct{})
	task := &BackgroundTask{Name: "stuck", Interval: time.Millisecond, Fn: func(context.Context) error {
		select {
		case entered <- struct{}{}:
		default:
		}
		<-release // ignores its context
		return nil
	}}
	t.Cleanup(task.Subscribe(b))
	defer close(release)
	require.NoError(t, b.Start(testCtx(t)))
	receive(t, entered, "the call")
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	err := b.Stop(ctx)
	require.ErrorIs(t, err, context.Canceled)
	assert.Contains(t, err.Error(), `"stuck" did not stop`)
}

func TestTaskExitStops(t *testing.T) {
	b := newBus(t)
	fn, calls := ctxRecorder(4)
	task := &BackgroundTask{Interval: time.Millisecond, Fn: fn}
	t.Cleanup(task.Subscribe(b))
	require.NoError(t, b.Start(testCtx(t)))
	ctx := receive(t, calls, "a call")
	require.NoError(t, b.Exit(testCtx(t)))
	require.NoError(t, b.Block(testCtx(t)), "Block waits for the task's goroutine")
	assert.Error(t, ctx.Err())
	assert.False(t, task.running())
}

func TestTaskRolledBackWhenLaterStartFails(t *testing.T) {
	b := newBus(t)
	fn, _ := ctxRecorder(1)
	task := &BackgroundTask{Interval: time.Hour, Fn: fn}
	t.Cleanup(task.Subscribe(b))
	t.Cleanup(b.Subscribe(engine.ChannelStart, engine.Func(func(context.Context) error {
		assert.True(t, task.running(), "the task started before this listener")
		return errors.New("bind failed")
	}), engine.PriorityServerStart))
	require.ErrorContains(t, b.Start(testCtx(t)), "bind failed")
	assert.False(t, task.running(), "rolled back")
}

func TestTaskInvalid(t *testing.T) {
	fn, _ := ctxRecorder(1)
	for name, task := range map[string]*BackgroundTask{
		"no function":   {Name: "x", Interval: time.Second},
		"zero interval": {Name: "x", Fn: fn},
	} {
		t.Run(name, func(t *testing.T) {
			b := newBus(t)
			t.Cleanup(task.Subscribe(b))
			require.ErrorContains(t, b.Start(testCtx(t)), `background task "x"`)
			assert.False(t, task.running())
		})
	}
}

func TestTaskUnsubscribe(t *testing.T) {
	b := newBus(t)
	fn, _ := ctxRecorder(1)
	task := &BackgroundTask{Interval: time.Hour, Fn: fn}
	unsubscribe := task.Subscribe(b)
	require.NoError(t, b.Start(testCtx(t)))
	require.True(t, task.running())
	unsubscribe()
	unsubscribe()
	assert.False(t, task.running())
	assert.Zero(t, b.Listeners(engine.ChannelStart))
	assert.Zero(t, b.Listeners(engine.ChannelStop))
	assert.Zero(t, b.Listeners(engine.ChannelGraceful))
}

func TestTaskPanicError(t *testing.T) {
	err := callTask(context.Background(), func(context.Context) error { panic(context.DeadlineExceeded) })
	var pe *TaskPanicError
	require.ErrorAs(t, err, &pe)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.NotEmpty(t, pe.Stack)
}

// TestTaskIgnoringContextDoesNotHangExit runs on synctest's fake clock: a
// task whose function ignores its context holds a background exit up for
// the bus's stop timeout only, and the give-up is logged.
func TestTaskIgnoringContextDoesNotHangExit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const bound = 3 * time.Second
		log, buf := newLogger()
		b := newBus(t, engine.WithStopTimeout(bound), engine.WithLogger(log))
		ctx := testCtx(t)
		entered := make(chan struct{}, 1)
		release := make(chan struct{})
		task := &BackgroundTask{Name: "stuck", Interval: time.Second, Fn: func(context.Context) error {
			select {
			case entered <- struct{}{}:
			default:
			}
			<-release // ignores its context
			return nil
		}}
		t.Cleanup(task.Subscribe(b))
		exited := make(chan struct{})
		t.Cleanup(b.Subscribe(engine.ChannelExit, engine.Func(func(context.Context) error {
			close(exited)
			return nil
		}), engine.DefaultPriority))
		require.NoError(t, b.Start(ctx))
		<-entered

		begin := time.Now()
		b.RequestExit(0) // what SIGTERM does
		<-exited         // without the bound: a deadlock, which fails the bubble
		assert.Equal(t, bound, time.Since(begin), "the exit waited for the stop timeout")
		assert.Contains(t, buf.String(), "did not stop in time")

		close(release)
		require.NoError(t, b.Block(ctx), "Block still waits for the task's goroutine")
		// The exit code is final once Block returned, not yet when the
		// exit listeners ran.
		assert.Equal(t, 1, b.ExitCode(), "the task's failed stop is a failure")
	})
}
