package stdlib

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/quic-go/quic-go"
	"github.com/quic-go/quic-go/http3"

	"github.com/seed-49a6713b/cherrygo/adapter"
)

// altSvcMaxAge is how long (in seconds) a client may remember the Alt-Svc
// advertisement of HTTP/3: a day.
const altSvcMaxAge = 86400

// http3CloseGrace bounds how long Stop waits, once the drain is over and
// the HTTP/3 server was told to close (CONNECTION_CLOSE to every client,
// each request's context cancelled), for the handlers of the requests cut
// off to return, before it closes the UDP sockets all the same. A handler
// that ignores its context outlives Stop, as over TCP.
const http3CloseGrace = 250 * time.Millisecond

// h3Run is the HTTP/3 part of one run: a UDP socket beside each TCP
// listener (or a duplicate of each WithPacketConn socket), and the
// http3.Server serving them all.
type h3Run struct {
	conns    []net.PacketConn
	handed   bool // conns are duplicates of WithPacketConn's sockets
	srv      *http3.Server
	inFlight atomic.Int64 // requests whose handler is running
	// cut counts the requests whose handler returned with its context
	// done after the drain ran out: the stop cut them off. drain is the
	// drain's context, set by Stop before it asks the server to shut
	// down (so that a request cut by the forced close is always seen as
	// cut, however quickly its handler returns).
	cut   atomic.Int64
	drain atomic.Pointer[context.Context]
	// altSvc is the Alt-Svc value of TCP responses: nil until HTTP/3 is
	// served (WithHTTP3After delays that).
	altSvc atomic.Pointer[[]string]
	// served has one count per Serve goroutine; gaveUp is closed when Stop
	// stops waiting for them (a handler that never returns keeps its Serve
	// from returning), so that Start does not wait for them either.
	served sync.WaitGroup
	gaveUp chan struct{}
	// stop is closed by Stop: a run still waiting for WithHTTP3After's
	// channel gives up.
	stop    chan struct{}
	mu      sync.Mutex // guards started and stopped
	started bool       // the Serve goroutines run (or ran)
	stopped bool       // Stop began: nothing starts any more
}

func newH3Run(conns []net.PacketConn, handed bool) *h3Run {
	return &h3Run{conns: conns, handed: handed, gaveUp: make(chan struct{}), stop: make(chan struct{})}
}

// servesHTTP3 reports whether a run serves HTTP/3 besides TCP: HTTP3 is
// set, the server speaks TLS, and it binds its own TCP sockets or was
// given a UDP socket beside the inherited ones (WithPacketConn).
func (c *core) servesHTTP3() bool {
	return c.settings.http3 && c.tlsConfig != nil && (len(c.inherited) == 0 || len(c.packetConns) > 0)
}

// bindSockets binds the run's TCP listeners and, when the run serves
// HTTP/3, a UDP socket on the address and port of each; a server given
// its sockets serves duplicates of them instead. With SOCKET_PORT
// 0 a UDP port that is taken (the TCP port was free, the UDP one of the
// same number is not) makes it bind a new pair, a few times over; with a
// fixed port it is a start error naming the UDP address.
func (c *core) bindSockets(ctx context.Context) ([]net.Listener, *h3Run, error) {
	if c.settings.http3 && !c.servesHTTP3() && c.tlsConfig != nil {
		c.log.Warn("HTTP/3 is not served: the server was given its TCP sockets but no UDP socket: serving TCP only")
	}
	if len(c.inherited) == 0 && len(c.packetConns) > 0 && c.settings.http3 {
		c.log.Warn("a UDP socket was given without a TCP one: ignored, binding both")
	}
	if !c.servesHTTP3() {
		ls, err := c.listeners(ctx)
		return ls, nil, err
	}
	if len(c.inherited) > 0 {
		ls, err := c.listeners(ctx)
		if err != nil {
			return nil, nil, err
		}
		conns, err := duplicatePacketConns(c.packetConns)
		if err != nil {
			closeListeners(ls)
			return nil, nil, err
		}
		return ls, newH3Run(conns, true), nil
	}
	attempts := 1
	if c.settings.anyPort {
		attempts = maxPortAttempts
	}
	for i := 1; ; i++ {
		ls, err := c.listeners(ctx)
		if err != nil {
			return nil, nil, err
		}
		conns, err := listenUDP(ctx, ls)
		if err == nil {
			return ls, newH3Run(conns, false), nil
		}
		closeListeners(ls)
		if i >= attempts || !errors.Is(err, syscall.EADDRINUSE) || ctx.Err() != nil {
			return nil, nil, err
		}
		c.log.Debug("the UDP port of the TCP port bound is taken: binding another pair", "err", err)
	}
}

