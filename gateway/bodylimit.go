package gateway

import (
	"errors"
	"io"
	"net/http"
	"sync/atomic"
)

// MaxBodySize returns a middleware that bounds request bodies to limit
// bytes; limit ≤ 0 means no limit, and the middleware then returns next
// unchanged. Being middleware, it can guard one route with its own limit
// (see the package example).
//
// A body whose Content-Length exceeds limit is refused before next runs:
// the client gets 413 Request Entity Too Large and, over HTTP/1, the
// connection is closed ("Connection: close"), so the unread body never has
// to be drained. Over HTTP/2 only the stream ends; the connection and its
// other streams go on. A body that declares a length within the limit passes untouched:
// net/http already stops it at its Content-Length, and this case costs no
// allocation.
//
// A body of unknown length (chunked) is wrapped with http.MaxBytesReader:
// the read that crosses the limit fails with an *http.MaxBytesError and
// the connection is marked to close after the response. The handler
// decides what to answer; a handler that wants to be explicit checks the
// error with errors.As and answers 413 itself. When the handler returns
// without having written anything after such a failed read, MaxBodySize
// answers 413 for it; if it has written a response (a 400 because the
// JSON was cut short, say), that response stands.
//
// For the unknown-length case MaxBodySize replaces r.Body in place rather
// than on a copy of the request, as net/http's own MaxBytesReader example
// does: a copy would hide later in-place changes (Protocol's) from the
// server.
func MaxBodySize(limit int64) func(http.Handler) http.Handler {
	if limit <= 0 {
		return func(next http.Handler) http.Handler { return next }
	}
	return func(next http.Handler) http.Handler {
		return &bodyLimiter{limit: limit, next: next}
	}
}

// bodyLimiter is MaxBodySize's handler.
type bodyLimiter struct {
	limit int64
	next  http.Handler
}

// passes reports whether r goes to the next handler untouched: no body,
// or one whose declared length is within the limit.
func (b *bodyLimiter) passes(r *http.Request) bool {
	return r.ContentLength <= b.limit && (r.ContentLength >= 0 || r.Body == nil || r.Body == http.NoBody)
}

func (b *bodyLimiter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.ContentLength > b.limit:
		tooLarge(w, r)
		return
	case b.passes(r):
		b.next.ServeHTTP(w, r)
		return
	}
	rw := wrap(w)
	// MaxBytesReader tells net/http's own response writer (found below
	// any wrappers) to close the connection once the limit is hit.
	body := &limitedBody{ReadCloser: http.MaxBytesReader(innermost(w), r.Body, b.limit)}
	r.Body = body
	b.next.ServeHTTP(rw, r)
	if body.hit.Load() && !rw.wrote() {
		tooLarge(rw, r)
	}
}

// tooLarge answers 413 and, over HTTP/1, asks for the connection to be
// closed. Over HTTP/2 the unread body is only one stream's: a "Connection:
// close" there would make net/http send GOAWAY for the whole connection.
func tooLarge(w http.ResponseWriter, r *http.Request) {
	if r.ProtoMajor == 1 {
		w.Header().Set("Connection", "close")
	}
	http.Error(w, "413 Request Entity Too Large: the request body exceeds the limit", http.StatusRequestEntityTooLarge)
}

// limitedBody notes whether a read failed because of the limit. The flag
// is atomic because a handler may read the body on another goroutine.
type limitedBody struct {
	io.ReadCloser
	hit atomic.Bool
}

func (l *limitedBody) Read(p []byte) (int, error) {
	n, err := l.ReadCloser.Read(p)
	if err != nil && err != io.EOF {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			l.hit.Store(true)
		}
	}
	return n, err
}

// innermost follows Unwrap to the writer the server created.
func innermost(w http.ResponseWriter) http.ResponseWriter {
	for {
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			return w
		}
		w = u.Unwrap()
	}
}
