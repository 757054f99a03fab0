package engine_test

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/seed-49a6713b/cherrygo/engine"
	"github.com/seed-49a6713b/cherrygo/internal/exechook"
)

// events is a goroutine-safe list of what happened, in order.
type events struct {
	mu   sync.Mutex
	list []string
}

func (e *events) add(s string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.list = append(e.list, s)
}

func (e *events) reset() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.list = nil
}

func (e *events) get() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.list)
}

// testComponent records its starts and stops; startErr or stopErr make them
// fail.
type testComponent struct {
	name     string
	ev       *events
	startErr error
	stopErr  error
}

func (c *testComponent) Start(context.Context) error {
	c.ev.add(c.name + ".start")
	return c.startErr
}

func (c *testComponent) Stop(context.Context) error {
	c.ev.add(c.name + ".stop")
	return c.stopErr
}

// stateProbe subscribes to channel a listener that records the bus's state
// while the channel is published.
func stateProbe(b *engine.Bus, ev *events, channel string) {
	b.Subscribe(channel, engine.Func(func(context.Context) error {
		ev.add(channel + ":" + b.State().String())
		return nil
	}), engine.DefaultPriority)
}

func TestLifecycleTransitions(t *testing.T) {
	b := newBus(t)
	ctx := busCtx(t)
	ev := &events{}
	for _, c := range []string{engine.ChannelStart, engine.ChannelStop, engine.ChannelExit} {
		stateProbe(b, ev, c)
	}
	expect := func(step string, want engine.State) {
		t.Helper()
		if got := b.State(); got != want {
			t.Fatalf("after %s: state %v, want %v", step, got, want)
		}
	}
	expect("New", engine.Stopped)
	if err := b.Start(ctx); err != nil {
		t.Fatal(err)
	}
	expect("Start", engine.Started)
	if err := b.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	expect("Stop", engine.Stopped)
	if err := b.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := b.Exit(ctx); err != nil {
		t.Fatal(err)
	}
	expect("Exit", engine.Exiting)
	want := []string{"start:STARTING", "stop:STOPPING", "start:STARTING", "stop:STOPPING", "exit:EXITING"}
	if got := ev.get(); !slices.Equal(got, want) {
		t.Errorf("listeners saw %v, want %v", got, want)
	}
	if code := b.ExitCode(); code != 0 {
		t.Errorf("ExitCode = %d, want 0", code)
	}
}

func TestExitFromStoppedSkipsStop(t *testing.T) {
	b := newBus(t)
	ev := &events{}
	stateProbe(b, ev, engine.ChannelStop)
	stateProbe(b, ev, engine.ChannelExit)
	if err := b.Exit(busCtx(t)); err != nil {
		t.Fatal(err)
	}
	if got := ev.get(); !slices.Equal(got, []string{"exit:EXITING"}) {
		t.Errorf("listeners saw %v, want [exit:EXITING]", got)
	}
}

// TestWaitReturnsOnStateChange runs in a synctest bubble so that the
// check "Wait has not returned while STARTING" can fail: synctest.Wait
// returns only once every goroutine of the test is blocked, so a Wait that
// returned early has sent its result by then.
func TestWaitReturnsOnStateChange(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newBus(t)
		ctx := busCtx(t)
		entered, release := make(chan struct{}), make(chan struct{})
		b.Subscribe(engine.ChannelStart, engine.Func(func(context.Context) error {
			close(entered)
			<-release
			return nil
		}), engine.DefaultPriority)

		type result struct {
			state engine.State
			err   error
		}
		waited := make(chan result, 1)
		go func() {
			s, err := b.Wait(ctx, engine.Started, engine.Exiting)
			waited <- result{s, err}
		}()
		started := make(chan error, 1)
		go func() { started <- b.Start(ctx) }()

		<-entered
		synctest.Wait()
		if got := b.State(); got != engine.Starting {
			t.Fatalf("state during start = %v, want STARTING", got)
		}
		select {
		case r := <-waited:
			t.Fatalf("Wait returned %v, %v while STARTING", r.state, r.err)
		default:
		}
		close(release)
		if r := <-waited; r.err != nil || r.state != engine.Started {
			t.Fatalf("Wait = %v, %v; want STARTED, nil", r.state, r.err)
		}
		if err := <-started; err != nil {
			t.Fatal(err)
		}
	})
}