// listenUDP binds a UDP socket on the IP and port of each TCP listener: a
// wildcard IPv6 one dual-stack, as the TCP socket is.
func listenUDP(ctx context.Context, ls []net.Listener) ([]net.PacketConn, error) {
	var lc net.ListenConfig
	conns := make([]net.PacketConn, 0, len(ls))
	for _, l := range ls {
		ta, ok := l.Addr().(*net.TCPAddr)
		if !ok {
			closePacketConns(conns)
			return nil, fmt.Errorf("stdlib: HTTP/3 needs a TCP socket, not %s %s", l.Addr().Network(), l.Addr())
		}
		network := "udp6"
		switch {
		case ta.IP.To4() != nil:
			network = "udp4"
		case ta.IP.IsUnspecified():
			network = "udp" // [::] with IPV6_V6ONLY off, like the TCP socket
		}
		addr := (&net.UDPAddr{IP: ta.IP, Port: ta.Port, Zone: ta.Zone}).String()
		pc, err := lc.ListenPacket(ctx, network, addr)
		if err != nil {
			closePacketConns(conns)
			return nil, fmt.Errorf("stdlib: %w", err) // "listen udp4 127.0.0.1:8443: bind: address already in use"
		}
		conns = append(conns, pc)
	}
	return conns, nil
}

// duplicatePacketConns returns a new socket on a duplicate of each
// descriptor of pcs (WithPacketConn's), so that closing them at Stop
// leaves pcs open for the next run.
func duplicatePacketConns(pcs []net.PacketConn) ([]net.PacketConn, error) {
	out := make([]net.PacketConn, 0, len(pcs))
	for _, pc := range pcs {
		dup, err := duplicatePacketConn(pc)
		if err != nil {
			closePacketConns(out)
			return nil, err
		}
		out = append(out, dup)
	}
	return out, nil
}

func duplicatePacketConn(pc net.PacketConn) (net.PacketConn, error) {
	filer, ok := pc.(interface{ File() (*os.File, error) })
	if !ok {
		return nil, fmt.Errorf("stdlib: UDP socket %s: %w", pc.LocalAddr(), errNoFile)
	}
	f, err := filer.File()
	if err != nil {
		return nil, fmt.Errorf("stdlib: UDP socket %s: %w", pc.LocalAddr(), err)
	}
	defer f.Close()
	dup, err := net.FilePacketConn(f)
	if err != nil {
		return nil, fmt.Errorf("stdlib: UDP socket %s: %w", pc.LocalAddr(), err)
	}
	return dup, nil
}

func closePacketConns(conns []net.PacketConn) {
	for _, pc := range conns {
		_ = pc.Close()
	}
}

// port is the UDP port the run serves HTTP/3 on.
func (h *h3Run) port() int {
	if ua, ok := h.conns[0].LocalAddr().(*net.UDPAddr); ok {
		return ua.Port
	}
	return 0
}

// count is the number of Serve goroutines the run starts; 0 for nil.
func (h *h3Run) count() int {
	if h == nil {
		return 0
	}
	return len(h.conns)
}

