package stdlib

import "net/http"

// headLimit is the limit a front keeps on an HTTP/1 request's head (its
// request line and headers; 0: none): one net/http cannot keep exactly,
// 4096 bytes or less (it always reads 4096 bytes of head more than
// http.Server.MaxHeaderBytes). Larger limits are net/http's own.
//
// The head is counted in its canonical form, "Name: value\r\n" per header
// line, the way clients send it; extra blanks around a value, which
// net/http trims before the handler sees them, are not counted.
func headLimit(limit int64) int64 {
	if limit <= 0 || limit > headerSlack {
		return 0
	}
	return limit
}

// tooLargeHead answers 431 and closes the connection.
func tooLargeHead(w http.ResponseWriter) {
	w.Header().Set("Connection", "close")
	http.Error(w, "431 Request Header Fields Too Large", http.StatusRequestHeaderFieldsTooLarge)
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
