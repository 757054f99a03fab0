// Package enginetest drives an engine.Tree in process, without sockets,
// for the tests of applications mounted on it.
//
// # The client
//
// New returns a Client for a tree. Its Get, Head, Post and Do build an
// engine.Request from plain values (no *http.Request, no server), run it
// on the tree and hand back the *http.Response an httptest recorder saw:
//
//	c := enginetest.New(tree)
//	resp := c.Get("/blog/posts")
//
// Everything Run does happens as it would behind a server: the tree's
// routing and hooks, error pages, the Host requirement of HTTP/1.1, the
// dropped body of a HEAD response. What needs a connection does not:
// Hijack reports http.ErrNotSupported. Where a server would cut the
// connection (a handler panicking with http.ErrAbortHandler, or failing
// after its header was sent), the body of the response Do returns fails
// with io.ErrUnexpectedEOF once read, so a test cannot take the
// truncated response for a whole one.
//
// # Building requests
//
// NewRequest returns the engine.Request the client would send, for a test
// that wants to set more fields (the remote address, the protocol, the
// context) before Do.
//
// # Buses in tests
//
// NewBus returns a bus that is exited, and whose goroutines are waited for,
// when the test ends (without ever re-executing the test binary, should
// the bus have been restarted); WaitState waits, bounded, for a bus state.
package enginetest