func TestWaitAlreadyInStateAndContextEnd(t *testing.T) {
	b := newBus(t)
	if s, err := b.Wait(busCtx(t), engine.Started, engine.Stopped); err != nil || s != engine.Stopped {
		t.Fatalf("Wait on current state = %v, %v; want STOPPED, nil", s, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s, err := b.Wait(ctx, engine.Started)
	if !errors.Is(err, context.Canceled) || s != engine.Stopped {
		t.Fatalf("Wait with ended context = %v, %v; want STOPPED, context.Canceled", s, err)
	}
}

func TestCallsInTheWrongState(t *testing.T) {
	ctx := busCtx(t)
	b := newBus(t)
	starts := 0
	b.Subscribe(engine.ChannelStart, engine.Func(func(context.Context) error { starts++; return nil }), engine.DefaultPriority)
	stops := 0
	b.Subscribe(engine.ChannelStop, engine.Func(func(context.Context) error { stops++; return nil }), engine.DefaultPriority)

	if err := b.Stop(ctx); err != nil || stops != 0 {
		t.Errorf("Stop before Start = %v (stop published %d times); want nil, 0", err, stops)
	}
	if err := b.Graceful(ctx); !errors.Is(err, engine.ErrNotStarted) {
		t.Errorf("Graceful when stopped = %v, want ErrNotStarted", err)
	}
	if err := b.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := b.Start(ctx); err != nil || starts != 1 {
		t.Errorf("second Start = %v (start published %d times); want nil, 1", err, starts)
	}
	if err := b.Exit(ctx); err != nil {
		t.Fatal(err)
	}
	for name, call := range map[string]func(context.Context) error{
		"Start": b.Start, "Stop": b.Stop, "Graceful": b.Graceful,
		"StartWithCallback": func(ctx context.Context) error {
			return b.StartWithCallback(ctx, func(context.Context) { t.Error("callback ran after Exit") })
		},
	} {
		if err := call(ctx); !errors.Is(err, engine.ErrExited) {
			t.Errorf("%s after Exit = %v, want ErrExited", name, err)
		}
	}
	if err := b.Exit(ctx); err != nil {
		t.Errorf("second Exit = %v, want nil", err)
	}
	if got := b.State(); got != engine.Exiting {
		t.Errorf("state = %v, want EXITING", got)
	}
}

func TestGracefulPublishesWhenStarted(t *testing.T) {
	b := newBus(t)
	ctx := busCtx(t)
	ev := &events{}
	stateProbe(b, ev, engine.ChannelGraceful)
	failure := errors.New("reload failed")
	b.Subscribe(engine.ChannelGraceful, engine.Func(func(context.Context) error { return failure }), 90)
	if err := b.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := b.Graceful(ctx); !errors.Is(err, failure) {
		t.Fatalf("Graceful = %v, want the listener's failure", err)
	}
	if got := ev.get(); !slices.Equal(got, []string{"graceful:STARTED"}) {
		t.Errorf("listeners saw %v", got)
	}
	if got := b.State(); got != engine.Started {
		t.Errorf("state after Graceful = %v, want STARTED", got)
	}
}

func TestStartRollsBackStartedComponents(t *testing.T) {
	b := newBus(t)
	ctx := busCtx(t)
	ev := &events{}
	failure := errors.New("bind failed")
	fail := true
	b.SubscribeComponent(&testComponent{name: "a", ev: ev}, 10, 60)
	b.SubscribeComponent(&testComponent{name: "b", ev: ev}, 20, 50)
	b.Subscribe(engine.ChannelStart, engine.Func(func(context.Context) error {
		ev.add("plain.start") // no undo: a plain listener is not rolled back
		return nil
	}), 25)
	b.Subscribe(engine.ChannelStart, engine.Func(func(context.Context) error {
		ev.add("failing.start:" + b.State().String())
		if fail {
			return failure
		}
		return nil
	}), 30)
	b.SubscribeComponent(&testComponent{name: "c", ev: ev}, 40, 40)

	err := b.Start(ctx)
	if !errors.Is(err, failure) {
		t.Fatalf("Start = %v, want it to wrap the listener's error", err)
	}
	var le *engine.ListenerError
	if !errors.As(err, &le) || le.Channel != engine.ChannelStart || le.Priority != 30 {
		t.Errorf("Start error does not name the failing listener: %v", err)
	}
	if got := b.State(); got != engine.Stopped {
		t.Fatalf("state after failed start = %v, want STOPPED", got)
	}
	// The start publish stops at the failure, so c never starts (nor is
	// stopped); the roll-back stops the components that started, in
	// reverse.
	want := []string{"a.start", "b.start", "plain.start", "failing.start:STARTING", "b.stop", "a.stop"}
	if got := ev.get(); !slices.Equal(got, want) {
		t.Fatalf("events = %v, want %v", got, want)
	}

	// The bus is usable again: a second Start succeeds, and Stop stops the
	// components in stop-priority order.
	fail = false
	ev.reset()
	if err := b.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := b.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	want = []string{"a.start", "b.start", "plain.start", "failing.start:STARTING", "c.start", "c.stop", "b.stop", "a.stop"}
	if got := ev.get(); !slices.Equal(got, want) {
		t.Errorf("events = %v, want %v", got, want)
	}
}

func TestStartRollBackFailuresAreJoined(t *testing.T) {
	b := newBus(t)
	ev := &events{}
	stopFailure := errors.New("cannot stop a")
	startFailure := errors.New("cannot start b")
	b.SubscribeComponent(&testComponent{name: "a", ev: ev, stopErr: stopFailure}, 10, 10)
	b.SubscribeComponent(&testComponent{name: "b", ev: ev, startErr: startFailure}, 20, 20)

	err := b.Start(busCtx(t))
	if !errors.Is(err, startFailure) || !errors.Is(err, stopFailure) {
		t.Fatalf("Start = %v, want both the start and the roll-back failure", err)
	}
	if got := ev.get(); !slices.Equal(got, []string{"a.start", "b.start", "a.stop"}) {
		t.Errorf("events = %v (the failed component must not be stopped)", got)
	}
	if got := b.State(); got != engine.Stopped {
		t.Errorf("state = %v, want STOPPED", got)
	}
}

func TestStartRollsBackOnPanic(t *testing.T) {
	b := newBus(t)
	ev := &events{}
	b.SubscribeComponent(&testComponent{name: "a", ev: ev}, 10, 10)
	b.Subscribe(engine.ChannelStart, func(context.Context, any) (any, error) { panic("no config") }, 20)
	err := b.Start(busCtx(t))
	var le *engine.ListenerError
	if !errors.As(err, &le) || le.Panic != "no config" || len(le.Stack) == 0 {
		t.Fatalf("Start = %v, want a *ListenerError with the panic and its stack", err)
	}
	if got := ev.get(); !slices.Equal(got, []string{"a.start", "a.stop"}) {
		t.Errorf("events = %v", got)
	}
}

func TestExitRequestDuringStartRollsBackThenExits(t *testing.T) {
	b := newBus(t)
	ctx := busCtx(t)
	ev := &events{}
	b.SubscribeComponent(&testComponent{name: "a", ev: ev}, 10, 10)
	b.Subscribe(engine.ChannelStart, func(context.Context, any) (any, error) {
		return nil, &engine.ExitRequest{Code: 2}
	}, 20)
	if err := b.Start(ctx); err == nil {
		t.Fatal("Start succeeded despite the exit request")
	}
	waitState(t, b, engine.Exiting)
	if err := b.Block(ctx); err != nil {
		t.Fatal(err)
	}
	if got := b.ExitCode(); got != 2 {
		t.Errorf("ExitCode = %d, want 2", got)
	}
	if got := ev.get(); !slices.Equal(got, []string{"a.start", "a.stop"}) {
		t.Errorf("events = %v", got)
	}
}

func TestSubscribeComponentUnsubscribe(t *testing.T) {
	b := newBus(t)
	ev := &events{}
	unsub := b.SubscribeComponent(&testComponent{name: "a", ev: ev}, 10, 10)
	if b.Listeners(engine.ChannelStart) != 1 || b.Listeners(engine.ChannelStop) != 1 {
		t.Fatal("SubscribeComponent did not subscribe start and stop")
	}
	unsub()
	if b.Listeners(engine.ChannelStart) != 0 || b.Listeners(engine.ChannelStop) != 0 {
		t.Fatal("unsubscribe left listeners behind")
	}
}

func TestStopRunsEveryListenerAndEndsStopped(t *testing.T) {
	b := newBus(t)
	ctx := busCtx(t)
	ev := &events{}
	errA, errB := errors.New("a"), errors.New("b")
	b.SubscribeComponent(&testComponent{name: "a", ev: ev, stopErr: errA}, 10, 10)
	b.SubscribeComponent(&testComponent{name: "b", ev: ev, stopErr: errB}, 20, 20)
	if err := b.Start(ctx); err != nil {
		t.Fatal(err)
	}
	err := b.Stop(ctx)
	if !errors.Is(err, errA) || !errors.Is(err, errB) {
		t.Fatalf("Stop = %v, want both failures", err)
	}
	if got := b.State(); got != engine.Stopped {
		t.Errorf("state = %v, want STOPPED", got)
	}
}

func TestExitFailuresSetExitCode(t *testing.T) {
	b := newBus(t)
	ctx := busCtx(t)
	stopFailure, exitFailure := errors.New("stop"), errors.New("exit")
	b.Subscribe(engine.ChannelStop, engine.Func(func(context.Context) error { return stopFailure }), 10)
	b.Subscribe(engine.ChannelExit, engine.Func(func(context.Context) error { return exitFailure }), 10)
	if err := b.Start(ctx); err != nil {
		t.Fatal(err)
	}
	err := b.Exit(ctx)
	if !errors.Is(err, stopFailure) || !errors.Is(err, exitFailure) {
		t.Fatalf("Exit = %v, want both failures", err)
	}
	if got := b.ExitCode(); got != 1 {
		t.Errorf("ExitCode = %d, want 1", got)
	}
	if got := b.State(); got != engine.Exiting {
		t.Errorf("state = %v, want EXITING", got)
	}
}

func TestRequestExitFirstNonZeroCodeWins(t *testing.T) {
	b := newBus(t)
	b.RequestExit(0)
	b.RequestExit(3)
	b.RequestExit(4)
	waitState(t, b, engine.Exiting)
	if err := b.Block(busCtx(t)); err != nil {
		t.Fatal(err)
	}
	if got := b.ExitCode(); got != 3 {
		t.Errorf("ExitCode = %d, want 3", got)
	}
}

// TestBlockWaitsForExitThenGoroutines runs in a synctest bubble so that
// the check "Block has not returned" can fail (see
// TestWaitReturnsOnStateChange).
func TestBlockWaitsForExitThenGoroutines(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newBus(t)
		ctx := busCtx(t)
		cancelled, release := make(chan struct{}), make(chan struct{})
		b.Go(func(ctx context.Context) {
			<-ctx.Done() // the bus cancels it on exit
			close(cancelled)
			<-release
		})
		blocked := make(chan error, 1)
		go func() { blocked <- b.Block(ctx) }()

		if err := b.Exit(ctx); err != nil {
			t.Fatal(err)
		}
		<-cancelled // a hang here ends the bubble with a deadlock report
		synctest.Wait()
		select {
		case err := <-blocked:
			t.Fatalf("Block returned %v before the bus's goroutine ended", err)
		default:
		}
		close(release)
		if err := <-blocked; err != nil {
			t.Fatalf("Block = %v", err)
		}
	})
}

