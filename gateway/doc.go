// Package gateway connects the HTTP servers to the engine, the part
// CherryPy's WSGI gateway plays, and holds the per-request policies a
// server applies in front of the application.
//
// # The gateway
//
// New(tree, cfg) returns the gateway: an http.Handler that any server
// backend calls, and that turns each call into an engine.Request and runs
// it on the tree (engine.Request.Run), writing straight to the backend's
// ResponseWriter. Convert is the conversion on its own: method, path (all
// of it as PathInfo), query, the request's and the server's protocol
// (Config.ProtocolVersion), scheme, host and the client's address; the
// header map, body and context are the *http.Request's own, never copied,
// and the local address is read from the context only when asked for. With
// Config.ReverseDNS the client's host name is looked up with a bounded wait
// and cached. Every call gets a new engine.Request, never reused (one
// allocation), so a handler keeps net/http's contract whole: it may keep
// its *http.Request, URL, header and context after it returns, and a
// write on its ResponseWriter after that is refused with
// engine.ErrRequestEnded (see "What a handler may keep" in package
// engine). Responses stream
// (Flush, Hijack, trailers, http.ResponseController), and a client that
// leaves cancels the handler's context.
//
// Config switches the policies below on; New composes them in the order
// given under "Order of the policies", and a policy that is off costs
// nothing. Error pages, tracebacks and the bus's before_request and
// after_request channels belong to the engine.Tree (its ErrorPage,
// Tracebacks and Bus), which every server of the tree shares.
//
// Package gatewaytest holds the conformance suite that every backend runs
// to show that streaming, hijacking, trailers, cancellation and the
// policies reach the client through it.
//
// # Policies
//
// Each policy is plain net/http middleware, a func(http.Handler)
// http.Handler with one concern, usable alone in any net/http or chi
// program and on a single route as well as on a whole server. New composes
// them from Config; everything below works without the engine.
//
//   - MaxBodySize bounds request bodies: 413 before the handler runs when
//     Content-Length is over the limit (closing the connection), a failing
//     read when a chunked body crosses it, and 413 if the handler then
//     returns without answering. A route can have its own limit.
//   - ThreadPool (and Pool, to watch it) bounds the handlers running at
//     once; the excess waits in a bounded queue for a bounded time, then
//     gets 503 with Retry-After rather than a reset connection. A waiting
//     request whose client leaves quits the queue.
//   - Protocol("HTTP/1.0") makes an HTTP/1.1 server answer as HTTP/1.0:
//     HTTP/1.0 status line, no chunked bodies, connection closed.
//   - Forwarded (with Config.TrustedProxies) takes the client's address
//     and scheme from the Forwarded or X-Forwarded-For and
//     X-Forwarded-Proto headers of a trusted proxy, the rightmost address
//     that is not itself a trusted proxy, and ignores them from anyone
//     else; the handlers below get a copy of the request with that
//     RemoteAddr, and Scheme tells them the scheme.
//   - Recover turns a handler's panic into a logged 500, or into an
//     aborted connection when the response had already started.
//   - AccessLog (and AccessLogger) writes one Combined Log Format line per
//     request (AccessLogger.Completion adds a field that marks responses
//     cut off); AccessLogSlog logs the same fields, and whether the
//     response was cut off, through log/slog.
//   - Statistics counts requests, bytes, statuses by class and requests in
//     flight per server and app, and serves them as JSON or through
//     expvar.
//
// The policies that need to see the response (AccessLog, Statistics,
// Recover, MaxBodySize for chunked bodies) wrap the ResponseWriter in a
// recorder, one per request however many of them are on (the outermost
// makes it, the others share it). It is never pooled: the application can
// reach it through Unwrap, so it must stay its own request's. The wrapper
// keeps the optional interfaces reachable: http.Flusher, http.Hijacker,
// io.ReaderFrom directly, and everything http.ResponseController knows
// through Unwrap. Beyond that recorder, counting a request, admitting it
// through a free pool slot and checking a declared body length allocate
// nothing.
//
// # Order of the policies
//
// Outermost first, the recommended order, for New and for programs that
// compose the policies by hand:
//
//	Protocol → Forwarded → Statistics → AccessLog → Recover → ThreadPool → MaxBodySize → app
//
// Protocol comes first, for two reasons. It has to change the server's own
// *http.Request (net/http picks the status line and the framing from it),
// so nothing may stand between it and the server that copies the request;
// and every answer the other policies give, the pool's 503, the body
// limit's 413 and Recover's 500 included, must go out in the downgraded
// protocol like the app's. With chi or a ServeMux, put Protocol before
// the router. Forwarded comes next: it hands on a copy of the request
// with the client's address, which everything after it, the access log,
// statistics, reverse DNS and the engine request, then reports; a
// request from an untrusted peer is passed on as it is. Statistics and
// the access log come next so that they see
// every request as the client saw it, including the 503s of the pool, the
// 413s of the body limit and the 500s of Recover, and they time the
// queueing too. Recover comes next so that a panic anywhere below, in the
// app or in a policy, still ends as a 500 that is counted and logged; New
// adds it only when the access log or statistics are on, since the engine
// answers the app's own panics and the policies below do not panic. The
// thread pool admits requests before anything reads their body, so a
// waiting request holds no more than its headers, and refused requests
// cost little. The body limit then guards what the app reads.
package gateway
