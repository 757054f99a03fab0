package engine

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
)

// errReplaced is returned by writes of a handler whose response was
// replaced by an error response (a BeforeFinalize hook failed).
var errReplaced = errors.New("engine: response replaced by an error response")

// responseWriter is what the application writes to. It passes everything
// to the front end's writer and notes whether the header went out, so
// that an error response is only written while it still can be, and runs
// the BeforeFinalize hooks just before the header is sent. Flush, Hijack,
// ReadFrom and Unwrap (for http.ResponseController) reach the front end's
// writer.
type responseWriter struct {
	w           http.ResponseWriter
	req         *Request
	wroteHeader bool // the final header was sent (or the conn hijacked)
	finalized   bool // BeforeFinalize ran (or must not run)
	replaced    bool // an error response took the handler's place
	dropBody    bool // no body may be sent (HEAD, 204, 304) and nobody else drops it
	hijacked    bool // the handler took the connection
}

func (rw *responseWriter) reset(w http.ResponseWriter, r *Request) {
	*rw = responseWriter{w: w, req: r}
}

func (rw *responseWriter) Header() http.Header { return rw.w.Header() }

func (rw *responseWriter) WriteHeader(code int) {
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

func (rw *responseWriter) Write(p []byte) (int, error) {
	if !rw.wroteHeader {
		rw.WriteHeader(http.StatusOK)
	}
	if rw.replaced {
		return 0, errReplaced
	}
	if rw.dropBody {
		return len(p), nil
	}
	return rw.w.Write(p)
}

// WriteString keeps io.WriteString free of a []byte conversion when the
// front end's writer can take strings.
func (rw *responseWriter) WriteString(s string) (int, error) {
	if !rw.wroteHeader {
		rw.WriteHeader(http.StatusOK)
	}
	if rw.replaced {
		return 0, errReplaced
	}
	if rw.dropBody {
		return len(s), nil
	}
	return io.WriteString(rw.w, s)
}

// ReadFrom lets io.Copy use the front end's fast path (sendfile).
func (rw *responseWriter) ReadFrom(src io.Reader) (int64, error) {
	if !rw.wroteHeader {
		rw.WriteHeader(http.StatusOK)
	}
	if rw.replaced {
		return 0, errReplaced
	}
	if rf, ok := rw.w.(io.ReaderFrom); ok && !rw.dropBody {
		return rf.ReadFrom(src)
	}
	return io.Copy(writerOnly{rw}, src)
}

// writerOnly hides ReadFrom from io.Copy, which would call it again.
type writerOnly struct{ io.Writer }

func (rw *responseWriter) Flush() { rw.FlushError() } //nolint:errcheck // http.Flusher has no error

// FlushError sends the header, if not yet, and what was written so far.
// http.ResponseController calls it.
func (rw *responseWriter) FlushError() error {
	if !rw.wroteHeader {
		rw.WriteHeader(http.StatusOK)
	}
	if rw.replaced {
		return errReplaced
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

// Unwrap returns the front end's writer, for http.ResponseController.
func (rw *responseWriter) Unwrap() http.ResponseWriter { return rw.w }
