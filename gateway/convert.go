package gateway

import (
	"net/http"

	"github.com/seed-49a6713b/cherrygo/engine"
)

// Convert fills dst, a new engine request, from r: method,
// path (all of it in PathInfo, ScriptName ""), query, protocols, scheme
// (see Scheme: a trusted proxy's, as Forwarded found it, else the
// connection's), host, the client's address (r.RemoteAddr, which
// Forwarded may have set), and r's own header map, body and context,
// which are shared, never copied. serverProtocol is the server's highest
// protocol ("" for HTTP/1.1). The local address is read from r's context
// only when dst.Local is called. Convert does no reverse DNS, does not
// number the request, and allocates nothing.
func Convert(dst *engine.Request, r *http.Request, serverProtocol string) {
	dst.Method = r.Method
	if r.URL != nil {
		dst.PathInfo = r.URL.Path
		dst.QueryString = r.URL.RawQuery
	}
	dst.Protocol = r.Proto
	dst.ServerProtocol = serverProtocol
	dst.Scheme = Scheme(r)
	dst.Host = r.Host
	dst.Header = r.Header
	dst.Body = r.Body
	dst.ContentLength = r.ContentLength
	dst.RemoteAddr = r.RemoteAddr
	dst.Source = r
	dst.SetContext(r.Context())
}
