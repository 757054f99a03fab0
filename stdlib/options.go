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
	h2c       bool
	fastCGI   bool
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
