// Package adapter connects HTTP servers to the engine's bus: the contract a
// server must keep, the adapter that drives one server through the bus,
// and the Manager that builds and runs every configured server (CherryPy's
// cherrypy.server). The SERVER_* settings are package adapter/settings.
//
// # The contract
//
// A Server binds in Start and serves until Stop; Start returns a bind
// failure at once, and Stop returns only once every connection is closed
// and the address is free. Optional capabilities are separate small
// interfaces the adapter type-asserts: ReadyNotifier (or the CherryPy-style
// ReadyReporter), Addresser, Secure and Inheriter. Package stdlib has the
// kit's backends; examples/custom shows a server of one's own.
//
// # The adapter
//
// ServerAdapter subscribes a server to a bus (start priority 75, stop 25)
// and follows CherryPy's steps, with bounded waits instead of sleeps: the
// port must be free (checked by binding, so TIME_WAIT is not "in use"), the
// server starts in its own goroutine, Ready is awaited, a real connect
// verifies the bound address (through loopback for wildcard hosts, where a
// failure only warns), and "serving" is logged with the real address. Stop
// drains the server and verifies the port is free again. A server that
// dies after a successful start makes the bus exit; its error reaches
// Err and Manager.Quickstart.
//
// # Settings
//
// The Manager reads each server's settings.Config from SERVER_* variables
// (SERVER_<NAME>_* for the servers named in SERVER_NAMES) with
// settings.Load, and warns about the variables no server reads
// (settings.Unknown). A bad value is a *settings.ConfigError; ExitCode
// maps it to 2.
//
// # The manager
//
// NewManager builds a server for every Config that is on, through a Backend
// (stdlib.New) or a Server given with WithServer, puts each behind the
// gateway with the policies its Config asks for, and subscribes them to the
// bus as one group: they start in order (rolling back on failure) and stop
// concurrently, so stopping N servers takes one SHUTDOWN_TIMEOUT.
package adapter
