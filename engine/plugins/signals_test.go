package plugins

import (
	"context"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-49a6713b/cherrygo/engine"
	"github.com/seed-49a6713b/cherrygo/internal/exechook"
)

// signalSetup subscribes h, fed from a channel the test owns, to b and
// unsubscribes it when the test ends. The injected Exit reports codes on
// the returned channel.
func signalSetup(t *testing.T, b *engine.Bus, h *SignalHandler) (chan<- os.Signal, <-chan int) {
	t.Helper()
	sigs := make(chan os.Signal, 4)
	exits := make(chan int, 4)
	h.Signals = sigs
	h.Exit = func(code int) { exits <- code }
	t.Cleanup(h.Subscribe(b))
	return sigs, exits
}

func TestSignalPublishedOnOwnChannel(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGUSR1, syscall.SIGUSR2} {
		t.Run(SignalName(sig), func(t *testing.T) {
			b := newBus(t) // SIGHUP is graceful by default; newBus never re-executes anyway
			listener, got := notify(1)
			t.Cleanup(b.Subscribe(SignalName(sig), listener, 10))
			sigs, _ := signalSetup(t, b, &SignalHandler{})
			sigs <- sig
			assert.Equal(t, os.Signal(sig), receive(t, got, "publish of "+SignalName(sig)))
		})
	}
}

func TestSignalName(t *testing.T) {
	assert.Equal(t, "SIGTERM", SignalName(syscall.SIGTERM))
	assert.Equal(t, "SIGINT", SignalName(os.Interrupt))
	assert.Equal(t, "SIGHUP", SignalName(syscall.SIGHUP))
	assert.Equal(t, "SIGUSR1", SignalName(syscall.SIGUSR1))
	assert.Equal(t, syscall.SIGUSR2.String(), SignalName(syscall.SIGUSR2))
}

func TestSignalTerminateExits(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(SignalName(sig), func(t *testing.T) {
			b := newBus(t)
			require.NoError(t, b.Start(testCtx(t)))
			sigs, exits := signalSetup(t, b, &SignalHandler{})
			sigs <- sig
			waitState(t, b, engine.Exiting)
			require.NoError(t, b.Block(testCtx(t)))
			assert.Equal(t, 0, b.ExitCode())
			assert.Empty(t, exits, "a single signal must not force the exit")
		})
	}
}

func TestSignalSecondInterruptForcesExit(t *testing.T) {
	b := newBus(t)
	entered := make(chan struct{}, 1)
	release := make(chan struct{})
	defer close(release) // before the bus cleanup, which waits for the stop
	t.Cleanup(b.Subscribe(engine.ChannelStop, engine.Func(func(context.Context) error {
		entered <- struct{}{}
		<-release // a shutdown that hangs
		return nil
	}), engine.DefaultPriority))
	require.NoError(t, b.Start(testCtx(t)))
	sigs, exits := signalSetup(t, b, &SignalHandler{})

	sigs <- syscall.SIGINT
	receive(t, entered, "the stop to begin")
	assert.Equal(t, engine.Stopping, b.State())
	assert.Empty(t, exits, "the first interrupt exits gracefully")

	sigs <- syscall.SIGINT
	assert.Equal(t, ForcedExitCode, receive(t, exits, "the forced exit"))
	assert.Equal(t, 130, ForcedExitCode)
}

func TestSignalInterruptWhileExitingForcesExit(t *testing.T) {
	b := newBus(t)
	require.NoError(t, b.Exit(testCtx(t)))
	sigs, exits := signalSetup(t, b, &SignalHandler{})
	sigs <- os.Interrupt
	assert.Equal(t, ForcedExitCode, receive(t, exits, "the forced exit"))
}