func TestBlockReturnsWhenContextEnds(t *testing.T) {
	b := newBus(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := b.Block(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Block = %v, want context.Canceled", err)
	}

	// Also while waiting for a goroutine after the exit.
	release := make(chan struct{})
	b.Go(func(context.Context) { <-release })
	if err := b.Exit(busCtx(t)); err != nil {
		t.Fatal(err)
	}
	if err := b.Block(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Block = %v, want context.Canceled", err)
	}
	close(release)
}

func TestGoAfterExitGetsCancelledContext(t *testing.T) {
	b := newBus(t)
	ctx := busCtx(t)
	if err := b.Exit(ctx); err != nil {
		t.Fatal(err)
	}
	got := make(chan error, 1)
	b.Go(func(ctx context.Context) { got <- ctx.Err() })
	if err := b.Block(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-got; !errors.Is(err, context.Canceled) {
		t.Errorf("context of a goroutine started after Exit: %v, want Canceled", err)
	}
}

func TestBlockPublishesMain(t *testing.T) {
	b := newBus(t, engine.WithMainInterval(1))
	ticks := 0
	b.Subscribe(engine.ChannelMain, engine.Func(func(context.Context) error {
		ticks++ // only Block publishes main: no lock needed
		if ticks == 3 {
			b.RequestExit(0)
		}
		return nil
	}), engine.DefaultPriority)
	if err := b.Block(busCtx(t)); err != nil {
		t.Fatal(err)
	}
	if ticks < 3 {
		t.Errorf("main published %d times, want at least 3", ticks)
	}
}

func TestStartWithCallback(t *testing.T) {
	b := newBus(t)
	ctx := busCtx(t)
	seen := make(chan engine.State, 1)
	if err := b.StartWithCallback(ctx, func(context.Context) { seen <- b.State() }); err != nil {
		t.Fatal(err)
	}
	select {
	case s := <-seen:
		if s != engine.Started {
			t.Errorf("callback saw %v, want STARTED", s)
		}
	case <-ctx.Done():
		t.Fatal("callback did not run")
	}
}

func TestStartWithCallbackSkipsCallbackOnFailure(t *testing.T) {
	b := newBus(t)
	failure := errors.New("nope")
	b.Subscribe(engine.ChannelStart, engine.Func(func(context.Context) error { return failure }), 10)
	err := b.StartWithCallback(busCtx(t), func(context.Context) { t.Error("callback ran after a failed start") })
	if !errors.Is(err, failure) {
		t.Fatalf("StartWithCallback = %v", err)
	}
}

// execCall is what a fake exec function saw.
type execCall struct {
	path string
	argv []string
	env  []string
	wd   string
}

// fakeExec returns ctx carrying an exec hook that reports each call on
// calls (the first one, when calls is full) and returns result. Block
// uses it in place of syscall.Exec when it is given the returned context.
func fakeExec(ctx context.Context, calls chan<- execCall, result error) context.Context {
	return exechook.With(ctx, func(path string, argv, env []string) error {
		wd, err := os.Getwd()
		if err != nil {
			return err
		}
		select {
		case calls <- execCall{path, argv, env, wd}:
		default: // a later re-exec; the test saw the first
		}
		return result
	})
}

func TestRestartReexecutesRecordedProgram(t *testing.T) {
	startDir := t.TempDir()
	t.Chdir(startDir)
	calls := make(chan execCall, 1)
	b := newBus(t)
	env := os.Environ() // t.Chdir changes PWD: keep the environment New saw
	exitSeen := make(chan struct{})
	b.Subscribe(engine.ChannelExit, engine.Func(func(context.Context) error { close(exitSeen); return nil }), 10)
	t.Chdir(t.TempDir()) // the program wanders off; the re-exec comes back

	ctx := fakeExec(busCtx(t), calls, nil)
	if err := b.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := b.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case <-exitSeen:
	default:
		t.Fatal("Restart did not publish exit")
	}
	select {
	case c := <-calls:
		t.Fatalf("exec ran before Block: %+v", c)
	default:
	}
	if err := b.Block(ctx); err != nil {
		t.Fatal(err)
	}
	c := <-calls
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if c.path != exe || !slices.Equal(c.argv, os.Args) || !slices.Equal(c.env, env) {
		t.Errorf("exec(%q, %q, …) does not repeat the program (%q, %q)", c.path, c.argv, exe, os.Args)
	}
	want, _ := filepath.EvalSymlinks(startDir)
	got, _ := filepath.EvalSymlinks(c.wd)
	if got != want {
		t.Errorf("exec ran in %s, want %s", got, want)
	}
}

func TestRequestRestartFromListener(t *testing.T) {
	calls := make(chan execCall, 1)
	failure := errors.New("exec refused")
	b := newBus(t)
	b.Subscribe("SIGHUP", engine.Func(func(context.Context) error { b.RequestRestart(); return nil }), 10)
	ctx := fakeExec(busCtx(t), calls, failure)
	if err := b.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Publish(ctx, "SIGHUP", nil); err != nil {
		t.Fatal(err)
	}
	if err := b.Block(ctx); !errors.Is(err, failure) {
		t.Fatalf("Block = %v, want the exec failure", err)
	}
	if len(calls) != 1 {
		t.Fatal("exec was not called")
	}
}

// TestConcurrentLifecycleCalls is for the race detector: lifecycle calls
// from many goroutines are serialised, and every state change stays legal
// (an illegal one panics).
func TestConcurrentLifecycleCalls(t *testing.T) {
	b := newBus(t)
	ctx := busCtx(t)
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var err error
			switch i % 4 {
			case 0:
				err = b.Start(ctx)
			case 1:
				err = b.Stop(ctx)
			case 2:
				if err = b.Graceful(ctx); errors.Is(err, engine.ErrNotStarted) {
					err = nil
				}
			case 3:
				_, err = b.Wait(ctx, engine.Started, engine.Stopped)
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if s := b.State(); s != engine.Started && s != engine.Stopped {
		t.Errorf("state = %v, want STARTED or STOPPED", s)
	}
}

// logRecorder is a slog.Handler that keeps the records it is given.
type logRecorder struct {
	mu      sync.Mutex
	records []slog.Record
}

func (h *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (h *logRecorder) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *logRecorder) WithGroup(string) slog.Handler            { return h }
func (h *logRecorder) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.records = append(h.records, r.Clone())
	return nil
}

// moves returns "FROM→TO" for each "bus state" record.
func (h *logRecorder) moves() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, r := range h.records {
		if r.Message != "bus state" {
			continue
		}
		var from, to string
		r.Attrs(func(a slog.Attr) bool {
			switch a.Key {
			case "from":
				from = a.Value.String()
			case "to":
				to = a.Value.String()
			}
			return true
		})
		out = append(out, from+"→"+to)
	}
	return out
}

