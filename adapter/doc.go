// Package adapter connects HTTP servers to the engine's bus: the contract
// a server must keep (Server and its optional interfaces) and the
// ServerAdapter that drives one server through the bus, as CherryPy's
// ServerAdapter does. Package stdlib has the kit's servers; package
// cherrygo builds and runs every configured one.
//
// # The contract
//
// A Server binds in Start and serves until Stop. Start blocks for as long
// as the server serves, exactly as http.Server.Serve does: it must be
// called in its own goroutine (ServerAdapter does), and it returns a bind
// failure at once. Stop returns only once every connection is closed and
// the address is free. Optional capabilities are separate small interfaces
// the adapter type-asserts: ReadyNotifier (or the CherryPy-style
// ReadyReporter), Addresser, Secure and Inheriter.
//
// # The adapter
//
// ServerAdapter subscribes a server to a bus (start priority 75, stop 25)
// and follows CherryPy's steps, with bounded waits instead of sleeps: the
// port must be free (checked by binding, so TIME_WAIT is not "in use"), the
// server's Start runs in its own goroutine, Ready is awaited, a real
// connect verifies the bound address (through loopback for wildcard hosts,
// where a failure only warns), and "serving" is logged with the real
// address. Stop drains the server and verifies the port is free again: an
// address that refuses connections is free, even when a client socket of
// this machine happens to use the port as its local port. A server that
// dies after a successful start makes the bus exit; its error reaches Err.
package adapter
