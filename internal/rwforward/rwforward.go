package rwforward

import (
	"bufio"
	"io"
	"net"
	"net/http"
)

// WriteString writes s to w with w's own WriteString when it has one
// (net/http's writer does), so that no []byte copy of s is made; otherwise
// it converts and calls Write. It is io.WriteString under the kit's name,
// short enough to be inlined into the writers' own WriteString.
func WriteString(w http.ResponseWriter, s string) (int, error) {
	return io.WriteString(w, s)
}

// ReadFrom copies src to w with w's own ReadFrom when it has one (net/http
// uses sendfile from a file), and with Copy otherwise.
func ReadFrom(w http.ResponseWriter, src io.Reader) (int64, error) {
	if rf, ok := w.(io.ReaderFrom); ok {
		return rf.ReadFrom(src)
	}
	return Copy(w, src)
}

// Copy is io.Copy from src to w through w's Write alone. A wrapper whose
// ReadFrom falls back on copying calls it with itself, so that io.Copy
// cannot call that ReadFrom again.
func Copy(w io.Writer, src io.Reader) (int64, error) {
	return io.Copy(writerOnly{w}, src)
}

// writerOnly hides every method of the writer but Write.
type writerOnly struct{ io.Writer }

// Flush flushes w. It tries w's FlushError, then w's Flush, and then lets
// http.ResponseController look further down (through Unwrap), so a writer
// that cannot flush gives an error wrapping http.ErrNotSupported.
func Flush(w http.ResponseWriter) error {
	switch f := w.(type) {
	case interface{ FlushError() error }:
		return f.FlushError()
	case http.Flusher:
		f.Flush()
		return nil
	}
	return http.NewResponseController(w).Flush()
}

// Hijack takes the connection over from w: w's own Hijack when it has one,
// else whatever http.ResponseController finds further down, else an error
// wrapping http.ErrNotSupported.
func Hijack(w http.ResponseWriter) (net.Conn, *bufio.ReadWriter, error) {
	if h, ok := w.(http.Hijacker); ok {
		return h.Hijack()
	}
	return http.NewResponseController(w).Hijack()
}

// IsFinal reports whether WriteHeader(code) sends the response's final
// header: every code but the informational ones (1xx), which come before
// it, except 101 Switching Protocols, after which no other header follows.
func IsFinal(code int) bool {
	return code < 100 || code > 199 || code == http.StatusSwitchingProtocols
}

// BodyAllowed reports whether a response with the final status to a
// request with method may carry a body: not for HEAD, nor for a status
// below 200 (1xx, 101 included, or 0 for none), 204 No Content or 304 Not
// Modified.
func BodyAllowed(method string, status int) bool {
	return method != http.MethodHead && status >= 200 &&
		status != http.StatusNoContent && status != http.StatusNotModified
}
