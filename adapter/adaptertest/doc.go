// Package adaptertest is a conformance suite for adapter.Server
// implementations, in the style of gocloud.dev's drivertest: a backend's
// own tests describe how to make its servers in a Harness and call
// RunConformanceTests, which checks the contract with real sockets.
//
//	func TestConformance(t *testing.T) {
//		adaptertest.RunConformanceTests(t, adaptertest.Harness{
//			Name:  "mybackend",
//			New:   func(t *testing.T, h http.Handler) adapter.Server { ... port 0 ... },
//			NewAt: func(t *testing.T, h http.Handler, addr net.Addr) adapter.Server { ... },
//		})
//	}
//
// # What it checks
//
//   - Ready is closed after Start and the server then answers, through
//     every address Harness.Targets lists (both families of a dual-stack
//     server, say).
//   - A bind failure (the address is taken) comes back from Start at once,
//     matching syscall.EADDRINUSE, and Ready stays open.
//   - Stop before Start and a second Stop return nil.
//   - The server restarts after Stop, and Ready is a new channel each run.
//   - The address is free the moment Stop returns: the port binds again,
//     the unix socket file is gone.
//   - A request in flight when Stop begins is answered, and Stop waits for
//     it and returns nil.
//   - Idle keep-alive connections and connections that never sent a byte
//     do not delay Stop (it must return within a second) and are closed.
//   - A request stuck past Stop's context is cut off and Stop returns
//     context.DeadlineExceeded.
//   - A hijacked connection is closed by Stop.
//   - A thousand start/stop cycles (a hundred with -short) leave no
//     goroutine and no file descriptor behind (counted in /proc/self/fd).
//
// Each check runs as a subtest, one after the other, with a goroutine leak
// check (go.uber.org/goleak). Waits are bounded waits on events (Ready,
// Start returning, a response); the only polls are for a listener refusing
// connections once Stop began and for ReadyReporter servers, which have
// nothing to wait on.
//
// # Requirements on the server
//
// The servers must implement adapter.Addresser, so the suite can find
// them, and should implement adapter.ReadyNotifier or ReadyReporter (one
// with neither is taken as ready when Start was called). Servers that
// implement adapter.Secure and report IsTLS are reached over TLS with
// Harness.TLSClientConfig.
package adaptertest