func TestStateChangesAreLogged(t *testing.T) {
	rec := &logRecorder{}
	logger := slog.New(rec)
	b := newBus(t, engine.WithLogger(logger))
	if b.Logger() != logger {
		t.Error("Logger() does not return the injected logger")
	}
	ctx := busCtx(t)
	fail := true
	b.Subscribe(engine.ChannelStart, engine.Func(func(context.Context) error {
		if fail {
			return errors.New("first start fails")
		}
		return nil
	}), 10)
	if err := b.Start(ctx); err == nil {
		t.Fatal("first Start succeeded")
	}
	fail = false
	if err := b.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := b.Exit(ctx); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"STOPPED→STARTING", "STARTING→STOPPING", "STOPPING→STOPPED",
		"STOPPED→STARTING", "STARTING→STARTED",
		"STARTED→STOPPING", "STOPPING→STOPPED", "STOPPED→EXITING",
	}
	if got := rec.moves(); !slices.Equal(got, want) {
		t.Errorf("logged moves %v, want %v", got, want)
	}
}

func TestWithLoggerNilKeepsDefault(t *testing.T) {
	b := engine.New(engine.WithLogger(nil))
	if b.Logger() == nil {
		t.Fatal("WithLogger(nil) left the bus without a logger")
	}
}

