package stdlib

import (
	"context"
	"crypto/tls"
	"fmt"
	"math"
	"net"
	"net/http"
	"time"
)

// HTTPServer runs an *http.Server of the program's own under the
// adapter's Server contract, for a program that already has one (its own
// timeouts, TLSConfig, ConnState, ErrorLog) and wants the kit's lifecycle
// for it: the port checks, Ready, the verifying connect, and a Stop that
// closes silent, idle and hijacked connections as Server's does (plain
// http.Server.Shutdown waits for silent ones and never closes hijacked
// ones). It implements adapter.Server, ReadyNotifier, Addresser and
// Secure. Create it with NewHTTPServer; the zero value is not usable.
//
// None of the SERVER_* settings apply to it: the *http.Server says
// everything, and the drain is bounded by Stop's context alone. Each Start
// serves a new http.Server carrying the exported fields of the one given
// (net/http cannot serve again with a server once shut down), so a field
// changed between runs takes effect at the next Start.
type HTTPServer struct {
	core
	template *http.Server
}

// NewHTTPServer returns an HTTPServer for srv, not yet started. It will
// listen on srv.Addr (":http", or ":https" with TLS, when empty) and serve
// srv.Handler (http.DefaultServeMux when nil, as net/http does), speaking
// TLS when srv.TLSConfig carries a certificate (Certificates,
// GetCertificate or GetConfigForClient).
//
// Of the options, WithListener and WithOwnedListener apply (it then serves
// those sockets instead of listening on srv.Addr), and WithLogger for the
// lifecycle messages.
func NewHTTPServer(srv *http.Server, opts ...Option) *HTTPServer {
	o := newOptions(opts)
	s := &HTTPServer{template: srv}
	s.log = o.log
	s.inherited, s.owned = o.inherited, o.owned
	s.handler = srv.Handler
	if c := srv.TLSConfig; c != nil && (len(c.Certificates) > 0 || c.GetCertificate != nil || c.GetConfigForClient != nil) {
		s.tlsConfig = c
	}
	s.settings = runSettings{shutdownTimeout: time.Duration(math.MaxInt64), noDelay: true}
	s.ready = make(chan struct{})
	s.bind = s.listen
	s.newServer = s.fromTemplate
	return s
}

func (s *HTTPServer) listen(ctx context.Context) ([]net.Listener, error) {
	addr := s.template.Addr
	if addr == "" {
		addr = ":http"
		if s.tlsConfig != nil {
			addr = ":https"
		}
	}
	var lc net.ListenConfig
	l, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("stdlib: %w", err)
	}
	return []net.Listener{l}, nil
}

// fromTemplate is the http.Server of one run: the template's exported
// fields, with the tracker's ConnState hook ahead of the program's own.
func (s *HTTPServer) fromTemplate(t *tracker) *http.Server {
	tp := s.template
	hook := t.hook
	if own := tp.ConnState; own != nil {
		hook = func(c net.Conn, st http.ConnState) {
			t.hook(c, st)
			own(c, st)
		}
	}
	var tlsConfig *tls.Config
	if s.tlsConfig != nil {
		// As ServeTLS would: offer HTTP/2 through ALPN unless the program
		// switched it off (Protocols without HTTP2, or a non-nil empty
		// TLSNextProto, net/http's old way).
		tlsConfig = s.tlsConfig.Clone()
		if len(tlsConfig.NextProtos) == 0 {
			h2 := (tp.Protocols == nil || tp.Protocols.HTTP2()) && (tp.TLSNextProto == nil || len(tp.TLSNextProto) > 0)
			if h2 {
				tlsConfig.NextProtos = append(tlsConfig.NextProtos, "h2")
			}
			tlsConfig.NextProtos = append(tlsConfig.NextProtos, "http/1.1")
		}
	}
	return &http.Server{
		Addr:                         tp.Addr,
		Handler:                      t.closeWhenStopping(tp.Handler),
		DisableGeneralOptionsHandler: tp.DisableGeneralOptionsHandler,
		TLSConfig:                    tlsConfig,
		ReadTimeout:                  tp.ReadTimeout,
		ReadHeaderTimeout:            tp.ReadHeaderTimeout,
		WriteTimeout:                 tp.WriteTimeout,
		IdleTimeout:                  tp.IdleTimeout,
		MaxHeaderBytes:               tp.MaxHeaderBytes,
		TLSNextProto:                 tp.TLSNextProto,
		ConnState:                    hook,
		ErrorLog:                     tp.ErrorLog,
		BaseContext:                  tp.BaseContext,
		ConnContext:                  tp.ConnContext,
		HTTP2:                        tp.HTTP2,
		Protocols:                    tp.Protocols,
	}
}
