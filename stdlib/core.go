package stdlib

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/fcgi"
	"sync"
	"sync/atomic"
	"time"

	"github.com/seed-49a6713b/cherrygo/adapter"
	"github.com/seed-49a6713b/cherrygo/adapter/settings"
)

// ErrRunning is returned by Start when the server is already starting or
// serving.
var ErrRunning = errors.New("stdlib: server already running")

// noHeaderLimit stands for MAX_REQUEST_HEADER_SIZE=0: net/http needs some
// bound, so "no limit of ours" is 1 GiB, which no real header reaches.
const noHeaderLimit = 1 << 30

// headerSlack is what net/http reads of a request head beyond
// http.Server.MaxHeaderBytes.
const headerSlack = 4096

// runState is where a server is in its life; see core.
type runState int

const (
	stateIdle     runState = iota // not started, or stopped: Start may be called
	stateBinding                  // Start is binding; Stop waits for it to give up
	stateServing                  // bound and serving
	stateStopping                 // Stop is draining and closing
)

// runSettings are the parts of the configuration a running server needs.
type runSettings struct {
	socketTimeout   time.Duration
	shutdownTimeout time.Duration
	maxHeaderBytes  int
	maxHead         int64 // MAX_REQUEST_HEADER_SIZE; 0: no limit
	noDelay         bool
	http2           bool
	h2c             bool
	fastCGI         bool
	// proxyProtocol reads a PROXY header from trustedProxies' connections
	// (see proxyListener).
	proxyProtocol  bool
	trustedProxies settings.Proxies
	// http3 serves HTTP/3 on UDP beside a TLS server's TCP sockets (see
	// http3.go); anyPort is SOCKET_PORT 0, which lets a taken UDP port
	// make the pair be bound again.
	http3   bool
	anyPort bool
}

// core is what every backend shares: one net/http.Server per run over the
// listeners the backend binds, the connection tracker, and the
// Start/Stop/Ready life cycle of adapter.Server.
type core struct {
	log       *slog.Logger
	handler   http.Handler
	settings  runSettings
	tlsConfig *tls.Config    // nil: plain HTTP
	certs     *certSource    // the TLS pair presented, reloadable; nil: plain HTTP
	inherited []net.Listener // WithListener's, or WithOwnedListener's
	owned     bool           // the inherited sockets are ours to clean up
	// packetConns are the UDP sockets given for HTTP/3 (WithPacketConn);
	// h3After delays HTTP/3 until it is closed (WithHTTP3After; nil: no
	// delay).
	packetConns []net.PacketConn
	h3After     <-chan struct{}
	// handedOver is set by HandOver: a successor serves the sockets now.
	handedOver atomic.Bool

	// bind binds the backend's sockets; release undoes what bind left
	// behind once the listeners are closed (a unix socket file).
	bind    func(ctx context.Context) ([]net.Listener, error)
	release func()
	// adopt, if set, takes an owned inherited listener over as if bind had
	// created it (records a unix socket's file, for release).
	adopt func(l net.Listener)
	// newServer makes the http.Server of a run (newHTTPServer unless set).
	newServer func(t *tracker) *http.Server

	mu    sync.Mutex    // guards the fields below
	state runState      // see runState
	ready chan struct{} // closed once bound; replaced after each stop
	run   *run          // the current run, nil when idle
}

// run is one Start-to-Stop period.
type run struct {
	cancelBind context.CancelFunc // aborts a name lookup during bind
	aborted    bool               // Stop came while binding (guarded by core.mu)
	bindDone   chan struct{}      // closed when the bind phase is over
	stopDone   chan struct{}      // closed when Stop is over
	srv        *http.Server
	listeners  []net.Listener
	accepting  []*trackingListener // what Serve accepts from, one per listener
	tracker    *tracker
	fcgi       fcgiRequests   // FastCGI: the requests in flight
	stopping   atomic.Bool    // Stop began: a serve error is expected
	serving    sync.WaitGroup // one count per Serve goroutine
	certWatch  *certWatch     // reloads the TLS pair when its files change; nil if none
	h3         *h3Run         // HTTP/3 on UDP beside the listeners; nil if not served
}

