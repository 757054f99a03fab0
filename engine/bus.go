package engine

import (
	"context"
	"io"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// Bus is the process bus: it holds the lifecycle state, the channels and
// their listeners, and the goroutines that belong to the process rather than
// to one request. The zero value is not usable; call New.
//
// All methods are safe for concurrent use. Lifecycle calls (Start, Stop,
// Graceful, Exit, Restart) are serialised: one runs at a time, and a call
// that arrives while another runs waits for it, then acts on the state it
// left.
type Bus struct {
	log          *slog.Logger
	mainInterval time.Duration
	stopTimeout  time.Duration

	// Captured by New so that Restart re-executes the program as it was
	// started, whatever happened to the working directory since.
	exePath string
	args    []string
	env     []string
	wd      string

	subsMu sync.Mutex            // guards seq and writes to subs
	seq    uint64                // subscription counter, for tie order
	subs   atomic.Pointer[table] // copy-on-write; read without a lock
	// perRequest is the number of listeners of ChannelBeforeRequest and
	// ChannelAfterRequest, so that a request asks the table only when
	// one of them has any.
	perRequest atomic.Int32

	lifeMu sync.Mutex // serialises lifecycle calls

	stateMu sync.Mutex    // guards state, changed, exitCode, exitBegun, restart
	state   State         //
	changed chan struct{} // closed and replaced on every state change
	// exitCode is what ExitCode reports. exitBegun is set by the first
	// Exit, Restart, RequestExit or RequestRestart; restart is set when
	// that first one was a restart.
	exitCode  int
	exitBegun bool
	restart   bool

	goCtx    context.Context // cancelled when the bus exits
	goCancel context.CancelFunc
	exited   chan struct{} // closed when Exit has finished

	goMu   sync.Mutex    // guards goN and goIdle
	goN    int           // goroutines owned by the bus still running
	goIdle chan struct{} // closed while goN is 0, replaced when it leaves 0
}

// Option configures a Bus.
type Option func(*Bus)

// WithLogger sets the logger for lifecycle events. The default discards.
func WithLogger(l *slog.Logger) Option {
	return func(b *Bus) {
		if l != nil {
			b.log = l
		}
	}
}

// WithMainInterval makes Block publish the main channel every d while it
// waits. Zero, the default, never publishes main.
func WithMainInterval(d time.Duration) Option {
	return func(b *Bus) { b.mainInterval = d }
}

// DefaultStopTimeout is the default bound of a background exit (see
// WithStopTimeout).
const DefaultStopTimeout = 30 * time.Second

// WithStopTimeout bounds the exits the bus runs by itself (RequestExit,
// RequestRestart, and so the signal plugin and a listener's *ExitRequest):
// their stop and exit listeners together get a context that ends after d.
// A listener that ignores its context can still hold the exit up, but one
// that waits on the context (a background task waiting for its function to
// return, say) gives up, and the process exits. The default is
// DefaultStopTimeout; zero or a negative d removes the bound. Exit, Stop
// and Restart use the context they are given.
func WithStopTimeout(d time.Duration) Option {
	return func(b *Bus) { b.stopTimeout = d }
}

// StopTimeout returns the bound set by WithStopTimeout (0 for none), for
// plugins that run lifecycle calls of their own in the background.
func (b *Bus) StopTimeout() time.Duration {
	if b.stopTimeout < 0 {
		return 0
	}
	return b.stopTimeout
}

// New returns a bus in state Stopped, with no listeners.
func New(opts ...Option) *Bus {
	b := &Bus{
		log:         slog.New(slog.NewTextHandler(io.Discard, nil)),
		stopTimeout: DefaultStopTimeout,
		changed:     make(chan struct{}),
		exited:      make(chan struct{}),
		goIdle:      make(chan struct{}),
		args:        os.Args,
		env:         os.Environ(),
	}
	b.exePath, _ = os.Executable()
	b.wd, _ = os.Getwd()
	close(b.goIdle)
	empty := table{}
	b.subs.Store(&empty)
	b.goCtx, b.goCancel = context.WithCancel(context.Background())
	for _, o := range opts {
		o(b)
	}
	return b
}

// Logger returns the bus's logger, for plugins that log beside it.
func (b *Bus) Logger() *slog.Logger { return b.log }

// State returns the current state.
func (b *Bus) State() State {
	b.stateMu.Lock()
	defer b.stateMu.Unlock()
	return b.state
}

// setState moves the bus to next and wakes every Wait.
func (b *Bus) setState(next State) {
	b.stateMu.Lock()
	prev := b.state
	if !prev.canMove(next) {
		b.stateMu.Unlock()
		panic("engine: illegal state change " + prev.String() + " → " + next.String())
	}
	b.state = next
	close(b.changed)
	b.changed = make(chan struct{})
	b.stateMu.Unlock()
	b.log.Info("bus state", "from", prev.String(), "to", next.String())
}

// Wait returns as soon as the bus is in one of states (at once if it already
// is), or ctx's error when ctx ends first. It does not poll.
func (b *Bus) Wait(ctx context.Context, states ...State) (State, error) {
	for {
		b.stateMu.Lock()
		cur, changed := b.state, b.changed
		b.stateMu.Unlock()
		for _, s := range states {
			if cur == s {
				return cur, nil
			}
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return cur, ctx.Err()
		}
	}
}

// ExitCode is the code the process should end with once the bus has exited.
// The first non-zero code set wins: that of an exit request (RequestExit, or
// a listener's *ExitRequest, which becomes 1 when a listener failed before
// it in the same publish), or 1 when a stop or exit listener failed during
// Exit. An *ExitRequest is not a failure: one with code 0 leaves the code
// at 0. It is 0 otherwise.
func (b *Bus) ExitCode() int {
	b.stateMu.Lock()
	defer b.stateMu.Unlock()
	return b.exitCode
}

func (b *Bus) setExitCode(code int) {
	b.stateMu.Lock()
	defer b.stateMu.Unlock()
	if b.exitCode == 0 {
		b.exitCode = code
	}
}

// Go runs fn in a goroutine owned by the bus: Block waits for it before it
// returns. fn's context is cancelled when the bus exits (at once, for a fn
// started after Exit). Go may be called at any time, also while Block
// waits.
func (b *Bus) Go(fn func(ctx context.Context)) {
	b.goAdd()
	go func() {
		defer b.goDone()
		fn(b.goCtx)
	}()
}

func (b *Bus) goAdd() {
	b.goMu.Lock()
	defer b.goMu.Unlock()
	if b.goN == 0 {
		b.goIdle = make(chan struct{})
	}
	b.goN++
}

func (b *Bus) goDone() {
	b.goMu.Lock()
	defer b.goMu.Unlock()
	b.goN--
	if b.goN == 0 {
		close(b.goIdle)
	}
}

// waitGoroutines returns once no goroutine owned by the bus runs, or ctx's
// error when ctx ends first.
func (b *Bus) waitGoroutines(ctx context.Context) error {
	for {
		b.goMu.Lock()
		n, idle := b.goN, b.goIdle
		b.goMu.Unlock()
		if n == 0 {
			return nil
		}
		select {
		case <-idle:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
