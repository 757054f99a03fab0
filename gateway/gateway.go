package gateway

import (
	"net/http"
	"strings"

	"github.com/seed-49a6713b/cherrygo/engine"
)

// New returns the gateway for tree: an http.Handler, for any server
// backend, that turns each call into an engine.Request (see Convert) and
// runs it on tree, behind the policies cfg switches on.
//
// Each call gets an engine request of its own, which shares the
// *http.Request's header map, body and context and is never reused: one
// allocation per request, which holds everything the application is
// handed. A handler may keep its *http.Request, its URL, header and
// context after it returns, as on net/http; a write on its ResponseWriter
// after it returned is refused (engine.ErrRequestEnded).
//
// Error pages, tracebacks and the bus's per-request channels are the
// tree's business (engine.Tree's fields), since every server of a tree
// answers the same way.
func New(tree *engine.Tree, cfg Config) http.Handler {
	g := &gateway{tree: tree, proto: cfg.ProtocolVersion, mount: cfg.MountPoint}
	if cfg.ReverseDNS {
		g.dns = newReverseDNS(0, 0, 0)
	}
	return policies(cfg, g)
}

// gateway is the innermost handler: conversion and Run.
type gateway struct {
	tree  *engine.Tree
	proto string
	dns   *reverseDNS // nil: reverse DNS off
	mount func(*http.Request) string

	// limited, when set, is MaxBodySize's handler in front of a copy of
	// this gateway without it: a request whose body needs the limiter
	// goes through it; the others, by far the most, are checked here, so
	// that the limit on by default costs no frame of its own (see
	// policies).
	limited *bodyLimiter
}

func (g *gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if b := g.limited; b != nil && !b.passes(r) {
		b.ServeHTTP(w, r)
		return
	}
	g.request(r).Run(g.tree, w)
}

// request converts r. It is kept out of line so that its frame is gone
// before Run calls the application: over HTTP/2 each request runs on a
// goroutine of its own, whose stack grows when the chain in front of the
// handler is deep.
//
//go:noinline
func (g *gateway) request(r *http.Request) *engine.Request {
	req := new(engine.Request)
	Convert(req, r, g.proto)
	if g.mount != nil {
		if prefix := g.mount(r); prefix != "" && strings.HasPrefix(req.PathInfo, prefix) {
			req.ScriptName, req.PathInfo = prefix, req.PathInfo[len(prefix):]
		}
	}
	if g.dns != nil {
		req.RemoteHost = g.dns.Lookup(r.Context(), req.Remote().Addr())
	}
	return req
}

// policies wraps h in the policies cfg switches on, outermost first
// (the order gateway's package doc explains):
//
//	Protocol → Forwarded → Statistics → AccessLog → Recover → ThreadPool → MaxBodySize → h
//
// The engine answers the app's panics itself, so Recover is only added
// when the access log or statistics are on: it turns a panic in the
// policies below them into a 500 they count and log. The thread pool and
// the body limit alone do not panic, and without Recover a request they
// pass costs no response recorder. A policy that is off costs nothing at
// all.
func policies(cfg Config, g *gateway) http.Handler {
	var h http.Handler = g
	if cfg.MaxBodySize > 0 {
		inner := *g
		g.limited = &bodyLimiter{limit: cfg.MaxBodySize, next: &inner}
	}
	h = ThreadPool(cfg.ThreadPool, cfg.QueueSize, cfg.QueueTimeout)(h)
	if cfg.AccessLog != nil || cfg.AccessLogger != nil || cfg.Statistics != nil {
		h = Recover(cfg.Logger)(h)
	}
	if cfg.AccessLog != nil {
		h = AccessLog(cfg.AccessLog)(h)
	}
	if cfg.AccessLogger != nil {
		h = AccessLogSlog(cfg.AccessLogger)(h)
	}
	if cfg.Statistics != nil {
		h = cfg.Statistics.Middleware(cfg.ServerName, "")(h)
	}
	// Everything below sees the client's address; a copy of the request
	// carries it, so it comes after Protocol.
	h = Forwarded(cfg.TrustedProxies)(h)
	// Outermost: it changes the server's own *http.Request, and every
	// answer below (the pool's 503, the body limit's 413, Recover's 500)
	// must go out in the downgraded protocol too.
	return Protocol(cfg.ProtocolVersion)(h)
}
