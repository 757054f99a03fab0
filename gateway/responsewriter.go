package gateway

import (
	"bufio"
	"io"
	"net"
	"net/http"

	"github.com/seed-49a6713b/cherrygo/internal/rwforward"
)

// responseWriter wraps the http.ResponseWriter a policy receives and
// records what the handler did with it: the final status, the body bytes
// written, and whether the connection was hijacked.
//
// It keeps the wrapped writer's optional interfaces reachable: Flush,
// FlushError and Hijack are forwarded by internal/rwforward (the wrapped
// writer's own method, else http.ResponseController, so they reach a
// writer several wrappers down), ReadFrom and WriteString keep
// net/http's fast paths, and Unwrap lets http.ResponseController find the
// rest (SetReadDeadline, SetWriteDeadline, EnableFullDuplex). Because the
// methods always exist, a type assertion to http.Hijacker succeeds even
// over HTTP/2; Hijack then returns an error wrapping http.ErrNotSupported,
// as http.ResponseController would.
//
// A responseWriter belongs to one request and is used by the handler's
// goroutine. It is never reused: the application can reach it (through
// the engine's writer's Unwrap), so it must stay its own request's.
type responseWriter struct {
	http.ResponseWriter
	status   int   // first final (non-1xx) status sent; 0 until then
	bytes    int64 // body bytes accepted by the wrapped writer
	hijacked bool  // Hijack succeeded
}

// wrote reports whether the response's header has left, either written
// or taken over by a hijack.
func (rw *responseWriter) wrote() bool { return rw.status != 0 || rw.hijacked }

// finalStatus is the status the client received: the one written, 200
// when the handler wrote nothing (net/http then sends 200), and 0 for a
// hijacked connection whose handler never called WriteHeader.
func (rw *responseWriter) finalStatus() int {
	switch {
	case rw.status != 0:
		return rw.status
	case rw.hijacked:
		return 0
	default:
		return http.StatusOK
	}
}

// sentBytes is the body bytes the client received: what the handler wrote,
// except for a HEAD request or a status that has no body (1xx, 204, 304),
// where net/http discards the writes.
func (rw *responseWriter) sentBytes(method string) int64 {
	if !rwforward.BodyAllowed(method, rw.finalStatus()) {
		return 0
	}
	return rw.bytes
}

// WriteHeader records the first final status and forwards every call, so
// net/http still reports superfluous calls. Informational statuses other
// than 101 may precede the final one and are not recorded.
func (rw *responseWriter) WriteHeader(code int) {
	if rw.status == 0 && rwforward.IsFinal(code) {
		rw.status = code
	}
	rw.ResponseWriter.WriteHeader(code)
}

func (rw *responseWriter) Write(p []byte) (int, error) {
	if rw.status == 0 {
		rw.status = http.StatusOK
	}
	n, err := rw.ResponseWriter.Write(p)
	rw.bytes += int64(n)
	return n, err
}

// WriteString keeps io.WriteString free of a []byte conversion when the
// wrapped writer has its own WriteString (net/http's does).
func (rw *responseWriter) WriteString(s string) (int, error) {
	if rw.status == 0 {
		rw.status = http.StatusOK
	}
	n, err := rwforward.WriteString(rw.ResponseWriter, s)
	rw.bytes += int64(n)
	return n, err
}

// ReadFrom keeps net/http's sendfile path for io.Copy from a file.
func (rw *responseWriter) ReadFrom(src io.Reader) (int64, error) {
	if rw.status == 0 {
		rw.status = http.StatusOK
	}
	n, err := rwforward.ReadFrom(rw.ResponseWriter, src)
	rw.bytes += n
	return n, err
}

// Flush implements http.Flusher; it does nothing when no writer below
// can flush. FlushError tells the two cases apart.
func (rw *responseWriter) Flush() { _ = rw.FlushError() }

// FlushError flushes the writers below (see rwforward.Flush). A
// ResponseController prefers it to Flush, so its caller learns when
// flushing is not supported.
func (rw *responseWriter) FlushError() error {
	err := rwforward.Flush(rw.ResponseWriter)
	if err == nil && rw.status == 0 {
		rw.status = http.StatusOK // flushing sends the header
	}
	return err
}

// Hijack implements http.Hijacker by asking the writers below.
func (rw *responseWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, brw, err := rwforward.Hijack(rw.ResponseWriter)
	if err == nil {
		rw.hijacked = true
	}
	return conn, brw, err
}

// Unwrap returns the wrapped writer, for http.ResponseController.
func (rw *responseWriter) Unwrap() http.ResponseWriter { return rw.ResponseWriter }

// wrap returns the responseWriter for w: w itself when it already is one
// (an outer policy wrapped it, and both then observe the same response),
// otherwise a new one.
func wrap(w http.ResponseWriter) *responseWriter {
	if rw, ok := w.(*responseWriter); ok {
		return rw
	}
	return &responseWriter{ResponseWriter: w}
}
