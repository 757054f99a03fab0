package plugins

import (
	"context"
	"log/slog"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/seed-49a6713b/cherrygo/engine"
)

// ForcedExitCode is the code SignalHandler ends the process with when
// SIGINT arrives while the bus is already exiting (128 + SIGINT, what a
// shell reports for a program killed by Ctrl-C).
const ForcedExitCode = 130

// HangupAction is what SignalHandler does on SIGHUP.
type HangupAction int

const (
	// HangupGraceful publishes the graceful channel (engine.Bus.Graceful):
	// a reload that keeps serving. It is the zero value, because it drops
	// nothing.
	HangupGraceful HangupAction = iota
	// HangupRestart re-executes the program in place
	// (engine.Bus.RequestRestart): the servers stop, so connections are
	// refused until the new process binds again.
	HangupRestart
	// HangupExit exits the bus, as SIGTERM does. A program run from a
	// terminal, which gets SIGHUP when the terminal closes, may prefer it.
	HangupExit
	// HangupUpgrade publishes ChannelUpgrade: an Upgrader subscribed to
	// the bus hands the service to a new copy of the program, refusing and
	// dropping nothing. Without an Upgrader the signal is logged and
	// nothing else happens.
	HangupUpgrade
)

// ChannelStopRequested is published when a SIGTERM or SIGINT begins a stop
// that waits for SignalHandler.Delay first, with the delay (a
// time.Duration) as its argument: readiness checks fail from then on, and
// systemd hears STOPPING=1, while the servers go on serving.
const ChannelStopRequested = "stop-requested"

// handledSignals are the signals SignalHandler asks os/signal for, with the
// channel names they are published on.
var handledSignals = [...]struct {
	sig  syscall.Signal
	name string
}{
	{syscall.SIGTERM, "SIGTERM"},
	{syscall.SIGINT, "SIGINT"},
	{syscall.SIGHUP, "SIGHUP"},
	{syscall.SIGUSR1, "SIGUSR1"},
}

// SignalName returns the bus channel a signal is published on: "SIGTERM",
// "SIGINT", "SIGHUP" or "SIGUSR1" for the handled signals, the signal's
// String() for any other.
func SignalName(sig os.Signal) string {
	for _, h := range handledSignals {
		if sig == h.sig {
			return h.name
		}
	}
	return sig.String()
}

// SignalHandler turns process signals into bus actions:
//
//	SIGTERM  exit (code 0)
//	SIGINT   exit (code 0); a SIGINT while the bus is already exiting
//	         ends the process at once with ForcedExitCode
//	SIGHUP   graceful (by default), upgrade, restart or exit, as Hangup says
//	SIGUSR1  graceful
//
// Every signal is first published on its own channel ("SIGTERM", …; see
// SignalName). The actions are themselves listeners on those channels, at
// engine.DefaultPriority, so a program can add its own before or after
// them.
//
// With a Delay, a SIGTERM or SIGINT publishes ChannelStopRequested and the
// servers go on serving for Delay before the exit begins (the shutdown
// delay of a service behind a load balancer, which needs that long to stop
// sending new requests); a second SIGTERM or SIGINT during the delay skips
// the rest of it.
//
// Only SIGINT escalates: a second SIGTERM while exiting does nothing more,
// as a service manager that sent it escalates to SIGKILL on its own
// schedule (systemd's TimeoutStopSec).
//
// The zero value handles the real signals of the process. A SignalHandler
// serves one bus at a time.
type SignalHandler struct {
	// Hangup is the action for SIGHUP. The zero value reloads gracefully.
	Hangup HangupAction

	// Signals, if not nil, is read instead of the process's signals, and
	// os/signal is left alone. Tests send on it. Closing it ends the
	// handler's goroutine as unsubscribing does.
	Signals <-chan os.Signal

	// Exit ends the process on a forced exit. If nil, os.Exit is used:
	// this is the only place in the kit that ends the process itself (see
	// the package documentation).
	Exit func(code int)

	// Delay is how long a stop asked for by SIGTERM or SIGINT (or by
	// SIGHUP with HangupExit) keeps serving before the bus exits
	// (SERVER_SHUTDOWN_DELAY). Zero exits at once.
	Delay time.Duration
}

// Subscribe installs the handler: it asks os/signal for SIGTERM, SIGINT,
// SIGHUP and SIGUSR1 (unless Signals is set), subscribes the actions to
// the signal channels of b and starts the goroutine that publishes them.
//
// The returned function undoes all of it: it stops the delivery of the
// signals it asked for (signal.Stop, so the default behaviour comes back
// unless some other part of the program also asked for them), waits for
// the goroutine to end and removes the listeners. It is idempotent.
func (h *SignalHandler) Subscribe(b *engine.Bus) (unsubscribe func()) {
	r := &signalRun{
		bus:   b,
		log:   b.Logger(),
		exit:  h.Exit,
		delay: h.Delay,
		skip:  make(chan struct{}),
		quit:  make(chan struct{}),
		done:  make(chan struct{}),
	}
	if r.exit == nil {
		r.exit = os.Exit
	}

	src := h.Signals
	var own chan os.Signal
	if src == nil {
		own = make(chan os.Signal, len(handledSignals))
		sigs := make([]os.Signal, 0, len(handledSignals))
		for _, s := range handledSignals {
			sigs = append(sigs, s.sig)
		}
		signal.Notify(own, sigs...)
		src = own
	}

	hup := r.hangupExit
	switch h.Hangup {
	case HangupGraceful:
		hup = r.graceful
	case HangupRestart:
		hup = r.restart
	case HangupUpgrade:
		hup = r.upgrade
	}
	unsubs := []func(){
		b.Subscribe("SIGTERM", r.terminate, engine.DefaultPriority),
		b.Subscribe("SIGINT", r.interrupt, engine.DefaultPriority),
		b.Subscribe("SIGHUP", hup, engine.DefaultPriority),
		b.Subscribe("SIGUSR1", r.graceful, engine.DefaultPriority),
	}

	go r.loop(src)

	var once sync.Once
	return func() {
		once.Do(func() {
			if own != nil {
				signal.Stop(own)
			}
			close(r.quit)
			<-r.done
			for _, u := range unsubs {
				u()
			}
		})
	}
}