func TestSignalHangup(t *testing.T) {
	t.Run("restart", func(t *testing.T) {
		execs := make(chan string, 2)
		ctx := exechook.With(testCtx(t), func(argv0 string, _ []string, _ []string) error {
			select {
			case execs <- argv0:
			default:
			}
			return nil
		})
		b := newBus(t)
		require.NoError(t, b.Start(ctx))
		sigs, _ := signalSetup(t, b, &SignalHandler{Hangup: HangupRestart})
		sigs <- syscall.SIGHUP
		require.NoError(t, b.Block(ctx))
		exe, err := os.Executable()
		require.NoError(t, err)
		assert.Equal(t, exe, receive(t, execs, "the re-exec"))
	})
	t.Run("graceful by default", func(t *testing.T) {
		b := newBus(t)
		graceful, got := notify(1)
		t.Cleanup(b.Subscribe(engine.ChannelGraceful, graceful, engine.DefaultPriority))
		require.NoError(t, b.Start(testCtx(t)))
		sigs, _ := signalSetup(t, b, &SignalHandler{})
		sigs <- syscall.SIGHUP
		receive(t, got, "graceful")
		assert.Equal(t, engine.Started, b.State())
	})
	t.Run("exit", func(t *testing.T) {
		ctx := exechook.With(testCtx(t), func(string, []string, []string) error {
			return assert.AnError // must not be called
		})
		b := newBus(t)
		require.NoError(t, b.Start(ctx))
		sigs, _ := signalSetup(t, b, &SignalHandler{Hangup: HangupExit})
		sigs <- syscall.SIGHUP
		require.NoError(t, b.Block(ctx))
	})
}

func TestSignalUser1Graceful(t *testing.T) {
	b := newBus(t)
	graceful, got := notify(2)
	t.Cleanup(b.Subscribe(engine.ChannelGraceful, graceful, engine.DefaultPriority))
	require.NoError(t, b.Start(testCtx(t)))
	sigs, _ := signalSetup(t, b, &SignalHandler{})
	sigs <- syscall.SIGUSR1
	receive(t, got, "graceful")
	sigs <- syscall.SIGUSR1
	receive(t, got, "second graceful")
	assert.Equal(t, engine.Started, b.State())
}

func TestSignalGracefulWhenStoppedIsLogged(t *testing.T) {
	log, buf := newLogger()
	b := newBus(t, engine.WithLogger(log))
	seen, got := notify(1)
	t.Cleanup(b.Subscribe("SIGUSR1", seen, engine.DefaultPriority+1)) // after the action
	sigs, _ := signalSetup(t, b, &SignalHandler{})
	sigs <- syscall.SIGUSR1
	receive(t, got, "SIGUSR1 published")
	// The failure is logged by a goroutine of the bus: Block waits for it.
	require.NoError(t, b.Exit(testCtx(t)))
	require.NoError(t, b.Block(testCtx(t)))
	assert.Contains(t, buf.String(), "graceful on signal failed")
}

func TestSignalUnsubscribe(t *testing.T) {
	b := newBus(t)
	sigs := make(chan os.Signal, 1)
	h := &SignalHandler{Signals: sigs, Exit: func(int) { t.Error("unexpected exit") }}
	unsubscribe := h.Subscribe(b)
	for _, name := range []string{"SIGTERM", "SIGINT", "SIGHUP", "SIGUSR1"} {
		assert.Equal(t, 1, b.Listeners(name), name)
	}
	unsubscribe()
	unsubscribe() // idempotent
	for _, name := range []string{"SIGTERM", "SIGINT", "SIGHUP", "SIGUSR1"} {
		assert.Zero(t, b.Listeners(name), name)
	}
	sigs <- syscall.SIGTERM
	assert.Len(t, sigs, 1, "nobody reads the channel any more")
	assert.Equal(t, engine.Stopped, b.State())
}

func TestSignalClosedSourceEndsHandler(t *testing.T) {
	b := newBus(t)
	sigs := make(chan os.Signal)
	unsubscribe := (&SignalHandler{Signals: sigs}).Subscribe(b)
	close(sigs)
	done := make(chan struct{})
	go func() { unsubscribe(); close(done) }()
	receive(t, done, "unsubscribe after close")
}

