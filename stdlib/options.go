package stdlib

import (
	"log/slog"
	"net"
)

// Option changes how New builds a server.
type Option func(*options)

type options struct {
	log       *slog.Logger
	inherited net.Listener
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

// WithListener hands the server a socket that someone else bound: systemd
// socket activation, or a parent process before a re-exec. The server then
// reports Inherited() true and never binds, resolves or removes anything
// itself.
//
// The listener must have a File method (every *net.TCPListener and
// *net.UnixListener has). Each run serves a duplicate of its descriptor, so
// Stop closes the duplicate and leaves l bound: pending connections wait for
// the next Start, and the caller closes l when it is done with it.
func WithListener(l net.Listener) Option {
	return func(o *options) { o.inherited = l }
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
