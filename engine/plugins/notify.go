package plugins

import (
	"context"
	"fmt"
	"math"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coreos/go-systemd/v22/daemon"

	"github.com/seed-49a6713b/cherrygo/engine"
)

// Priorities of the notifications: READY=1 once everything else started
// (after the servers and the privilege drop), STOPPING=1 before anything
// stops, RELOADING=1 before the graceful listeners and READY=1 after them.
// The watchdog starts right after READY=1 at priorityNotifyLast and stops
// at priorityNotifyFirst, just before STOPPING=1. The EXTEND_TIMEOUT_USEC
// messages end at priorityNotifyStopped, after every other stop listener
// (but one subscribed later at the same, highest, priority).
const (
	priorityNotifyFirst   = 1
	priorityNotifyLast    = 99
	priorityNotifyStopped = math.MaxInt
)

// The EXTEND_TIMEOUT_USEC schedule of a stop. extendPeriod is a few seconds,
// so that a stop costs a handful of datagrams at most; extendTimeout is
// twice that, so one late message (a loaded machine) does not let
// systemd's TimeoutStopSec strike.
const (
	extendPeriod  = 5 * time.Second
	extendTimeout = 2 * extendPeriod
)

// SystemdNotify tells systemd (Type=notify, or anything else that listens
// on NOTIFY_SOCKET) what the bus is doing, through go-systemd's sd_notify:
//
//   - READY=1 once the bus started, that is once every server is bound
//     and verified serving, with a STATUS= line from Status;
//   - RELOADING=1 with MONOTONIC_USEC before a graceful reload (SIGHUP,
//     SIGUSR1), and READY=1 once it is over;
//   - STOPPING=1 as the stop begins, before the servers drain, and
//     already as a shutdown delay begins (ChannelStopRequested), with a
//     STATUS= line and an EXTEND_TIMEOUT_USEC= covering the delay;
//   - with WatchdogSec= (WATCHDOG_USEC, and WATCHDOG_PID unset or this
//     process, as daemon.SdWatchdogEnabled reads them), WATCHDOG=1 every
//     WATCHDOG_USEC/2 while the bus is engine.Started (in the new process of
//     an upgrade, the first one at once): the first one half
//     the interval after READY=1, the last one before STOPPING=1; pings
//     resume when the bus starts again;
//   - EXTEND_TIMEOUT_USEC=10000000 (10 s) right after STOPPING=1 and every
//     5 s while the stop listeners run, so that TimeoutStopSec does not
//     kill a drain that is still within its SHUTDOWN_TIMEOUT. The messages
//     end once the stop listeners are done, and at the latest once the
//     bus's stop timeout (engine.Bus.StopTimeout) has passed since
//     STOPPING=1, so that systemd still kills a stop that hangs; with no
//     stop timeout they go on for as long as the stop runs.
//
// The watchdog and extension messages come from goroutines owned by the
// bus (engine.Bus.Go), which the stop listeners, the bus's exit and
// unsubscribe all end. Nothing is sent once the stop is over.
//
// In a zero-downtime upgrade (Upgrader) the old process sends RELOADING=1
// and then MAINPID= of the new process with READY=1; the new process skips
// its own first READY=1, and the old one says nothing more once it has
// handed over (ChannelHandedOver), not even STOPPING=1 as it exits. The
// unit needs NotifyAccess=all for the new process's messages.
//
// Without NOTIFY_SOCKET it does nothing. A message that cannot be sent is
// logged as a warning on the bus's logger, and so is a WATCHDOG_USEC or
// WATCHDOG_PID that is not a number (no pings are sent then).
type SystemdNotify struct {
	// Status, if not nil, gives the STATUS= text sent with READY=1 (the
	// addresses served, say).
	Status func() string
}