func TestStartStopsAtFirstFailure(t *testing.T) {
	b := newBus(t)
	ev := &events{}
	bindFailure := errors.New("address already in use")
	b.SubscribeComponent(&testComponent{name: "pidfile", ev: ev}, engine.PriorityPIDFile, engine.DefaultPriority)
	b.SubscribeComponent(&testComponent{name: "server", ev: ev, startErr: bindFailure}, engine.PriorityServerStart, engine.PriorityServerStop)
	b.Subscribe(engine.ChannelStart, engine.Func(func(context.Context) error {
		ev.add("drop privileges")
		return nil
	}), engine.PriorityDropPrivs)

	err := b.Start(busCtx(t))
	var ce *engine.ChannelError
	if !errors.As(err, &ce) || !errors.Is(err, bindFailure) || len(ce.Errs) != 1 {
		t.Fatalf("Start = %v, want a *ChannelError holding only the bind failure", err)
	}
	want := []string{"pidfile.start", "server.start", "pidfile.stop"}
	if got := ev.get(); !slices.Equal(got, want) {
		t.Errorf("events = %v, want %v (nothing may run after the failed bind)", got, want)
	}
}

func TestExitInFlightIsNotTurnedIntoRestart(t *testing.T) {
	for _, tc := range []struct {
		name    string
		calls   func(ctx context.Context, b *engine.Bus) error
		reexecs bool
	}{
		{"RequestExit then RequestRestart", func(_ context.Context, b *engine.Bus) error {
			b.RequestExit(0) // SIGTERM
			b.RequestRestart()
			return nil // SIGHUP
		}, false},
		{"Exit then Restart", func(ctx context.Context, b *engine.Bus) error {
			return errors.Join(b.Exit(ctx), b.Restart(ctx))
		}, false},
		{"Exit then RequestRestart", func(ctx context.Context, b *engine.Bus) error {
			err := b.Exit(ctx)
			b.RequestRestart()
			return err
		}, false},
		{"RequestRestart then RequestExit", func(_ context.Context, b *engine.Bus) error {
			b.RequestRestart()
			b.RequestExit(0)
			return nil
		}, true},
		{"Restart then Exit", func(ctx context.Context, b *engine.Bus) error {
			return errors.Join(b.Restart(ctx), b.Exit(ctx))
		}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			calls := make(chan execCall, 1)
			b := newBus(t)
			ctx := fakeExec(busCtx(t), calls, nil)
			if err := b.Start(ctx); err != nil {
				t.Fatal(err)
			}
			if err := tc.calls(ctx, b); err != nil {
				t.Fatal(err)
			}
			if err := b.Block(ctx); err != nil {
				t.Fatal(err)
			}
			if got := len(calls) == 1; got != tc.reexecs {
				t.Errorf("re-executed: %v, want %v", got, tc.reexecs)
			}
		})
	}
}

