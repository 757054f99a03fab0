package engine

import (
	"errors"
	"fmt"
	"net/http"
)

// HTTPError is an HTTP error response as a value. A handler raises it with
// Raise or RaiseStatus (or panic), a hook returns it, and Run answers with
// Status and the tree's error page. A Status outside 400–599 is answered
// as 500.
type HTTPError struct {
	Status  int
	Message string // shown on the error page; empty: the status text
	// Err is the cause, if any (a *PanicError for a panic).
	Err error
	// Traceback is the panic's stack, set by Run only when the tree's
	// Tracebacks is on.
	Traceback string
}

func (e *HTTPError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.Status)
	}
	if e.Err != nil {
		return fmt.Sprintf("engine: HTTP %d: %s: %v", e.Status, msg, e.Err)
	}
	return fmt.Sprintf("engine: HTTP %d: %s", e.Status, msg)
}

func (e *HTTPError) Unwrap() error { return e.Err }

// HTTPRedirect is a redirect response as a value, raised like HTTPError
// (Raise, RaiseRedirect).
// URL may be relative to the request's path. Status 0 means 303 See Other
// for HTTP/1.1 requests and 302 Found for HTTP/1.0; a Status outside
// 300–399 is answered as 500.
type HTTPRedirect struct {
	URL    string
	Status int
}

func (e *HTTPRedirect) Error() string {
	return fmt.Sprintf("engine: redirect %d to %s", e.Status, e.URL)
}

// PanicError is the cause of the 500 that answers a panic.
type PanicError struct {
	Value any
	Stack []byte
}

func (e *PanicError) Error() string { return fmt.Sprintf("panic: %v", e.Value) }

// Unwrap returns the panic value when it is an error.
func (e *PanicError) Unwrap() error {
	err, _ := e.Value.(error)
	return err
}

// Raise panics with err so that Run answers it: an *HTTPError or
// *HTTPRedirect (also wrapped) becomes its response, anything else a 500.
// A nil err does nothing.
func Raise(err error) {
	if err != nil {
		panic(err)
	}
}

// RaiseRedirect PANICS with an *HTTPRedirect to url with status (0: see
// HTTPRedirect); it does not return. It is not http.Redirect: it writes
// nothing itself. Run recovers the panic and answers with the redirect,
// so call it only under Run (a handler mounted on a Tree, a hook).
func RaiseRedirect(url string, status int) { panic(&HTTPRedirect{URL: url, Status: status}) }

// RaiseStatus PANICS with an *HTTPError carrying status and message; it does
// not return. It is not http.Error: it writes nothing itself. Run recovers
// the panic and answers with the tree's error page for status, so call it
// only under Run (a handler mounted on a Tree, a hook).
func RaiseStatus(status int, message string) { panic(&HTTPError{Status: status, Message: message}) }

// errAborted marks a response that has to be cut off: the handler panicked
// with http.ErrAbortHandler, or failed after its header was sent.
var errAborted = errors.New("engine: response aborted")

// classify turns what a handler or hook raised into the answer: an
// *HTTPError or an *HTTPRedirect, normalised. An *http.MaxBytesError is a
// 413; any other error is a 500.
func classify(err error) (he *HTTPError, redirect *HTTPRedirect) {
	if errors.As(err, &redirect) {
		if redirect.Status == 0 || (redirect.Status >= 300 && redirect.Status <= 399) {
			return nil, redirect
		}
		return &HTTPError{Status: http.StatusInternalServerError, Err: err}, nil
	}
	if errors.As(err, &he) {
		if he.Status < 400 || he.Status > 599 {
			return &HTTPError{Status: http.StatusInternalServerError, Message: he.Message, Err: err}, nil
		}
		return he, nil
	}
	// A body over its limit (http.MaxBytesReader, gateway.MaxBodySize) is
	// the client's fault, not the server's.
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return &HTTPError{Status: http.StatusRequestEntityTooLarge, Err: err}, nil
	}
	return &HTTPError{Status: http.StatusInternalServerError, Err: err}, nil
}

// recovered turns a recovered panic value into an error for classify.
func recovered(p any, stack []byte) error {
	switch v := p.(type) {
	case HTTPError:
		return &v
	case HTTPRedirect:
		return &v
	case error:
		if v == http.ErrAbortHandler {
			return errAborted
		}
		var he *HTTPError
		var hr *HTTPRedirect
		if errors.As(v, &he) || errors.As(v, &hr) {
			return v
		}
	}
	return &PanicError{Value: p, Stack: stack}
}