// newHTTP3Server is the http3.Server of a run: the TLS configuration's
// clone offering "h3" (its GetCertificate stays, so a certificate reload
// reaches QUIC handshakes too), the same handler as TCP (with the body
// read timeout), MAX_REQUEST_HEADER_SIZE as the bound of the request's
// HEADERS frame, and SOCKET_TIMEOUT as the idle timeout of a connection.
// 0-RTT is off: a replayed request could run twice.
func (c *core) newHTTP3Server(h *h3Run) *http3.Server {
	tlsConfig := c.tlsConfig.Clone()
	tlsConfig.NextProtos = []string{http3.NextProtoH3}
	maxHeader := noHeaderLimit
	if c.settings.maxHead > 0 && c.settings.maxHead < noHeaderLimit {
		maxHeader = int(c.settings.maxHead)
	}
	inner := withBodyTimeout(c.handler, c.settings.socketTimeout)
	return &http3.Server{
		TLSConfig:  tlsConfig,
		QUICConfig: &quic.Config{Allow0RTT: false},
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h.inFlight.Add(1)
			defer func() {
				if d := h.drain.Load(); d != nil && (*d).Err() != nil && r.Context().Err() != nil {
					h.cut.Add(1)
				}
				h.inFlight.Add(-1)
			}()
			inner.ServeHTTP(w, r)
		}),
		MaxHeaderBytes: maxHeader,
		IdleTimeout:    c.settings.socketTimeout,
		Logger:         c.log,
	}
}

// withAltSvc advertises HTTP/3 in every response of h (the TCP server's),
// before h writes anything, with the value altSvc holds; none while it
// holds nil.
func withAltSvc(h http.Handler, altSvc *atomic.Pointer[[]string]) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if v := altSvc.Load(); v != nil {
			w.Header()["Alt-Svc"] = *v // canonical already; shared, never modified
		}
		h.ServeHTTP(w, r)
	})
}

// advertise makes TCP responses advertise HTTP/3 on the run's port.
func (h *h3Run) advertise() {
	v := []string{`h3=":` + strconv.Itoa(h.port()) + `"; ma=` + strconv.Itoa(altSvcMaxAge)}
	h.altSvc.Store(&v)
}

// startHTTP3 sets the run's HTTP/3 server up and makes the TCP server
// r.srv advertise it once it is served; call it before r.srv serves.
func (c *core) startHTTP3(r *run) {
	if r.h3 == nil {
		return
	}
	r.h3.srv = c.newHTTP3Server(r.h3)
	r.srv.Handler = withAltSvc(r.srv.Handler, &r.h3.altSvc)
}

// serveHTTP3 serves HTTP/3 on each UDP socket of r until Stop, sending
// each Serve's outcome to errs: nil once stopped, else the error naming
// the socket. With WithHTTP3After it waits for that channel in a
// goroutine first; a Stop meanwhile sends nil for each socket.
func (c *core) serveHTTP3(r *run, errs chan<- error) {
	h := r.h3
	if h == nil {
		return
	}
	if c.h3After == nil {
		h.mu.Lock()
		defer h.mu.Unlock()
		if h.stopped { // a Stop came between Ready and here
			for range h.conns {
				errs <- nil
			}
			return
		}
		c.serveConns(r, errs)
		return
	}
	c.log.Info("HTTP/3 waits before it serves the handed-over UDP socket", "addr", h.conns[0].LocalAddr().String())
	go func() {
		select {
		case <-c.h3After:
		case <-h.stop:
		}
		h.mu.Lock()
		defer h.mu.Unlock()
		if h.stopped {
			for range h.conns {
				errs <- nil
			}
			return
		}
		c.serveConns(r, errs)
	}()
}

// serveConns starts a Serve goroutine for each UDP socket of r, after the
// TCP server began advertising HTTP/3 (a client that comes at once finds
// its packets queued on the socket). Call it with r.h3.mu held, before
// Stop.
func (c *core) serveConns(r *run, errs chan<- error) {
	h := r.h3
	h.started = true
	h.advertise()
	h.served.Add(len(h.conns))
	for _, pc := range h.conns {
		if h.handed {
			c.log.Info("HTTP/3 served on the handed-over UDP socket", "addr", pc.LocalAddr().String())
		} else {
			c.log.Info("listening", "network", "udp", "addr", pc.LocalAddr().String(), "tls", true, "http3", true)
		}
		served := make(chan error, 1)
		go func() {
			defer h.served.Done()
			served <- h.srv.Serve(pc)
		}()
		go func() {
			select {
			case err := <-served:
				if r.stopping.Load() || errors.Is(err, http.ErrServerClosed) {
					err = nil
				}
				if err != nil {
					err = fmt.Errorf("stdlib: serve HTTP/3 on udp %s: %w", pc.LocalAddr(), err)
				}
				errs <- err
			case <-h.gaveUp:
				errs <- nil
			}
		}()
	}
}

