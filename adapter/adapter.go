package adapter

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/seed-49a6713b/cherrygo/engine"
)

// ErrNoServer is returned by ServerAdapter.Start when it was given no server
// ("no HTTP server has been created", in CherryPy's words).
var ErrNoServer = errors.New("adapter: no HTTP server has been created")

// Bounds on the adapter's waits. None of them is a sleep: each bounds a wait
// on an event (Ready, the server goroutine ending) or a retried probe.
const (
	DefaultReadyTimeout = 10 * time.Second // Start → Ready
	bindCheckTimeout    = 5 * time.Second  // the connect probe after Ready
	freeCheckTimeout    = time.Second      // the port-free verification after Stop
	stopGrace           = 5 * time.Second  // beyond the shutdown timeout, for Start to return
)

// ServerAdapter drives one Server from a bus, as CherryPy's ServerAdapter
// does: Subscribe hooks its Start to the bus's start channel (priority 75)
// and its Stop to the stop channel (priority 25). Its Start and Stop follow
// the reference's steps (see Start and Stop), so a server from outside this
// kit gets the same checks as the kit's own backends.
type ServerAdapter struct {
	bus             *engine.Bus
	server          Server
	name            string
	network, addr   string // as configured; "" when unknown
	readyTimeout    time.Duration
	shutdownTimeout time.Duration
	log             *slog.Logger

	mu       sync.Mutex    // guards the fields below
	running  bool          // between a successful Start and Stop
	starting bool          // a Start is under way
	done     chan struct{} // closed when the server's Start returned
	err      error         // the server's own error, once done is closed
	bound    net.Addr      // the address verified at Start
	stopped  bool          // Stop was asked: Start returning is expected
}

// Option configures a ServerAdapter.
type Option func(*ServerAdapter)

// WithName names the server in log lines ("" is the default server).
func WithName(name string) Option { return func(a *ServerAdapter) { a.name = name } }

// WithAddress tells the adapter where the server will listen, for servers
// that do not implement Addresser and for the port-free check before Start.
// network is "tcp" or "unix".
func WithAddress(network, addr string) Option {
	return func(a *ServerAdapter) { a.network, a.addr = network, addr }
}

// WithReadyTimeout bounds the wait for Ready (DefaultReadyTimeout if unset).
func WithReadyTimeout(d time.Duration) Option {
	return func(a *ServerAdapter) { a.readyTimeout = d }
}

// WithShutdownTimeout bounds the drain that Stop asks of the server; the
// server then force-closes what is left. Zero leaves it to the server.
func WithShutdownTimeout(d time.Duration) Option {
	return func(a *ServerAdapter) { a.shutdownTimeout = d }
}

// WithLogger sets the logger (the bus's logger by default).
func WithLogger(l *slog.Logger) Option {
	return func(a *ServerAdapter) { a.log = l }
}

// NewServerAdapter returns an adapter for server on bus. It does not
// subscribe it: call Subscribe.
func NewServerAdapter(bus *engine.Bus, server Server, opts ...Option) *ServerAdapter {
	a := &ServerAdapter{bus: bus, server: server, readyTimeout: DefaultReadyTimeout}
	for _, o := range opts {
		o(a)
	}
	if a.log == nil {
		a.log = bus.Logger()
	}
	if a.name != "" {
		a.log = a.log.With("server", a.name)
	}
	return a
}

// Subscribe hooks the adapter to its bus (start at engine.PriorityServerStart,
// stop at engine.PriorityServerStop) and returns a function that unhooks it.
func (a *ServerAdapter) Subscribe() (unsubscribe func()) {
	return a.bus.SubscribeComponent(a, engine.PriorityServerStart, engine.PriorityServerStop)
}

// Name returns the server's name ("" for the default server).
func (a *ServerAdapter) Name() string { return a.name }

// Server returns the adapted server.
func (a *ServerAdapter) Server() Server { return a.server }