// TestSignalRealUser1 is the one test that uses the process's own signals.
// It is safe: the test asks os/signal for SIGUSR1 itself before sending
// it, so the default action (ending the process) can never run, and it
// only ever signals its own process.
func TestSignalRealUser1(t *testing.T) {
	guard := make(chan os.Signal, 4)
	signal.Notify(guard, syscall.SIGUSR1)
	t.Cleanup(func() { signal.Stop(guard) })

	log, buf := newLogger()
	b := newBus(t, engine.WithLogger(log))
	graceful, got := notify(4)
	t.Cleanup(b.Subscribe(engine.ChannelGraceful, graceful, engine.DefaultPriority))
	require.NoError(t, b.Start(testCtx(t)))
	unsubscribe := (&SignalHandler{}).Subscribe(b)
	t.Cleanup(unsubscribe)

	require.NoError(t, syscall.Kill(os.Getpid(), syscall.SIGUSR1))
	receive(t, guard, "SIGUSR1 on the guard")
	receive(t, got, "graceful from a real SIGUSR1")
	assert.Contains(t, buf.String(), "signal=SIGUSR1")

	// unsubscribe returns once the handler's goroutine has ended and its
	// listeners are gone (TestSignalUnsubscribeStopsHandling checks that
	// deterministically); a later SIGUSR1 reaches only the guard.
	unsubscribe()
	for _, name := range []string{"SIGTERM", "SIGINT", "SIGHUP", "SIGUSR1"} {
		assert.Zero(t, b.Listeners(name), "listener on %s left after unsubscribe", name)
	}
	require.NoError(t, syscall.Kill(os.Getpid(), syscall.SIGUSR1))
	receive(t, guard, "second SIGUSR1 on the guard")
	assert.Equal(t, 1, strings.Count(buf.String(), "signal received"))
}

// TestSignalUnsubscribeStopsHandling runs in a synctest bubble: once
// synctest.Wait returns, every goroutine of the test is blocked, so a
// handler goroutine that outlived unsubscribe would be waiting on the
// signal channel, and the non-blocking send below would reach it.
func TestSignalUnsubscribeStopsHandling(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newBus(t)
		graceful, got := notify(4)
		t.Cleanup(b.Subscribe(engine.ChannelGraceful, graceful, engine.DefaultPriority))
		require.NoError(t, b.Start(testCtx(t)))
		sigs := make(chan os.Signal) // unbuffered: a send needs a reader
		unsubscribe := (&SignalHandler{Signals: sigs}).Subscribe(b)

		sigs <- syscall.SIGUSR1
		receive(t, got, "graceful before unsubscribe")

		unsubscribe()
		synctest.Wait()
		select {
		case sigs <- syscall.SIGUSR1:
			t.Fatal("the handler still reads signals after unsubscribe")
		default:
		}
		assert.Zero(t, b.Listeners("SIGUSR1"), "the SIGUSR1 action is still subscribed")
		synctest.Wait()
		assert.Empty(t, got, "no graceful after unsubscribe")
	})
}

