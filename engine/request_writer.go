package engine

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/seed-49a6713b/cherrygo/internal/rwforward"
)

// errReplaced is returned by writes of a handler whose response was
// replaced by an error response (a BeforeFinalize hook failed).
var errReplaced = errors.New("engine: response replaced by an error response")

// ErrRequestEnded is returned by the ResponseWriter an app was given when
// it is used after its handler returned (a writer kept by a goroutine,
// say): the call is dropped, so it can reach no other response.
var ErrRequestEnded = errors.New("engine: ResponseWriter used after the request ended")

// responseWriter is the response of a request, in two views over the same
// memory.
//
// *responseWriter is what the application's handler is given: every call
// passes a gate (enter, leave) that closes when the handler returns
// (end), so that a goroutine that kept the writer can no longer reach the
// response while the engine finishes it, nor the front end's writer,
// which the front end may reuse for another response once Run returns. A
// refused write returns ErrRequestEnded; Header returns a map nobody
// sends; Unwrap a writer that refuses everything.
//
// *engineWriter, the same value converted, is what the hooks and the error
// page get: the same methods without the gate, used only from Run's own
// goroutine (or from inside one of the handler's calls). It passes
// everything to the front end's writer and notes whether the header went
// out, so that an error response is only written while it still can be,
// and runs the BeforeFinalize hooks just before the header is sent.
// Flush, Hijack, ReadFrom, the deadlines and Unwrap (for
// http.ResponseController) reach the front end's writer in both views.
type responseWriter struct {
	w   http.ResponseWriter
	req *Request

	// calls is 2 × the handler's calls that are under way, plus 1 once
	// the gate closed; drained, made by end when it has to wait, is
	// closed by the call that brings the count to 0 after that (see
	// enter, leave, end).
	drained chan struct{}
	calls   atomic.Int32
	woken   atomic.Bool // drained was closed

	wroteHeader bool // the final header was sent (or the conn hijacked)
	finalized   bool // BeforeFinalize ran (or must not run)
	replaced    bool // an error response took the handler's place
	dropBody    bool // no body may be sent (HEAD, 204, 304) and nobody else drops it
	hijacked    bool // the handler took the connection
}

// engineWriter is responseWriter without the gate: see there.
type engineWriter responseWriter

// engine returns the view of rw the hooks and the error page get.
func (rw *responseWriter) engine() *engineWriter { return (*engineWriter)(rw) }

// enter reports whether one of the handler's calls may go on: the gate
// is open. A call that may must leave once it is done.
func (rw *responseWriter) enter() bool {
	if rw.calls.Add(2)&1 != 0 {
		rw.leave()
		return false
	}
	return true
}

func (rw *responseWriter) leave() {
	if rw.calls.Add(-2) == 1 && rw.drained != nil && rw.woken.CompareAndSwap(false, true) {
		close(rw.drained)
	}
}

// end closes the gate, if it is open, and waits for the handler's calls
// that are still under way (a goroutine that kept the writer, writing as
// the handler returns); a write blocked on a slow client holds it up
// until the front end's write deadline, or its stop, ends that write.
// Run calls it once the handler has returned, and again at its end.
func (rw *responseWriter) end() {
	if rw.calls.Load()&1 != 0 || rw.calls.CompareAndSwap(0, 1) {
		return
	}
	rw.drained = make(chan struct{}) // before the bit: leave reads it after
	if rw.calls.Or(1)>>1 != 0 {
		<-rw.drained
	}
}

// ended is the writer Unwrap returns once the gate has closed.
type ended struct{}

func (ended) Header() http.Header       { return http.Header{} }
func (ended) Write([]byte) (int, error) { return 0, ErrRequestEnded }
func (ended) WriteHeader(int)           {}
func (ended) FlushError() error         { return ErrRequestEnded }

// The handler's view: each method passes the gate, then does what the
// engine's view does.

func (rw *responseWriter) Header() http.Header {
	if !rw.enter() {
		return http.Header{}
	}
	defer rw.leave()
	return rw.w.Header()
}

func (rw *responseWriter) WriteHeader(code int) {
	if !rw.enter() {
		return
	}
	defer rw.leave()
	rw.engine().WriteHeader(code)
}

func (rw *responseWriter) Write(p []byte) (int, error) {
	if !rw.enter() {
		return 0, ErrRequestEnded
	}
	defer rw.leave()
	return rw.engine().Write(p)
}

// WriteString keeps io.WriteString free of a []byte conversion when the
// front end's writer can take strings.
func (rw *responseWriter) WriteString(s string) (int, error) {
	if !rw.enter() {
		return 0, ErrRequestEnded
	}
	defer rw.leave()
	return rw.engine().WriteString(s)
}

// ReadFrom lets io.Copy use the front end's fast path (sendfile).
func (rw *responseWriter) ReadFrom(src io.Reader) (int64, error) {
	if !rw.enter() {
		return 0, ErrRequestEnded
	}
	defer rw.leave()
	return rw.engine().ReadFrom(src)
}