// Start binds the server's sockets and serves until Stop is called. A bind
// failure is returned at once, naming the address. After Stop it returns
// nil. If serving fails on its own, it stops the server and returns that
// error. It returns ErrRunning if the server is already running.
func (c *core) Start() error {
	c.mu.Lock()
	if c.state != stateIdle {
		c.mu.Unlock()
		return ErrRunning
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &run{cancelBind: cancel, bindDone: make(chan struct{}), stopDone: make(chan struct{})}
	c.state, c.run = stateBinding, r
	c.mu.Unlock()

	ls, h3, err := c.bindSockets(ctx)
	cancel()

	c.mu.Lock()
	if err != nil || r.aborted {
		if r.aborted { // Stop came first: release what was bound, report nothing
			if err == nil {
				closeListeners(ls)
				h3.closeConns()
				c.releaseSocket()
			}
			err = nil
		}
		c.state, c.run = stateIdle, nil
		close(r.bindDone)
		c.mu.Unlock()
		return err
	}
	r.listeners, r.tracker = ls, newTracker()
	if c.newServer != nil {
		r.srv = c.newServer(r.tracker)
	} else {
		r.srv = c.newHTTPServer(r.tracker)
	}
	r.h3 = h3
	c.startHTTP3(r)
	for _, l := range ls {
		r.accepting = append(r.accepting, &trackingListener{Listener: c.proxied(l), t: r.tracker, noDelay: c.settings.noDelay, timeout: c.settings.socketTimeout, accepted: make(chan struct{}, 1), shared: c.shared})
	}
	r.serving.Add(len(ls))
	if c.certs != nil {
		r.certWatch = c.certs.watch(c.log)
	}
	c.state = stateServing
	close(c.ready)
	close(r.bindDone)
	c.mu.Unlock()

	errs := make(chan error, len(ls)+r.h3.count())
	c.serveHTTP3(r, errs)
	for i, l := range ls {
		c.log.Info("listening", "network", l.Addr().Network(), "addr", l.Addr().String(), "tls", c.tlsConfig != nil)
		var served net.Listener = r.accepting[i]
		if r.srv.TLSConfig != nil {
			served = tls.NewListener(served, r.srv.TLSConfig)
		}
		go func() {
			defer r.serving.Done()
			if err := c.serve(r, served); !errors.Is(err, http.ErrServerClosed) {
				errs <- fmt.Errorf("stdlib: serve %s: %w", l.Addr(), err)
				return
			}
			errs <- nil
		}()
	}
	var failed error
	for range cap(errs) {
		if err := <-errs; err != nil && failed == nil {
			failed = err
			c.log.Error("serving failed: stopping", "err", err)
			if stopErr := c.Stop(context.Background()); stopErr != nil {
				c.log.Warn("stopping after a serve failure", "err", stopErr)
			}
		}
	}
	return failed
}

// serve serves l until Stop: HTTP through r's http.Server, or FastCGI.
func (c *core) serve(r *run, l net.Listener) error {
	if !c.settings.fastCGI {
		err := r.srv.Serve(l)
		if r.stopping.Load() && errors.Is(err, net.ErrClosed) {
			return http.ErrServerClosed // shutdown closed the listener before calling Shutdown
		}
		return err
	}
	err := fcgi.Serve(&fcgiListener{Listener: l, reqs: &r.fcgi}, r.fcgi.wrap(r.srv.Handler))
	if r.stopping.Load() {
		return http.ErrServerClosed
	}
	return err
}

// listeners returns the inherited listeners' duplicates, or binds.
func (c *core) listeners(ctx context.Context) ([]net.Listener, error) {
	if len(c.inherited) == 0 {
		return c.bind(ctx)
	}
	ls := make([]net.Listener, 0, len(c.inherited))
	for _, in := range c.inherited {
		l, err := duplicate(in)
		if err != nil {
			closeListeners(ls)
			return nil, err
		}
		if c.owned {
			allowHandshakes(l) // a previous run's stop may have left its filter
		}
		ls = append(ls, l)
	}
	if c.owned && c.adopt != nil {
		c.adopt(ls[0])
	}
	return ls, nil
}

// shared reports whether the sockets live on in another process once this
// one closes them: systemd's (WithListener), or handed to the new process
// of an upgrade.
func (c *core) shared() bool {
	return (len(c.inherited) > 0 && !c.owned) || c.handedOver.Load()
}

// releaseSocket undoes what bind left behind (a unix socket file), unless
// the socket is someone else's or was handed over to a successor.
func (c *core) releaseSocket() {
	if c.release != nil && (len(c.inherited) == 0 || c.owned) && !c.handedOver.Load() {
		c.release()
	}
}

// front is the handler the http.Server runs: closeWhenStopping,
// the head limit and withBodyTimeout in one (see front).
func (c *core) front(t *tracker) http.Handler {
	f := &front{next: c.handler, t: t, maxHead: headLimit(c.settings.maxHead), timeout: timeoutPolicy(max(c.settings.socketTimeout, 0))}
	if f.next == nil {
		f.next = http.DefaultServeMux
	}
	return f
}

func (c *core) newHTTPServer(t *tracker) *http.Server {
	var protocols http.Protocols
	protocols.SetHTTP1(true)
	var tlsConfig *tls.Config
	if c.tlsConfig != nil {
		tlsConfig = c.tlsConfig.Clone() // net/http may adjust it per run
		protocols.SetHTTP2(c.settings.http2)
	} else {
		protocols.SetUnencryptedHTTP2(c.settings.h2c)
	}
	return &http.Server{
		Handler:           c.front(t),
		TLSConfig:         tlsConfig,
		Protocols:         &protocols,
		ReadHeaderTimeout: c.settings.socketTimeout,
		IdleTimeout:       c.settings.socketTimeout,
		MaxHeaderBytes:    c.settings.maxHeaderBytes,
		ConnState:         t.hook,
		ErrorLog:          slog.NewLogLogger(c.log.Handler(), slog.LevelWarn),
	}
}

// Stop stops the server; it follows adapter.Server's contract:
//
//  1. Not running: it returns nil at once. Binding: it makes Start give up,
//     waits until Start released what it bound, and returns nil.
//  2. It stops accepting (the listeners close), closes the connections
//     that carry no request (new and idle keep-alive ones) and each one as
//     soon as its request is answered.
//  3. It waits for in-flight requests until ctx is done or the shutdown
//     timeout passes, whichever comes first.
//  4. It closes every connection left, hijacked ones included, and returns
//     once the listeners and all connections are closed (and a unix socket
//     file removed), so the address can be bound again at once.
//
// It returns an *adapter.CutOffError (wrapping the drain's context error)
// when requests had to be cut off, nil otherwise. A second Stop during the first waits for it and returns
// nil. The server can be started again afterwards; Ready then returns a
// new channel.
func (c *core) Stop(ctx context.Context) error {
	c.mu.Lock()
	r := c.run
	switch c.state {
	case stateIdle:
		c.mu.Unlock()
		return nil
	case stateBinding:
		r.aborted = true
		r.cancelBind()
		c.mu.Unlock()
		return waitOr(ctx, r.bindDone)
	case stateStopping:
		c.mu.Unlock()
		return waitOr(ctx, r.stopDone)
	}
	c.state = stateStopping
	c.mu.Unlock()

	r.certWatch.close()
	err := c.shutdown(ctx, r)

	c.mu.Lock()
	c.state, c.run, c.ready = stateIdle, nil, make(chan struct{})
	close(r.stopDone)
	c.mu.Unlock()
	c.log.Info("stopped", "cut_off", err != nil)
	return err
}

func (c *core) shutdown(ctx context.Context, r *run) error {
	// A zero SHUTDOWN_TIMEOUT cuts in-flight requests off at once: the
	// drain's context is already over.
	drain, cancel := context.WithTimeout(ctx, c.settings.shutdownTimeout)
	defer cancel()
	r.stopping.Store(true)
	if c.settings.fastCGI {
		return c.shutdownFastCGI(drain, r)
	}
	h3Done := c.shutdownHTTP3(drain, r) // in parallel with the TCP drain
	// First the HTTP/1 connections that carry no request get their
	// StopGrace, and the accept queues are emptied, while each response
	// closes its connection (keep-alives are not turned off in net/http:
	// a connection whose last response was a keep-alive one would then be
	// dropped with the client's next request unread). net/http drops a
	// request it reads once Shutdown has begun, so
	// Shutdown waits until those connections have either sent their
	// request (they are served, and close after the response) or been
	// closed.
	r.tracker.beginStop() // from now on every HTTP/1 response says Connection: close
	for _, l := range r.accepting {
		_ = l.Close()
	}
	// Serve returns once its listener is closed, after the accept queue
	// was swept (trackingListener.Close): only then can the drain be over.
	served := make(chan struct{})
	go func() {
		defer close(served)
		r.serving.Wait()
		r.tracker.listenersClosed()
	}()
	select {
	case <-r.tracker.settled:
	case <-drain.Done():
	}

	// Shutdown tells HTTP/2 clients to go away; the tracker, not
	// Shutdown's polling, decides when the drain is over.
	sdCtx, sdCancel := context.WithCancel(context.Background())
	sdDone := make(chan struct{})
	go func() {
		defer close(sdDone)
		_ = r.srv.Shutdown(sdCtx)
	}()

	var err error
	select {
	case <-r.tracker.drained: // nothing was in flight: not a cut-off
	default:
		select {
		case <-r.tracker.drained:
		case <-drain.Done():
			err = &adapter.CutOffError{Conns: r.tracker.serving(), Err: drain.Err()}
		}
	}
	sdCancel()
	<-sdDone
	<-served
	for _, l := range r.accepting {
		l.waitClosed() // the port is free before Stop returns
	}
	if err != nil {
		select {
		case <-r.tracker.drained: // all done by the time the listeners closed
			err = nil
		default:
		}
	}
	closeListeners(r.listeners)
	r.tracker.closeAll()
	c.releaseSocket()
	return mergeCutOff(err, h3Done)
}

// waitOr waits for done or ctx, whichever comes first; it returns nil or
// ctx's error.
func waitOr(ctx context.Context, done <-chan struct{}) error {
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Ready returns a channel closed once the server is bound and accepting.
// Each Stop replaces it with a new, open channel for the next run.
func (c *core) Ready() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ready
}

// Addr returns the address of the first socket the server is bound to
// (the real port when configured with port 0), or nil when not bound.
func (c *core) Addr() net.Addr {
	if addrs := c.Addrs(); len(addrs) > 0 {
		return addrs[0]
	}
	return nil
}

// Addrs returns the addresses of every socket the server is bound to
// (several for a host name that resolves to several addresses), or nil
// when not bound.
func (c *core) Addrs() []net.Addr {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.run == nil || (c.state != stateServing && c.state != stateStopping) {
		return nil
	}
	addrs := make([]net.Addr, len(c.run.listeners))
	for i, l := range c.run.listeners {
		addrs[i] = l.Addr()
	}
	return addrs
}

// IsTLS reports whether the server speaks TLS.
func (c *core) IsTLS() bool { return c.tlsConfig != nil }

// Inherited reports whether the server serves a listener it was handed
// (WithListener, WithOwnedListener) rather than one it binds, or has handed
// its sockets over (HandOver): either way the port is not meant to be free
// when it stops.
func (c *core) Inherited() bool { return len(c.inherited) > 0 || c.handedOver.Load() }

func closeListeners(ls []net.Listener) {
	for _, l := range ls {
		_ = l.Close() // a second close (after Serve's) only reports an error
	}
}
