package stdlib

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
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
// listener, and the http3.Server serving them all.
type h3Run struct {
	conns    []net.PacketConn
	srv      *http3.Server
	inFlight atomic.Int64 // requests whose handler is running
	// served has one count per Serve goroutine; gaveUp is closed when Stop
	// stops waiting for them (a handler that never returns keeps its Serve
	// from returning), so that Start does not wait for them either.
	served sync.WaitGroup
	gaveUp chan struct{}
}

// servesHTTP3 reports whether a run serves HTTP/3 besides TCP: HTTP3 is
// set, the server speaks TLS, and it binds its own TCP sockets (the UDP
// socket of an inherited listener is not handed over; see the package
// doc).
func (c *core) servesHTTP3() bool {
	return c.settings.http3 && c.tlsConfig != nil && len(c.inherited) == 0
}

// bindSockets binds the run's TCP listeners and, when the run serves
// HTTP/3, a UDP socket on the address and port of each. With SOCKET_PORT
// 0 a UDP port that is taken (the TCP port was free, the UDP one of the
// same number is not) makes it bind a new pair, a few times over; with a
// fixed port it is a start error naming the UDP address.
func (c *core) bindSockets(ctx context.Context) ([]net.Listener, *h3Run, error) {
	if c.settings.http3 && !c.servesHTTP3() && c.tlsConfig != nil {
		c.log.Warn("HTTP/3 is not served on inherited sockets: serving TCP only")
	}
	if !c.servesHTTP3() {
		ls, err := c.listeners(ctx)
		return ls, nil, err
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
			return ls, &h3Run{conns: conns, gaveUp: make(chan struct{})}, nil
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

// addServers counts the Serve goroutines serveHTTP3 will start; Start
// calls it while it holds the lock Stop takes first, so that Stop's wait
// for them never races with the count (nil: nothing).
func (h *h3Run) addServers() {
	if h != nil {
		h.served.Add(len(h.conns))
	}
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
			defer h.inFlight.Add(-1)
			inner.ServeHTTP(w, r)
		}),
		MaxHeaderBytes: maxHeader,
		IdleTimeout:    c.settings.socketTimeout,
		Logger:         c.log,
	}
}

// withAltSvc advertises HTTP/3 on port in every response of h (the TCP
// server's), before h writes anything.
func withAltSvc(h http.Handler, port int) http.Handler {
	value := []string{`h3=":` + strconv.Itoa(port) + `"; ma=` + strconv.Itoa(altSvcMaxAge)}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header()["Alt-Svc"] = value // canonical already; shared, never modified
		h.ServeHTTP(w, r)
	})
}

// startHTTP3 sets the run's HTTP/3 server up and advertises it on the TCP
// server r.srv; call it before r.srv serves.
func (c *core) startHTTP3(r *run) {
	if r.h3 == nil {
		return
	}
	r.h3.srv = c.newHTTP3Server(r.h3)
	r.srv.Handler = withAltSvc(r.srv.Handler, r.h3.port())
}

// serveHTTP3 serves HTTP/3 on each UDP socket of r until Stop, sending
// each Serve's outcome to errs: nil once stopped, else the error naming
// the socket.
func (c *core) serveHTTP3(r *run, errs chan<- error) {
	h := r.h3
	if h == nil {
		return
	}
	for _, pc := range h.conns {
		c.log.Info("listening", "network", "udp", "addr", pc.LocalAddr().String(), "tls", true, "http3", true)
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
	go func() {
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
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
			err = &adapter.CutOffError{Conns: cutOff, Err: err}
		} else if err != nil {
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