// TestSignalTerminateThenHangupExits: a SIGHUP that arrives while the exit
// asked for by SIGTERM is under way must not turn it into a restart.
func TestSignalTerminateThenHangupExits(t *testing.T) {
	execs := make(chan string, 2)
	ctx := exechook.With(testCtx(t), func(argv0 string, _ []string, _ []string) error {
		execs <- argv0
		return nil
	})
	b := newBus(t)
	stopping := make(chan struct{}, 1)
	release := make(chan struct{})
	t.Cleanup(b.Subscribe(engine.ChannelStop, engine.Func(func(context.Context) error {
		stopping <- struct{}{}
		<-release // hold the exit until the SIGHUP has been handled
		return nil
	}), engine.DefaultPriority))
	hup, hupSeen := notify(1)
	// After the SIGHUP action, which runs at DefaultPriority.
	t.Cleanup(b.Subscribe("SIGHUP", hup, engine.DefaultPriority+1))
	require.NoError(t, b.Start(ctx))
	sigs, _ := signalSetup(t, b, &SignalHandler{})

	sigs <- syscall.SIGTERM
	receive(t, stopping, "the exit to begin")
	sigs <- syscall.SIGHUP
	receive(t, hupSeen, "the SIGHUP to be handled")
	close(release)
	require.NoError(t, b.Block(ctx))
	assert.Empty(t, execs, "SIGHUP after SIGTERM re-executed the program")
	assert.Equal(t, 0, b.ExitCode())
}

// With a Delay, SIGTERM publishes ChannelStopRequested at once and the bus
// serves on (Started) for exactly the delay, then exits with code 0.
func TestSignalTerminateAfterDelay(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newBus(t)
		requested, got := notify(2)
		t.Cleanup(b.Subscribe(ChannelStopRequested, requested, engine.DefaultPriority))
		require.NoError(t, b.Start(t.Context()))
		sigs, exits := signalSetup(t, b, &SignalHandler{Delay: 5 * time.Second})
		begin := time.Now()
		sigs <- syscall.SIGTERM
		synctest.Wait()
		select {
		case d := <-got:
			assert.Equal(t, 5*time.Second, d, "the delay is the argument")
		default:
			t.Fatal("no stop-requested publish")
		}
		assert.Equal(t, engine.Started, b.State(), "serving on during the delay")

		advance(5*time.Second - time.Millisecond)
		assert.Equal(t, engine.Started, b.State(), "still serving just before the delay ends")
		require.NoError(t, b.Block(t.Context()))
		assert.Equal(t, 5*time.Second, time.Since(begin), "the exit begins when the delay is over")
		assert.Equal(t, 0, b.ExitCode())
		assert.Empty(t, exits)
		assert.Empty(t, got, "one publish")
	})
}

// A second SIGTERM or SIGINT during the delay skips the rest of it, and is
// not a forced exit.
func TestSignalSecondStopSkipsDelay(t *testing.T) {
	for _, second := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(SignalName(second), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				b := newBus(t)
				require.NoError(t, b.Start(t.Context()))
				sigs, exits := signalSetup(t, b, &SignalHandler{Delay: time.Minute})
				begin := time.Now()
				sigs <- syscall.SIGTERM
				synctest.Wait()
				advance(2 * time.Second)
				sigs <- second
				require.NoError(t, b.Block(t.Context()))
				assert.Equal(t, 2*time.Second, time.Since(begin), "the exit begins at the second signal")
				assert.Equal(t, 0, b.ExitCode())
				assert.Empty(t, exits, "a signal during the delay does not force the exit")
			})
		})
	}
}

// A SIGINT after the delay, while the drain runs, forces the exit as
// without a delay.
func TestSignalInterruptAfterDelayForcesExit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newBus(t)
		release := make(chan struct{})
		t.Cleanup(b.Subscribe(engine.ChannelStop, engine.Func(func(context.Context) error {
			<-release // a drain that hangs
			return nil
		}), engine.DefaultPriority))
		require.NoError(t, b.Start(t.Context()))
		sigs, exits := signalSetup(t, b, &SignalHandler{Delay: time.Second})
		sigs <- syscall.SIGTERM
		advance(time.Second)
		assert.Equal(t, engine.Stopping, b.State(), "the drain began")
		sigs <- syscall.SIGINT
		synctest.Wait()
		select {
		case code := <-exits:
			assert.Equal(t, ForcedExitCode, code)
		default:
			t.Fatal("no forced exit")
		}
		close(release)
		require.NoError(t, b.Block(t.Context()))
	})
}