// Subscribe hooks the notifications to the start, graceful and stop
// channels of b and returns the function that unhooks them, which also
// stops the watchdog and extension goroutines and waits for them (no
// longer than b's stop timeout); it is idempotent. Without NOTIFY_SOCKET in
// the environment it subscribes nothing. WATCHDOG_USEC and WATCHDOG_PID are
// read here, once.
func (n *SystemdNotify) Subscribe(b *engine.Bus) (unsubscribe func()) {
	if os.Getenv("NOTIFY_SOCKET") == "" {
		return func() {}
	}
	s := &notifier{bus: b, status: n.Status}
	s.skipReady.Store(upgradedFrom != 0)
	s.upgraded = upgradedFrom != 0
	interval, err := daemon.SdWatchdogEnabled(false)
	if err != nil {
		b.Logger().Warn("sd_notify: no watchdog pings", "err", err)
	}
	s.ping = interval / 2 // positive for any interval of 1µs or more
	unsubs := []func(){
		b.Subscribe(engine.ChannelStart, s.ready, priorityNotifyLast),
		b.Subscribe(engine.ChannelGraceful, s.reloading, priorityNotifyFirst),
		b.Subscribe(engine.ChannelGraceful, s.ready, priorityNotifyLast),
		// After READY=1 at the same priority; before STOPPING=1 at the
		// same priority. A later start listener that fails stops it again.
		b.SubscribeComponent(watchdogComponent{s}, priorityNotifyLast, priorityNotifyFirst),
		b.Subscribe(engine.ChannelStop, s.stopping, priorityNotifyFirst),
		b.Subscribe(engine.ChannelStop, s.stopped, priorityNotifyStopped),
		b.Subscribe(ChannelHandedOver, s.handedOver, engine.DefaultPriority),
		b.Subscribe(ChannelStopRequested, s.stopRequested, engine.DefaultPriority),
	}
	return func() {
		for _, u := range unsubs {
			u()
		}
		ctx, cancel := context.Background(), context.CancelFunc(func() {})
		if d := b.StopTimeout(); d > 0 {
			ctx, cancel = context.WithTimeout(ctx, d)
		}
		defer cancel()
		s.stopWatchdog(ctx)
		s.stopExtender(ctx)
	}
}

// notifier is one subscription of a SystemdNotify to a bus.
type notifier struct {
	bus    *engine.Bus
	status func() string
	ping   time.Duration // the watchdog period, WATCHDOG_USEC/2; zero for none

	// skipReady is set in the new process of an upgrade until its first
	// start: the old process sends MAINPID= with READY=1 for it.
	skipReady atomic.Bool
	// upgraded is set in the new process of an upgrade: its first
	// watchdog ping goes at once.
	upgraded bool
	// muted is set once an upgrade handed the service to a new process,
	// which speaks to systemd from then on: this one says nothing more.
	muted atomic.Bool

	mu       sync.Mutex // guards watchdog and extender
	watchdog *loop      // sends WATCHDOG=1 while the bus is started; nil when not running
	extender *loop      // sends EXTEND_TIMEOUT_USEC while the bus stops; nil when not running
}

// send sends one sd_notify message, logging a failure.
func (s *notifier) send(state string) {
	if s.muted.Load() {
		return
	}
	if _, err := daemon.SdNotify(false, state); err != nil {
		s.bus.Logger().Warn("sd_notify failed", "state", state, "err", err)
	}
}

// ready sends READY=1 with the status, on start and after a graceful reload.
func (s *notifier) ready(context.Context, any) (any, error) {
	if s.skipReady.Swap(false) {
		return nil, nil
	}
	state := daemon.SdNotifyReady
	if s.status != nil {
		state += "\nSTATUS=" + s.status()
	}
	s.send(state)
	return nil, nil
}

// handedOver mutes the notifications once the new process of an upgrade
// serves: its STOPPING=1 and watchdog pings would speak for the service.
func (s *notifier) handedOver(context.Context, any) (any, error) {
	s.muted.Store(true)
	return nil, nil
}

// stopRequested sends STOPPING=1 as a shutdown delay begins (the servers
// serve on, but the service is on its way out), with a status naming the
// delay and an extension covering it.
func (s *notifier) stopRequested(_ context.Context, arg any) (any, error) {
	delay, _ := arg.(time.Duration)
	s.send(fmt.Sprintf("%s\nSTATUS=stopping: serving on for the shutdown delay (%v)\nEXTEND_TIMEOUT_USEC=%d",
		daemon.SdNotifyStopping, delay, (delay + extendTimeout).Microseconds()))
	return nil, nil
}