// signalRun is the state of one subscription.
type signalRun struct {
	bus  *engine.Bus
	log  *slog.Logger
	exit func(code int)

	exiting atomic.Bool // an exit was requested by a signal
	delay   time.Duration

	mu       sync.Mutex
	delaying bool          // the shutdown delay runs; guarded by mu
	skip     chan struct{} // closed to cut the delay short
	skipped  bool          // skip is closed; guarded by mu

	quit chan struct{} // closed by unsubscribe
	done chan struct{} // closed when loop returns
}

// loop publishes every signal from src until unsubscribed or src closes.
func (r *signalRun) loop(src <-chan os.Signal) {
	defer close(r.done)
	for {
		select {
		case <-r.quit:
			return
		case sig, ok := <-src:
			if !ok {
				return
			}
			name := SignalName(sig)
			r.log.Info("signal received", "signal", name)
			// Listener failures are logged by the bus.
			_, _ = r.bus.Publish(context.Background(), name, sig)
		}
	}
}

func (r *signalRun) terminate(ctx context.Context, _ any) (any, error) {
	r.stop(ctx, "SIGTERM")
	return nil, nil
}

func (r *signalRun) hangupExit(ctx context.Context, _ any) (any, error) {
	r.stop(ctx, "SIGHUP")
	return nil, nil
}

// interrupt exits, or forces the exit when the bus is already on its way
// out; during the shutdown delay it skips the rest of the delay instead.
func (r *signalRun) interrupt(ctx context.Context, _ any) (any, error) {
	if r.cutDelay("SIGINT") {
		return nil, nil
	}
	state := r.bus.State()
	if r.exiting.Load() || state == engine.Exiting {
		r.log.Warn("second interrupt while exiting: forcing exit", "code", ForcedExitCode, "state", state.String())
		r.exit(ForcedExitCode)
		return nil, nil
	}
	r.stop(ctx, "SIGINT")
	return nil, nil
}

// stop exits the bus, after the shutdown delay when there is one and the
// bus serves: a second stop signal during the delay cuts it short.
func (r *signalRun) stop(ctx context.Context, by string) {
	if r.cutDelay(by) {
		return
	}
	if r.exiting.Swap(true) || r.delay <= 0 || r.bus.State() != engine.Started {
		r.log.Info("stop requested", "by", by)
		r.bus.RequestExit(0)
		return
	}
	r.mu.Lock()
	r.delaying = true
	r.mu.Unlock()
	r.log.Info("stop requested: shutdown delay begins, serving on with readiness failing", "by", by, "delay", r.delay)
	_, _ = r.bus.Publish(ctx, ChannelStopRequested, r.delay)
	begin := time.Now()
	r.bus.Go(func(ctx context.Context) {
		t := time.NewTimer(r.delay)
		defer t.Stop()
		select {
		case <-t.C:
			r.log.Info("shutdown delay over: draining", "delay", r.delay)
		case <-r.skip:
			r.log.Info("shutdown delay cut short by a second stop signal: draining", "after", time.Since(begin).Round(time.Millisecond))
		case <-ctx.Done():
			return // the bus exits already
		}
		r.mu.Lock()
		r.delaying = false
		r.mu.Unlock()
		r.bus.RequestExit(0)
	})
}

// cutDelay ends a running shutdown delay and reports whether there was one.
func (r *signalRun) cutDelay(by string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.delaying {
		return false
	}
	if !r.skipped {
		r.skipped = true
		r.log.Info("second stop signal during the shutdown delay: skipping the rest", "by", by)
		close(r.skip)
	}
	return true
}

func (r *signalRun) restart(context.Context, any) (any, error) {
	r.exiting.Store(true)
	r.bus.RequestRestart()
	return nil, nil
}

// upgrade publishes ChannelUpgrade, whose Upgrader starts the new process
// in a goroutine of the bus (so this never waits either).
func (r *signalRun) upgrade(ctx context.Context, _ any) (any, error) {
	if r.bus.Listeners(ChannelUpgrade) == 0 {
		r.log.Warn("upgrade requested, but nothing performs upgrades on this bus: ignored")
		return nil, nil
	}
	_, err := r.bus.Publish(ctx, ChannelUpgrade, nil)
	return nil, err
}

// graceful runs Graceful in a goroutine of the bus, so that the listener
// never waits on a lifecycle call, whoever published the signal. The
// stop timeout (engine.WithStopTimeout) bounds it too: Graceful holds the
// bus's lifecycle lock, and a graceful listener that hangs must not keep a
// later exit waiting for ever.
func (r *signalRun) graceful(context.Context, any) (any, error) {
	r.bus.Go(func(ctx context.Context) {
		if d := r.bus.StopTimeout(); d > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, d)
			defer cancel()
		}
		if err := r.bus.Graceful(ctx); err != nil {
			r.log.Warn("graceful on signal failed", "err", err)
		}
	})
	return nil, nil
}