func (rw *responseWriter) Flush() { rw.FlushError() } //nolint:errcheck // http.Flusher has no error

// FlushError sends the header, if not yet, and what was written so far.
// http.ResponseController calls it.
func (rw *responseWriter) FlushError() error {
	if !rw.enter() {
		return ErrRequestEnded
	}
	defer rw.leave()
	return rw.engine().FlushError()
}

// Hijack hands the connection to the handler (a WebSocket upgrade, say).
// The engine writes nothing on it afterwards.
func (rw *responseWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if !rw.enter() {
		return nil, nil, ErrRequestEnded
	}
	defer rw.leave()
	return rw.engine().Hijack()
}

// SetReadDeadline, SetWriteDeadline and EnableFullDuplex are here, behind
// the gate, so that http.ResponseController finds them before it unwraps
// to the front end's writer: a late call must not reach a connection that
// serves the next request.

func (rw *responseWriter) SetReadDeadline(t time.Time) error {
	if !rw.enter() {
		return ErrRequestEnded
	}
	defer rw.leave()
	return http.NewResponseController(rw.w).SetReadDeadline(t)
}

func (rw *responseWriter) SetWriteDeadline(t time.Time) error {
	if !rw.enter() {
		return ErrRequestEnded
	}
	defer rw.leave()
	return http.NewResponseController(rw.w).SetWriteDeadline(t)
}

func (rw *responseWriter) EnableFullDuplex() error {
	if !rw.enter() {
		return ErrRequestEnded
	}
	defer rw.leave()
	return http.NewResponseController(rw.w).EnableFullDuplex()
}

// Unwrap returns the front end's writer, for http.ResponseController;
// once the gate has closed, a writer that refuses everything. (A handler
// that keeps what Unwrap gave it keeps the front end's writer, as one that
// keeps net/http's own does.)
func (rw *responseWriter) Unwrap() http.ResponseWriter {
	if !rw.enter() {
		return ended{}
	}
	defer rw.leave()
	return rw.w
}

// The engine's view.

func (rw *engineWriter) Header() http.Header { return rw.w.Header() }

func (rw *engineWriter) WriteHeader(code int) {
	if rw.wroteHeader || rw.replaced {
		if !rw.replaced {
			rw.w.WriteHeader(code) // let net/http log the superfluous call
		}
		return
	}
	if !rwforward.IsFinal(code) {
		rw.w.WriteHeader(code) // informational: the final header follows
		return
	}
	if !rw.finalized {
		rw.finalized = true
		if err := rw.req.runHooks(BeforeFinalize); err != nil {
			rw.req.fail(err)
			rw.replaced = true
			return
		}
	}
	rw.wroteHeader = true
	// Behind net/http, net/http keeps a body off a response that may not
	// have one; for other front ends the engine drops it. A 101 (the one
	// 1xx that gets this far) and a code below 100 are left to the front
	// end, as they always were: hence the floor at 200.
	if rw.req.Source == nil && !rwforward.BodyAllowed(rw.req.Method, max(code, http.StatusOK)) {
		rw.dropBody = true
	}
	rw.w.WriteHeader(code)
}

// startBody sends the header if it has not gone out (a body write or a
// flush implies 200), and reports errReplaced when an error response took
// the handler's place.
func (rw *engineWriter) startBody() error {
	if !rw.wroteHeader {
		rw.WriteHeader(http.StatusOK)
	}
	if rw.replaced {
		return errReplaced
	}
	return nil
}

func (rw *engineWriter) Write(p []byte) (int, error) {
	if err := rw.startBody(); err != nil {
		return 0, err
	}
	if rw.dropBody {
		return len(p), nil
	}
	return rw.w.Write(p)
}

func (rw *engineWriter) WriteString(s string) (int, error) {
	if err := rw.startBody(); err != nil {
		return 0, err
	}
	if rw.dropBody {
		return len(s), nil
	}
	return rwforward.WriteString(rw.w, s)
}

func (rw *engineWriter) ReadFrom(src io.Reader) (int64, error) {
	if err := rw.startBody(); err != nil {
		return 0, err
	}
	if rw.dropBody {
		return rwforward.Copy(rw, src) // through Write, which drops
	}
	return rwforward.ReadFrom(rw.w, src)
}

func (rw *engineWriter) Flush() { rw.FlushError() } //nolint:errcheck // http.Flusher has no error

func (rw *engineWriter) FlushError() error {
	if err := rw.startBody(); err != nil {
		return err
	}
	return rwforward.Flush(rw.w)
}

func (rw *engineWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, brw, err := rwforward.Hijack(rw.w)
	if err == nil {
		rw.wroteHeader, rw.finalized, rw.hijacked = true, true, true
	}
	return c, brw, err
}

// Unwrap returns the front end's writer, for http.ResponseController.
func (rw *engineWriter) Unwrap() http.ResponseWriter { return rw.w }