// reloading sends RELOADING=1 before the graceful listeners.
func (s *notifier) reloading(context.Context, any) (any, error) {
	state := daemon.SdNotifyReloading
	if usec, ok := monotonicUsec(); ok {
		state += "\nMONOTONIC_USEC=" + strconv.FormatInt(usec, 10)
	}
	s.send(state)
	return nil, nil
}

// extendMessage is what every extension sends.
var extendMessage = "EXTEND_TIMEOUT_USEC=" + strconv.FormatInt(extendTimeout.Microseconds(), 10)

// stopping sends STOPPING=1 and the first extension, and starts the
// goroutine that sends the next ones until stopped ends it, or the stop
// timeout has passed.
func (s *notifier) stopping(context.Context, any) (any, error) {
	s.send(daemon.SdNotifyStopping)
	s.send(extendMessage)
	begin, limit := time.Now(), s.bus.StopTimeout()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.extender == nil {
		s.extender = s.every(extendPeriod, func() bool {
			if limit > 0 && time.Since(begin) >= limit {
				return false
			}
			if s.bus.State() == engine.Stopping {
				s.send(extendMessage)
			}
			return true
		})
	}
	return nil, nil
}

// stopped ends the extensions once every other stop listener is done.
func (s *notifier) stopped(ctx context.Context, _ any) (any, error) {
	s.stopExtender(ctx)
	return nil, nil
}

// watchdogComponent starts the watchdog pings with the bus and stops them
// when the stop begins, or when a later start listener fails.
type watchdogComponent struct{ s *notifier }

// Start starts the pings unless there is no watchdog or they already run.
func (c watchdogComponent) Start(context.Context) error {
	s := c.s
	if s.ping <= 0 {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.watchdog == nil {
		if s.upgraded {
			// The old process pinged until the hand-over, up to half an
			// interval ago: ping now, so that the service's gap stays
			// within WATCHDOG_USEC.
			s.send(daemon.SdNotifyWatchdog)
		}
		s.watchdog = s.every(s.ping, func() bool {
			if s.bus.State() == engine.Started {
				s.send(daemon.SdNotifyWatchdog)
			}
			return true
		})
	}
	return nil
}

// Stop stops the pings and waits for the goroutine, or for ctx.
func (c watchdogComponent) Stop(ctx context.Context) error {
	c.s.stopWatchdog(ctx)
	return nil
}

// stopWatchdog stops the watchdog goroutine, if any, and waits for it.
func (s *notifier) stopWatchdog(ctx context.Context) {
	s.mu.Lock()
	l := s.watchdog
	s.watchdog = nil
	s.mu.Unlock()
	s.end(ctx, l, "watchdog")
}

// stopExtender stops the extension goroutine, if any, and waits for it.
func (s *notifier) stopExtender(ctx context.Context) {
	s.mu.Lock()
	l := s.extender
	s.extender = nil
	s.mu.Unlock()
	s.end(ctx, l, "timeout extension")
}

// end stops l (nil is fine) and waits for its goroutine, or for ctx: a
// send that hangs is logged, the goroutine left to the bus (Block waits
// for it), and the stop goes on.
func (s *notifier) end(ctx context.Context, l *loop, what string) {
	if l == nil {
		return
	}
	l.cancel()
	select {
	case <-l.done:
	case <-ctx.Done():
		s.bus.Logger().Warn("sd_notify: "+what+" did not stop in time", "err", ctx.Err())
	}
}

// loop is a goroutine started by every.
type loop struct {
	cancel context.CancelFunc // ends the goroutine
	done   chan struct{}      // closed when it has returned
}

// every calls tick every period in a goroutine owned by the bus until tick
// returns false, the loop is cancelled or the bus exits. Call it with s.mu
// held.
func (s *notifier) every(period time.Duration, tick func() bool) *loop {
	ctx, cancel := context.WithCancel(context.Background())
	l := &loop{cancel: cancel, done: make(chan struct{})}
	s.bus.Go(func(busCtx context.Context) {
		defer close(l.done)
		defer cancel()
		t := time.NewTicker(period)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-busCtx.Done():
				return
			case <-t.C:
				if ctx.Err() != nil || !tick() {
					return
				}
			}
		}
	})
	return l
}