// Start starts the server and returns once it is verified to be serving:
//
//  1. Already running: it logs and returns nil.
//  2. No server: ErrNoServer.
//  3. A TCP address with a fixed port, not inherited: the port must be free.
//     The check binds the address (so a socket lingering in TIME_WAIT is not
//     mistaken for a listener) and fails with "port P not free on H".
//  4. The server's Start runs in its own goroutine.
//  5. Start waits for Ready, at most the ready timeout, returning at once
//     the error the server's Start gives meanwhile (a bind failure).
//  6. It connects to the bound address (wildcard hosts through loopback) and
//     closes the probe at once. A failure is an error for a specific host
//     and a warning for a wildcard one.
//  7. It logs "serving on" with the scheme and the real address.
//
// A failure after step 4 stops the server again before Start returns.
func (a *ServerAdapter) Start(ctx context.Context) error {
	if a.server == nil {
		return ErrNoServer
	}
	a.mu.Lock()
	if a.running || a.starting {
		a.mu.Unlock()
		a.log.Info("server already started", "addr", a.describe())
		return nil
	}
	a.starting = true
	a.mu.Unlock()
	defer func() {
		a.mu.Lock()
		a.starting = false
		a.mu.Unlock()
	}()
	if a.network == "tcp" && !a.inherited() {
		if err := checkFree(a.addr); err != nil {
			return err
		}
	}

	done := make(chan struct{})
	a.mu.Lock()
	a.done, a.err, a.stopped, a.bound = done, nil, false, nil
	a.mu.Unlock()
	go a.serve(done)

	if err := a.waitReady(ctx, done); err != nil {
		a.abort(ctx)
		return err
	}
	bound, err := a.verifyBound(ctx)
	if err != nil {
		a.abort(ctx)
		return err
	}
	a.mu.Lock()
	select {
	case <-done: // it died between the checks and now
		err := a.err
		a.mu.Unlock()
		if err == nil {
			err = errors.New("server returned right after it was verified")
		}
		return fmt.Errorf("adapter: start %s: %w", a.describe(), err)
	default:
	}
	a.running, a.bound = true, bound
	a.mu.Unlock()
	a.log.Info("serving", "url", a.URL())
	return nil
}

// serve runs the server's blocking Start and reports how it ended.
func (a *ServerAdapter) serve(done chan struct{}) {
	err := a.server.Start()
	a.mu.Lock()
	expected := a.stopped
	wasRunning := a.running
	if err == nil && !expected && wasRunning {
		err = errors.New("adapter: server stopped serving on its own")
	}
	a.err = err
	a.running = false
	a.mu.Unlock()
	close(done)
	if err != nil && !expected && wasRunning {
		// The server died after a successful start: the process cannot
		// serve any more, so the bus exits and whoever waits gets err.
		a.log.Error("error in HTTP server: shutting down", "err", err)
		a.bus.RequestExit(1)
	}
}

func (a *ServerAdapter) waitReady(ctx context.Context, done <-chan struct{}) error {
	timer := time.NewTimer(a.readyTimeout)
	defer timer.Stop()
	fail := func() error {
		a.mu.Lock()
		err := a.err
		a.mu.Unlock()
		if err == nil {
			err = errors.New("server returned before it was ready")
		}
		return fmt.Errorf("adapter: start %s: %w", a.describe(), err)
	}
	switch s := a.server.(type) {
	case ReadyNotifier:
		select {
		case <-s.Ready():
			return nil
		case <-done:
			return fail()
		case <-timer.C:
			return fmt.Errorf("adapter: start %s: not ready after %v", a.describe(), a.readyTimeout)
		case <-ctx.Done():
			return fmt.Errorf("adapter: start %s: %w", a.describe(), ctx.Err())
		}
	case ReadyReporter:
		// A bool cannot be waited on: poll it with a short, growing back-off.
		backoff := time.Millisecond
		for !s.IsReady() {
			select {
			case <-done:
				return fail()
			case <-timer.C:
				return fmt.Errorf("adapter: start %s: not ready after %v", a.describe(), a.readyTimeout)
			case <-ctx.Done():
				return fmt.Errorf("adapter: start %s: %w", a.describe(), ctx.Err())
			case <-time.After(backoff):
			}
			backoff = min(backoff*2, 50*time.Millisecond)
		}
		return nil
	default:
		// No way to know: treat as ready, but report an immediate failure.
		select {
		case <-done:
			return fail()
		default:
			return nil
		}
	}
}

// verifyBound connects to the server's address. It returns that address.
func (a *ServerAdapter) verifyBound(ctx context.Context) (net.Addr, error) {
	addr := a.boundAddr()
	if addr == nil || a.inherited() {
		return addr, nil
	}
	targets, wildcard := probeTargets(addr)
	if len(targets) == 0 {
		return addr, nil // port 0 and no Addresser: nothing to check
	}
	err := a.probeUntil(ctx, addr.Network(), targets)
	switch {
	case err == nil:
		return addr, nil
	case wildcard:
		a.log.Warn("could not verify the server through loopback", "addr", addr.String(), "err", err)
		return addr, nil
	default:
		return nil, fmt.Errorf("adapter: port not bound on %s: %w", addr.String(), err)
	}
}

// probeUntil connects to targets until one answers, for at most the bind
// check's timeout: a server that has no Ready may still be binding. It
// gives up at once when the server's Start returns.
func (a *ServerAdapter) probeUntil(ctx context.Context, network string, targets []string) error {
	a.mu.Lock()
	done := a.done
	a.mu.Unlock()
	deadline := time.Now().Add(bindCheckTimeout)
	backoff := time.Millisecond
	for {
		err := probe(ctx, network, targets, max(time.Until(deadline), 10*time.Millisecond))
		if err == nil || time.Now().After(deadline) {
			return err
		}
		select {
		case <-done:
			return err
		case <-ctx.Done():
			return err
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 50*time.Millisecond)
	}
}

