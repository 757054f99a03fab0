// Package cherrygo is the kit's front door: Quickstart serves an
// engine.Tree on the servers the SERVER_* variables describe, as CherryPy's
// cherrypy.quickstart does.
//
// # The kit
//
// The parts live in their own packages, each usable alone:
//
//   - engine: the process bus (states, channels, plugins in engine/plugins)
//     and the request protocol (Request, Tree, hooks, HTTP errors);
//   - gateway: *http.Request to engine.Request, and the per-request
//     policies as plain net/http middleware;
//   - adapter: the server contract, the ServerAdapter, the SERVER_*
//     settings and the Manager;
//   - stdlib: the backends, on net/http.Server (TCP, unix socket, TLS);
//   - chiapp: chi routers inside the tree and the tree inside chi routers.
//
// # Exit codes
//
// Quickstart returns what main should exit with: 0 after a graceful stop,
// 1 when a server cannot start or dies, 2 for bad settings. Nothing else in
// the kit ends the process, except a second Ctrl-C while stopping (130).
package cherrygo
