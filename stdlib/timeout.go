package stdlib

import (
	"errors"
	"io"
	"net/http"
	"time"
)

// Server timeouts derived from SOCKET_TIMEOUT. net/http's own ReadTimeout
// and WriteTimeout bound a whole request or response, which would cut off
// a large upload or download that is making progress; so the timeout is
// applied per read and per write instead:
//
//   - the request header must arrive within the timeout (ReadHeaderTimeout,
//     which also bounds the TLS handshake);
//   - an idle keep-alive connection is closed after it (IdleTimeout);
//   - each read of the request body must return within it (the body is
//     wrapped to move the read deadline forward through
//     http.ResponseController before every read);
//   - a write of the response that makes no progress is cut off (the
//     connection moves its write deadline forward whenever less than half
//     the timeout is left, so a stalled write fails after between half the
//     timeout and the whole of it).
//
// The read deadline is cleared once the body has been read to its end:
// net/http keeps a read pending while the handler runs, to notice a client
// going away, and that read must not time out just because the handler is
// slow. After a failed read it stays, so the connection is given up.

// withBodyTimeout wraps h so that each read of a request body must make
// progress within timeout.
func withBodyTimeout(h http.Handler, timeout time.Duration) http.Handler {
	if timeout <= 0 {
		return h
	}
	return &front{next: h, timeout: timeoutPolicy(timeout)}
}

// timeoutPolicy is the body read timeout of a front (0: none).
type timeoutPolicy time.Duration

// wrapBody makes each read of r's body move the connection's read
// deadline forward, when there is a timeout and a body.
func (p timeoutPolicy) wrapBody(w http.ResponseWriter, r *http.Request) {
	// ContentLength 0 is a request without a body: HTTP/1 gives it
	// http.NoBody, but HTTP/2 gives every request a body object, even a
	// GET whose HEADERS frame ended the stream.
	if p > 0 && r.Body != nil && r.Body != http.NoBody && r.ContentLength != 0 {
		r.Body = &progressBody{ReadCloser: r.Body, rc: http.NewResponseController(w), timeout: time.Duration(p)}
	}
}

// progressBody moves the connection's read deadline forward before each
// read and clears it when the body ends or fails.
type progressBody struct {
	io.ReadCloser
	rc      *http.ResponseController
	timeout time.Duration
	done    bool
}

func (b *progressBody) Read(p []byte) (int, error) {
	if b.done {
		return b.ReadCloser.Read(p)
	}
	_ = b.rc.SetReadDeadline(time.Now().Add(b.timeout))
	n, err := b.ReadCloser.Read(p)
	switch {
	case errors.Is(err, io.EOF):
		b.done = true
		_ = b.rc.SetReadDeadline(time.Time{})
	case err != nil:
		// The deadline stays: net/http's attempt to read the rest of the
		// body after the handler then fails at once and the connection
		// closes, instead of waiting on a stalled client.
		b.done = true
	}
	return n, err
}
