package metrics

import (
	"bufio"
	"io"
	"net"
	"net/http"

	"github.com/seed-49a6713b/cherrygo/internal/rwforward"
)

// recorder wraps a server's ResponseWriter for one request and notes what
// the metrics need: the final status, the body bytes written, whether the
// connection was hijacked, and (from the after_request listener) the app
// label.
//
// Like the gateway's recording writer, it keeps the wrapped writer's
// optional interfaces reachable: Flush, FlushError and Hijack through
// internal/rwforward, ReadFrom and WriteString for net/http's fast paths,
// Unwrap for http.ResponseController. It belongs to one request and is
// never reused.
type recorder struct {
	http.ResponseWriter
	status   int   // first final (non-1xx) status sent; 0 until then
	bytes    int64 // body bytes accepted by the wrapped writer
	hijacked bool  // Hijack succeeded
	app      string
	ctx      recorderContext // the request's context, carrying the recorder
}

// class is the request's code label.
func (rw *recorder) class() string { return statusClass(rw.status, rw.hijacked) }

// sentBytes is the body bytes the client received: none for a HEAD
// request or a status without a body, whose writes net/http discards.
func (rw *recorder) sentBytes(method string) int64 {
	status := rw.status
	if status == 0 && !rw.hijacked {
		status = http.StatusOK
	}
	if !rwforward.BodyAllowed(method, status) {
		return 0
	}
	return rw.bytes
}

// WriteHeader records the first final status and forwards every call.
func (rw *recorder) WriteHeader(code int) {
	if rw.status == 0 && rwforward.IsFinal(code) {
		rw.status = code
	}
	rw.ResponseWriter.WriteHeader(code)
}

func (rw *recorder) Write(p []byte) (int, error) {
	if rw.status == 0 {
		rw.status = http.StatusOK
	}
	n, err := rw.ResponseWriter.Write(p)
	rw.bytes += int64(n)
	return n, err
}

// WriteString keeps io.WriteString free of a []byte conversion.
func (rw *recorder) WriteString(s string) (int, error) {
	if rw.status == 0 {
		rw.status = http.StatusOK
	}
	n, err := rwforward.WriteString(rw.ResponseWriter, s)
	rw.bytes += int64(n)
	return n, err
}

// ReadFrom keeps net/http's sendfile path for io.Copy from a file.
func (rw *recorder) ReadFrom(src io.Reader) (int64, error) {
	if rw.status == 0 {
		rw.status = http.StatusOK
	}
	n, err := rwforward.ReadFrom(rw.ResponseWriter, src)
	rw.bytes += n
	return n, err
}

// Flush implements http.Flusher.
func (rw *recorder) Flush() { _ = rw.FlushError() }

// FlushError flushes the writers below; flushing sends the header.
func (rw *recorder) FlushError() error {
	err := rwforward.Flush(rw.ResponseWriter)
	if err == nil && rw.status == 0 {
		rw.status = http.StatusOK
	}
	return err
}

// Hijack implements http.Hijacker by asking the writers below.
func (rw *recorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, brw, err := rwforward.Hijack(rw.ResponseWriter)
	if err == nil {
		rw.hijacked = true
	}
	return conn, brw, err
}

// Unwrap returns the wrapped writer, for http.ResponseController.
func (rw *recorder) Unwrap() http.ResponseWriter { return rw.ResponseWriter }