func TestExitRequestFromStopListenerIsNotAFailure(t *testing.T) {
	for _, tc := range []struct {
		name     string
		code     int
		failToo  bool
		wantCode int
	}{
		{"code 0", 0, false, 0},
		{"code kept", 5, false, 5},
		{"real failure before it", 0, true, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newBus(t)
			ctx := busCtx(t)
			failure := errors.New("stop failed")
			if tc.failToo {
				b.Subscribe(engine.ChannelStop, engine.Func(func(context.Context) error { return failure }), 10)
			}
			b.Subscribe(engine.ChannelStop, func(context.Context, any) (any, error) {
				return nil, &engine.ExitRequest{Code: tc.code}
			}, 20)
			if err := b.Start(ctx); err != nil {
				t.Fatal(err)
			}
			err := b.Exit(ctx)
			if tc.failToo != (err != nil) || (err != nil && !errors.Is(err, failure)) {
				t.Errorf("Exit = %v, want only real failures", err)
			}
			var exit *engine.ExitRequest
			if errors.As(err, &exit) {
				t.Errorf("Exit returned the exit request as a failure: %v", err)
			}
			if err := b.Block(ctx); err != nil {
				t.Fatal(err)
			}
			if got := b.ExitCode(); got != tc.wantCode {
				t.Errorf("ExitCode = %d, want %d", got, tc.wantCode)
			}
		})
	}
}

