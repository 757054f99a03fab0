package engine

import (
	"errors"
	"fmt"
	"strings"
)

// ErrExited is returned by lifecycle calls made after the bus reached
// Exiting, which is terminal.
var ErrExited = errors.New("engine: bus has exited")

// ErrNotStarted is returned by Graceful when the bus is not Started.
var ErrNotStarted = errors.New("engine: bus is not started")

// ExitRequest is an error a listener returns to ask the bus to exit with
// Code. Publish stops at the listener that returned it (later listeners do
// not run) and the bus exits in the background, as RequestExit does.
//
// When Code is 0 but a listener failed earlier in the same publish, the
// exit code becomes 1, so that a failure is never reported as success.
// An ExitRequest itself is a request, not a failure: on its own it never
// makes the exit code 1 (see Bus.ExitCode).
type ExitRequest struct {
	Code int
}

func (e *ExitRequest) Error() string {
	// No "engine: " prefix: the *ChannelError carrying it adds one.
	return fmt.Sprintf("exit requested with code %d", e.Code)
}

// ListenerError is one listener's failure on one channel. A panic in a
// listener becomes a ListenerError whose Panic and Stack are set; when the
// panic value is an error, Err wraps it so errors.Is reaches it.
type ListenerError struct {
	Channel  string
	Priority int
	Err      error
	Panic    any    // the recovered value, when the listener panicked
	Stack    []byte // the panicking goroutine's stack, when it panicked
}

func (e *ListenerError) Error() string {
	if e.Panic != nil {
		return fmt.Sprintf("listener at priority %d on %q panicked: %v\n%s", e.Priority, e.Channel, e.Panic, e.Stack)
	}
	return fmt.Sprintf("listener at priority %d on %q: %v", e.Priority, e.Channel, e.Err)
}

func (e *ListenerError) Unwrap() error { return e.Err }

// ChannelError collects every failure of one publish ("channel failures").
// errors.Is and errors.As reach each of them through Unwrap.
type ChannelError struct {
	Channel string
	Errs    []error
}

func (e *ChannelError) Error() string {
	if len(e.Errs) == 1 {
		return "engine: " + e.Errs[0].Error()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "engine: %d failure(s) on channel %q:", len(e.Errs), e.Channel)
	for _, err := range e.Errs {
		b.WriteString("\n\t")
		b.WriteString(err.Error())
	}
	return b.String()
}

func (e *ChannelError) Unwrap() []error { return e.Errs }

// panicError wraps a non-error panic value.
type panicError struct{ value any }

func (p *panicError) Error() string { return fmt.Sprintf("panic: %v", p.value) }
