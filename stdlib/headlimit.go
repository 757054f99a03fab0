package stdlib

import "net/http"

// withHeadLimit answers 431 to an HTTP/1 request whose request line and
// headers exceed limit bytes, when the limit is one net/http cannot keep
// exactly (4096 bytes or less: it always reads 4096 bytes of head more
// than http.Server.MaxHeaderBytes). Larger limits are net/http's own, and
// h is returned as it is.
//
// The head is counted in its canonical form, "Name: value\r\n" per header
// line, the way clients send it; extra blanks around a value, which
// net/http trims before the handler sees them, are not counted.
func withHeadLimit(h http.Handler, limit int64) http.Handler {
	if limit <= 0 || limit > headerSlack {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ProtoMajor == 1 && headSize(r) > limit {
			w.Header().Set("Connection", "close")
			http.Error(w, "431 Request Header Fields Too Large", http.StatusRequestHeaderFieldsTooLarge)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// headSize is the size of r's request line and headers on the wire, the
// blank line that ends them included, counted in canonical form.
func headSize(r *http.Request) int64 {
	n := len(r.Method) + 1 + len(r.RequestURI) + 1 + len(r.Proto) + 2
	if _, ok := r.Header["Host"]; !ok && r.Host != "" {
		n += len("Host: ") + len(r.Host) + 2 // net/http moved it to r.Host
	}
	for name, values := range r.Header {
		for _, v := range values {
			n += len(name) + 2 + len(v) + 2
		}
	}
	return int64(n + 2)
}