func TestExitRequestMessageHasOnePrefix(t *testing.T) {
	err := &engine.ChannelError{Channel: engine.ChannelStop, Errs: []error{&engine.ExitRequest{Code: 0}}}
	if got, want := err.Error(), "engine: exit requested with code 0"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestStopTimeoutDefault(t *testing.T) {
	if got := engine.New().StopTimeout(); got != engine.DefaultStopTimeout {
		t.Errorf("StopTimeout = %v, want %v", got, engine.DefaultStopTimeout)
	}
	if got := engine.New(engine.WithStopTimeout(-1)).StopTimeout(); got != 0 {
		t.Errorf("StopTimeout after WithStopTimeout(-1) = %v, want 0", got)
	}
}

// TestRequestExitIsBounded runs on synctest's fake clock: a stop listener
// that waits for its context ends the background exit after the stop
// timeout instead of holding it up for ever.
func TestRequestExitIsBounded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const bound = 5 * time.Second
		b := newBus(t, engine.WithStopTimeout(bound))
		ctx := busCtx(t)
		b.Subscribe(engine.ChannelStop, engine.Func(func(ctx context.Context) error {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-t.Context().Done(): // the test failed: let the exit end
				return errors.New("test ended")
			}
		}), 10)
		if err := b.Start(ctx); err != nil {
			t.Fatal(err)
		}
		begin := time.Now()
		b.RequestExit(0)
		if err := b.Block(ctx); err != nil {
			t.Fatalf("Block = %v: the exit was not bounded", err)
		}
		if took := time.Since(begin); took != bound {
			t.Errorf("exit took %v, want the stop timeout %v", took, bound)
		}
		if got := b.ExitCode(); got != 1 {
			t.Errorf("ExitCode = %d, want 1 (the stop listener failed)", got)
		}
	})
}
