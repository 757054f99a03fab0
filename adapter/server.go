package adapter

import (
	"context"
	"fmt"
	"net"
	"os"
)

// Server is an HTTP server the engine can drive. Backends in package stdlib
// implement it; so can any server from outside this kit.
type Server interface {
	// Start binds the server's socket and serves until Stop is called.
	//
	// Start blocks for as long as the server serves, as
	// http.Server.Serve does: whoever calls it must do so in a goroutine
	// of its own (ServerAdapter does; a caller that waits for Start to
	// return before calling Stop waits forever). A bind failure (address in use, permission
	// denied, a bad certificate) is returned at once, before anything is
	// served. After Stop, Start returns nil. Start is called at most once per
	// Stop: a server may refuse to start twice at the same time, but must be
	// restartable after Stop returned.
	Start() error

	// Stop stops accepting new connections, lets in-flight requests finish
	// until ctx is done, then closes every connection that is left (idle,
	// request-less and hijacked ones included).
	//
	// It blocks until every connection is closed and the socket is released,
	// so that the address can be bound again the moment it returns; it
	// returns ctx's error if requests had to be cut off (a *CutOffError
	// wrapping it, when the server can tell how many), nil otherwise. Stop
	// is idempotent and safe to call before Start (it returns nil at once)
	// and while Start is binding (Start then gives up, and Stop returns once
	// what it bound is released).
	Stop(ctx context.Context) error
}

// ReadyNotifier is implemented by servers that can say when they listen.
// Ready returns a channel that is closed once the socket is bound and
// accepting; a new channel is returned after each Stop. A server without
// ReadyNotifier or ReadyReporter is treated as always ready.
type ReadyNotifier interface {
	Ready() <-chan struct{}
}

// ReadyReporter is the CherryPy-style alternative to ReadyNotifier: IsReady
// reports whether the server is bound and accepting. The adapter waits on it
// with a bounded back-off.
type ReadyReporter interface {
	IsReady() bool
}

// Addresser is implemented by servers that know the address they are bound
// to (the real port when configured with port 0). Addr returns nil while the
// server is not bound.
type Addresser interface {
	Addr() net.Addr
}

// Secure is implemented by servers that speak TLS; it decides the scheme in
// the "serving on" log line and the base URL.
type Secure interface {
	IsTLS() bool
}

// Inheriter is implemented by servers whose listener was handed to them
// (systemd socket activation, a re-exec): the adapter skips the port-free
// checks for them, as the socket is meant to be bound by someone else.
type Inheriter interface {
	Inherited() bool
}

// CutOffError is what a Server's Stop returns when its drain ran out of
// time and requests still in flight had to be cut off. It wraps the drain
// context's error (context.DeadlineExceeded). ServerAdapter.Stop logs it
// as a warning and does not count it as a failure: cutting requests off
// once the shutdown timeout has passed is what the timeout is for, and the
// socket is free all the same.
type CutOffError struct {
	// Conns is the number of connections that were serving a request when
	// they were closed: the requests cut off over HTTP/1 and FastCGI, a
	// lower bound over HTTP/2, where one connection may carry several.
	Conns int
	// Err is the drain context's error.
	Err error
}

func (e *CutOffError) Error() string {
	return fmt.Sprintf("%d connection(s) serving a request cut off: %v", e.Conns, e.Err)
}

func (e *CutOffError) Unwrap() error { return e.Err }

// Handover is implemented by servers that can pass their listening sockets
// to another process, for a zero-downtime upgrade: ListenerFiles returns a
// duplicate descriptor of each socket, in order, while the server goes on
// serving; HandOver, called once the new process serves them, makes the
// next Stop leave the sockets to it (no socket file removed, no wait for
// the port to be free). The stdlib servers implement it.
type Handover interface {
	ListenerFiles() ([]*os.File, error)
	HandOver()
}