// shutdownHTTP3 stops the run's HTTP/3 server in the background, in
// parallel with the TCP drain, and returns a channel that yields its
// outcome once the UDP sockets are closed: nil, or an
// *adapter.CutOffError when requests were still running at the end of
// drain. The server sends GOAWAY to every client and waits for the
// requests in flight until drain is done; then it closes every
// connection.
func (c *core) shutdownHTTP3(drain context.Context, r *run) <-chan error {
	h := r.h3
	if h == nil {
		return nil
	}
	out := make(chan error, 1)
	h.mu.Lock()
	h.stopped = true
	close(h.stop)
	started := h.started
	h.mu.Unlock()
	if !started { // still waiting for WithHTTP3After's channel
		go func() {
			if c.handedOver.Load() && c.h3After != nil {
				// Handed over again before it was served: the successor
				// waits for this process to be gone, so this one stays
				// until the channel closes (whoever it waits for is gone
				// too), within the drain.
				select {
				case <-c.h3After:
				case <-drain.Done():
				}
			}
			close(h.gaveUp)
			closePacketConns(h.conns)
			out <- nil
		}()
		return out
	}
	go func() {
		h.drain.Store(&drain)
		sdDone := make(chan error, 1)
		go func() { sdDone <- h.srv.Shutdown(drain) }()
		var (
			err      error
			returned = true // Shutdown returned: so do the Serve goroutines
			cutOff   int
		)
		select {
		case err = <-sdDone:
			cutOff = int(h.inFlight.Load())
		case <-drain.Done():
			// Shutdown closes every connection now (each request's
			// context is cancelled), and returns once the handlers of the
			// requests cut off have returned.
			cutOff = int(h.inFlight.Load())
			select {
			case err = <-sdDone:
			case <-time.After(http3CloseGrace):
				c.log.Warn("HTTP/3 handlers still running after the drain: closing the UDP sockets all the same", "requests", h.inFlight.Load())
				err, returned = drain.Err(), false
			}
		}
		// The requests cut off whose handlers have returned since.
		cutOff = max(cutOff, int(h.cut.Load()+h.inFlight.Load()))
		switch {
		case (errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)) && cutOff == 0:
			// Only connections without a request were left (a client
			// gone mid-handshake, say, or one that ignored GOAWAY):
			// nothing was cut off.
			c.log.Debug("HTTP/3 connections without a request closed at the end of the drain")
			err = nil
		case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled):
			err = &adapter.CutOffError{Conns: cutOff, Err: err}
		case err != nil:
			err = fmt.Errorf("stdlib: HTTP/3 shutdown: %w", err)
		}
		if returned {
			h.served.Wait()
		}
		close(h.gaveUp)
		closePacketConns(h.conns) // the UDP port is free from here on
		out <- err
	}()
	return out
}

// mergeCutOff combines the TCP drain's outcome with HTTP/3's (h3 nil: no
// HTTP/3), waiting for the latter.
func mergeCutOff(err error, h3 <-chan error) error {
	if h3 == nil {
		return err
	}
	h3Err := <-h3
	if h3Err == nil {
		return err
	}
	if err == nil {
		return h3Err
	}
	var a, b *adapter.CutOffError
	if errors.As(err, &a) && errors.As(h3Err, &b) {
		return &adapter.CutOffError{Conns: a.Conns + b.Conns, Err: a.Err}
	}
	return errors.Join(err, h3Err)
}

// closeConns closes the UDP sockets of a run that never served; nil is
// fine.
func (h *h3Run) closeConns() {
	if h != nil {
		closePacketConns(h.conns)
	}
}
