package gateway

import "net/http"

// Protocol returns a middleware that makes the server speak at most
// version, CherryPy's protocol_version: the response uses the lower of the
// request's protocol and version.
//
// "HTTP/1.1" and "" change nothing: the middleware returns next unchanged.
// "HTTP/1.0" answers HTTP/1.1 requests the way an HTTP/1.0 server would:
//
//   - the status line reads "HTTP/1.0";
//   - the body is never chunked: with no Content-Length, the end of the
//     body is the end of the connection;
//   - the connection closes after the response. An HTTP/1.1 client cannot
//     ask for HTTP/1.0 keep-alive, so every downgraded response closes
//     its connection, even one with a known length. Requests that already
//     are HTTP/1.0 are left alone: net/http keeps their connection open when
//     the client sent "Connection: keep-alive" and the response's length is
//     known (set by the handler, or a body small enough for net/http to
//     buffer whole).
//
// net/http's HTTP/1 server writes the status line and picks the framing
// from the *http.Request it passed to the handler, so Protocol lowers
// r.ProtoMinor (and r.Proto) on that request, in place, and does not
// restore it: the header is often written after the handler returns.
// Protocol therefore only works when it receives the server's own
// request: put it before any middleware that copies the request (routers,
// r.WithContext). Handlers below it see "HTTP/1.0" as the request's
// protocol. HTTP/2 and HTTP/3 requests pass through unchanged: their
// framing has no HTTP/1.0 form.
//
// Any other version also returns next unchanged; the adapter's
// Config.Validate is where a wrong value is reported.
func Protocol(version string) func(http.Handler) http.Handler {
	if version != "HTTP/1.0" {
		return func(next http.Handler) http.Handler { return next }
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.ProtoMajor == 1 && r.ProtoMinor > 0 {
				r.ProtoMinor = 0
				r.Proto = "HTTP/1.0"
			}
			next.ServeHTTP(w, r)
		})
	}
}
