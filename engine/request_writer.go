package engine

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"sync/atomic"
)

// errReplaced is returned by writes of a handler whose response was
// replaced by an error response (a BeforeFinalize hook failed).
var errReplaced = errors.New("engine: response replaced by an error response")

// ErrRequestEnded is returned by the ResponseWriter an app was given when
// it is used after Run has returned (a writer kept by a goroutine, say):
// the call is dropped, so it can reach no other response.
var ErrRequestEnded = errors.New("engine: ResponseWriter used after the request ended")

// responseWriter is what the application writes to. It passes everything
// to the front end's writer and notes whether the header went out, so
// that an error response is only written while it still can be, and runs
// the BeforeFinalize hooks just before the header is sent. Flush, Hijack,
// ReadFrom and Unwrap (for http.ResponseController) reach the front end's
// writer.
//
// Once Run has returned, every call is refused (end): a write returns
// ErrRequestEnded, Header returns a map nobody sends, Unwrap a writer that
// refuses everything. The front end's writer, which it may reuse for
// another response as soon as its handler returns, is out of reach.
type responseWriter struct {
	w   http.ResponseWriter
	req *Request

	// calls is 2 × the calls that are reaching w, plus 1 once the request
	// ended; drained, made by end when it has to wait, is closed by the
	// call that brings the count to 0 after that (see enter, leave, end).
	drained chan struct{}
	calls   atomic.Int32
	woken   atomic.Bool // drained was closed

	wroteHeader bool // the final header was sent (or the conn hijacked)
	finalized   bool // BeforeFinalize ran (or must not run)
	replaced    bool // an error response took the handler's place
	dropBody    bool // no body may be sent (HEAD, 204, 304) and nobody else drops it
	hijacked    bool // the handler took the connection
}

// enter reports whether a call may reach w: the request has not ended.
// A call that may must leave once it is done with w.
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

// end refuses every call from now on and waits for those that are still
// reaching w (a goroutine that kept the writer, writing while Run
// returns); a write blocked on a slow client holds it up until the front
// end's write deadline, or its stop, ends that write. Then it lets go of
// w: a Request kept after its end (through a context, say) does not keep
// the front end's writer alive, nor what that writer holds (net/http's
// holds its connection, and through it the connection's next request).
func (rw *responseWriter) end() {
	if !rw.calls.CompareAndSwap(0, 1) {
		rw.drained = make(chan struct{}) // before the bit: leave reads it after
		if rw.calls.Or(1)>>1 != 0 {
			<-rw.drained
		}
	}
	rw.w = nil
}

// ended is the writer Unwrap returns once the request has ended.
type ended struct{}

func (ended) Header() http.Header       { return http.Header{} }
func (ended) Write([]byte) (int, error) { return 0, ErrRequestEnded }
func (ended) WriteHeader(int)           {}
func (ended) FlushError() error         { return ErrRequestEnded }

// Header returns the front end's header map while the request runs,
// and after it a fresh map that nobody sends.
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
	rw.writeHeader(code)
}

func (rw *responseWriter) writeHeader(code int) {
	if rw.wroteHeader || rw.replaced {
		if !rw.replaced {
			rw.w.WriteHeader(code) // let net/http log the superfluous call
		}
		return
	}
	if code >= 100 && code <= 199 && code != http.StatusSwitchingProtocols {
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
	if rw.req.Source == nil && (rw.req.Method == http.MethodHead || code == http.StatusNoContent || code == http.StatusNotModified) {
		rw.dropBody = true
	}
	rw.w.WriteHeader(code)
}

// startBody sends the header if it has not gone out (a body write or a
// flush implies 200), and reports errReplaced when an error response took
// the handler's place. The caller has entered.
func (rw *responseWriter) startBody() error {
	if !rw.wroteHeader {
		rw.writeHeader(http.StatusOK)
	}
	if rw.replaced {
		return errReplaced
	}
	return nil
}

func (rw *responseWriter) Write(p []byte) (int, error) {
	if !rw.enter() {
		return 0, ErrRequestEnded
	}
	defer rw.leave()
	if err := rw.startBody(); err != nil {
		return 0, err
	}
	if rw.dropBody {
		return len(p), nil
	}
	return rw.w.Write(p)
}

// WriteString keeps io.WriteString free of a []byte conversion when the
// front end's writer can take strings.
func (rw *responseWriter) WriteString(s string) (int, error) {
	if !rw.enter() {
		return 0, ErrRequestEnded
	}
	defer rw.leave()
	if err := rw.startBody(); err != nil {
		return 0, err
	}
	if rw.dropBody {
		return len(s), nil
	}
	return io.WriteString(rw.w, s)
}

// ReadFrom lets io.Copy use the front end's fast path (sendfile).
func (rw *responseWriter) ReadFrom(src io.Reader) (int64, error) {
	if !rw.enter() {
		return 0, ErrRequestEnded
	}
	defer rw.leave()
	if err := rw.startBody(); err != nil {
		return 0, err
	}
	if rf, ok := rw.w.(io.ReaderFrom); ok && !rw.dropBody {
		return rf.ReadFrom(src)
	}
	return io.Copy(writerOnly{bodyWriter{rw}}, src)
}

// bodyWriter writes to rw as one of rw's own calls, already entered.
type bodyWriter struct{ rw *responseWriter }

func (b bodyWriter) Write(p []byte) (int, error) {
	if b.rw.dropBody {
		return len(p), nil
	}
	return b.rw.w.Write(p)
}

// writerOnly hides ReadFrom from io.Copy, which would call it again.
type writerOnly struct{ io.Writer }

func (rw *responseWriter) Flush() { rw.FlushError() } //nolint:errcheck // http.Flusher has no error

// FlushError sends the header, if not yet, and what was written so far.
// http.ResponseController calls it.
func (rw *responseWriter) FlushError() error {
	if !rw.enter() {
		return ErrRequestEnded
	}
	defer rw.leave()
	if err := rw.startBody(); err != nil {
		return err
	}
	if f, ok := rw.w.(interface{ FlushError() error }); ok {
		return f.FlushError()
	}
	if f, ok := rw.w.(http.Flusher); ok {
		f.Flush()
		return nil
	}
	return http.NewResponseController(rw.w).Flush()
}

// Hijack hands the connection to the handler (a WebSocket upgrade, say).
// The engine writes nothing on it afterwards.
func (rw *responseWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if !rw.enter() {
		return nil, nil, ErrRequestEnded
	}
	defer rw.leave()
	var (
		c   net.Conn
		brw *bufio.ReadWriter
		err error
	)
	if h, ok := rw.w.(http.Hijacker); ok {
		c, brw, err = h.Hijack()
	} else {
		c, brw, err = http.NewResponseController(rw.w).Hijack()
	}
	if err == nil {
		rw.wroteHeader, rw.finalized, rw.hijacked = true, true, true
	}
	return c, brw, err
}

// Unwrap returns the front end's writer, for http.ResponseController;
// once the request has ended, a writer that refuses everything.
func (rw *responseWriter) Unwrap() http.ResponseWriter {
	if !rw.enter() {
		return ended{}
	}
	defer rw.leave()
	return rw.w
}
