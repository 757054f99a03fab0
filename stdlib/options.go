package stdlib

import (
	"log/slog"
	"net"
)

// Option changes how New builds a server.
type Option func(*options)

type options struct {
	log       *slog.Logger
	inherited []net.Listener
	owned     bool // the inherited sockets are this server's own (WithOwnedListener)
	// packetConns are WithPacketConn's UDP sockets, h3After
	// WithHTTP3After's channel.
	packetConns []net.PacketConn
	h3After     <-chan struct{}
	h2c         bool
	fastCGI     bool
}

func newOptions(opts []Option) *options {
	o := &options{}
	for _, f := range opts {
		f(o)
	}
	if o.log == nil {
		o.log = slog.New(slog.DiscardHandler)
	}
	return o
}

// WithLogger sets the logger for lifecycle events and for net/http's own
// error messages (a failed TLS handshake, say). The default discards them.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) { o.log = l }
}

// WithListener hands the server a socket that someone else bound and owns,
// such as systemd socket activation. The server then reports Inherited()
// true and never binds, resolves or removes anything itself. Given several
// times, it serves each listener, as a host name that resolves to several
// addresses does. A nil l is ignored.
//
// The listener must have a File method (every *net.TCPListener and
// *net.UnixListener has). Each run serves a duplicate of its descriptor, so
// Stop closes the duplicate and leaves l bound: pending connections wait for
// the next Start, and the caller closes l when it is done with it.
func WithListener(l net.Listener) Option {
	return func(o *options) {
		if l != nil {
			o.inherited = append(o.inherited, l)
		}
	}
}

// WithOwnedListener is WithListener for a socket that belongs to this
// server although another process bound it: the previous process of a
// zero-downtime upgrade, which created it from the same settings. The
// server never binds, but it cleans up as if it had bound the socket
// itself: the last Stop removes a unix socket file at the listener's path,
// if it is still the same file and the server did not hand it over again
// (see HandOver).
func WithOwnedListener(l net.Listener) Option {
	return func(o *options) {
		if l != nil {
			o.inherited = append(o.inherited, l)
			o.owned = true
		}
	}
}

// WithPacketConn hands a server given its TCP sockets (WithListener,
// WithOwnedListener) the UDP socket to serve HTTP/3 on beside them: one
// systemd passed (ListenDatagram= of the same port), or the one the old
// process of a zero-downtime upgrade served. Without it such a server
// serves TCP only, and logs why. It has an effect only with HTTP3 set (and
// TLS); a server that binds its own TCP sockets binds its UDP ones too,
// and ignores it. Given several times, HTTP/3 is served on each socket;
// Alt-Svc advertises the first one's port. A nil pc is ignored.
//
// The socket must have a File method (every *net.UDPConn has). As with
// WithListener, each run serves a duplicate of its descriptor and Stop
// closes only that: pc stays open (a UDP socket has no file to remove, so
// there is no owned variant), and the caller closes it when it is done
// with it.
func WithPacketConn(pc net.PacketConn) Option {
	return func(o *options) {
		if pc != nil {
			o.packetConns = append(o.packetConns, pc)
		}
	}
}

// WithHTTP3After delays HTTP/3 until wait is closed: until then a run
// holds its UDP sockets but reads nothing from them, and its TCP responses
// carry no Alt-Svc; then it serves HTTP/3 on them and advertises it. The
// new process of a zero-downtime upgrade needs this for the UDP socket it
// was handed (WithPacketConn): the old process still reads the packets of
// its QUIC connections from that very socket while it drains, and a
// second reader would take some of them and answer them with stateless
// resets, breaking the old process's requests in flight. A Stop while
// waiting does not wait for wait: it closes the run's UDP sockets and
// returns; only after HandOver (a second upgrade before the first old
// process was gone, whose successor waits for this process only) does it
// wait for wait, within the drain (SHUTDOWN_TIMEOUT and ctx). A nil wait
// serves HTTP/3 at once (the default).
func WithHTTP3After(wait <-chan struct{}) Option {
	return func(o *options) { o.h3After = wait }
}

// WithUnencryptedHTTP2 lets a plain (non-TLS) server speak HTTP/2 with
// prior knowledge ("h2c"), besides HTTP/1. Clients must know to use it; the
// HTTP/1 Upgrade dance is not offered. It has no effect on TLS servers,
// which negotiate HTTP/2 through ALPN when Config.HTTP2 is set.
func WithUnencryptedHTTP2() Option {
	return func(o *options) { o.h2c = true }
}

// WithFastCGI makes the server speak FastCGI instead of HTTP on its TCP or
// unix socket, for a web server in front of it. It cannot be combined with
// TLS settings.
func WithFastCGI() Option {
	return func(o *options) { o.fastCGI = true }
}