// abort stops a server whose start failed after its goroutine began,
// bounded like a Stop.
func (a *ServerAdapter) abort(ctx context.Context) {
	a.mu.Lock()
	a.stopped = true
	done := a.done
	a.mu.Unlock()
	stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), a.shutdownTimeout+stopGrace)
	defer cancel()
	if err := a.server.Stop(stopCtx); err != nil {
		a.log.Warn("stopping the server after a failed start", "err", err)
	}
	a.waitDone(done)
}

func (a *ServerAdapter) waitDone(done <-chan struct{}) {
	timer := time.NewTimer(a.shutdownTimeout + stopGrace)
	defer timer.Stop()
	select {
	case <-done:
	case <-timer.C:
		a.log.Error("server's Start did not return after Stop", "addr", a.describe())
	}
}

// Stop stops the server and returns once its address is free again:
//
//  1. Not running: it logs and returns nil.
//  2. It calls the server's Stop, which drains in-flight requests until ctx
//     ends or the shutdown timeout passes, and then force-closes the rest.
//  3. It waits for the server's Start to return.
//  4. For a TCP address with a fixed port it verifies the port is free
//     (retrying for up to a second), then logs "shut down".
//
// It returns the server's Stop error, or the port check's.
func (a *ServerAdapter) Stop(ctx context.Context) error {
	a.mu.Lock()
	if !a.running {
		a.mu.Unlock()
		a.log.Info("server already stopped", "addr", a.describe())
		return nil
	}
	a.stopped = true
	done := a.done
	bound := a.bound
	a.mu.Unlock()

	if a.shutdownTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, a.shutdownTimeout)
		defer cancel()
	}
	stopErr := a.server.Stop(ctx)
	a.waitDone(done)
	a.mu.Lock()
	a.running = false
	a.mu.Unlock()

	var freeErr error
	if bound != nil && bound.Network() == "tcp" && !a.inherited() {
		freeErr = waitFree(bound.String(), freeCheckTimeout)
	}
	var cut *CutOffError
	if errors.As(stopErr, &cut) {
		// What SHUTDOWN_TIMEOUT is for: not a failure of the stop.
		a.log.Warn("drain cut requests off", "addr", a.describe(), "connections", cut.Conns, "shutdown_timeout", a.shutdownTimeout)
		stopErr = nil
	}
	a.log.Info("HTTP server shut down", "addr", a.describe())
	if stopErr != nil {
		stopErr = fmt.Errorf("adapter: stop %s: %w", a.describe(), stopErr)
	}
	return errors.Join(stopErr, freeErr)
}

// Restart stops the server and starts it again on the same address.
func (a *ServerAdapter) Restart(ctx context.Context) error {
	if err := a.Stop(ctx); err != nil {
		return err
	}
	return a.Start(ctx)
}

// Running reports whether the server was started and has not stopped.
func (a *ServerAdapter) Running() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.running
}

// Done returns a channel closed when the server's Start has returned (nil
// before the first Start). Err then tells why.
func (a *ServerAdapter) Done() <-chan struct{} {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.done
}

// Err returns the error the server's Start returned on its own, after a
// successful start or during one; nil while it serves or after a clean Stop.
func (a *ServerAdapter) Err() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.err
}

// Addr returns the address the server is bound to: the real one (port 0
// resolved) when the server is an Addresser, else the configured one; nil
// when neither is known.
func (a *ServerAdapter) Addr() net.Addr { return a.boundAddr() }

// URL returns the base URL: "http://host:port", "https://host:port" or
// "unix:/path". Wildcard hosts are shown as they were bound.
func (a *ServerAdapter) URL() string {
	addr := a.boundAddr()
	if addr == nil {
		return ""
	}
	if addr.Network() == "unix" {
		return "unix:" + addr.String()
	}
	scheme := "http"
	if s, ok := a.server.(Secure); ok && s.IsTLS() {
		scheme = "https"
	}
	return scheme + "://" + addr.String()
}

func (a *ServerAdapter) boundAddr() net.Addr {
	if s, ok := a.server.(Addresser); ok {
		if addr := s.Addr(); addr != nil {
			return addr
		}
	}
	switch a.network {
	case "unix":
		return &net.UnixAddr{Net: "unix", Name: a.addr}
	case "tcp":
		if a.addr != "" {
			return configuredAddr(a.addr)
		}
	}
	return nil
}

func (a *ServerAdapter) inherited() bool {
	s, ok := a.server.(Inheriter)
	return ok && s.Inherited()
}

func (a *ServerAdapter) describe() string {
	if addr := a.boundAddr(); addr != nil {
		return addr.String()
	}
	if a.name != "" {
		return a.name
	}
	return "server"
}
