// Package cherrygo is the kit's front door, CherryPy's cherrypy.server and
// cherrypy.quickstart in one: Quickstart serves an engine.Tree on the
// servers the SERVER_* variables describe, and a main that needs more adds
// one option per need.
//
//	func main() {
//		tree := engine.NewTree()
//		tree.Mount("/", app)
//		os.Exit(cherrygo.Quickstart(context.Background(), tree))
//	}
//
// # One line per need
//
// Every option has the one type Option, and New and Quickstart take the
// same ones:
//
//	cherrygo.WithLogger(slog.New(slog.NewJSONHandler(os.Stderr, nil))) // every log line of the kit
//	cherrygo.WithAccessLog(nil)                                         // a record per request on that logger
//	cherrygo.WithPIDFile("/run/app.pid")                                // a PID file
//	cherrygo.WithTask("refresh", time.Minute, refresh)                  // a background task
//	cherrygo.WithNamedServer("admin", adminMux)                         // SERVER_ADMIN_*, its own handler
//	cherrygo.WithHTTPServer("legacy", &http.Server{Addr: ":8081"})      // an *http.Server of one's own
//	cherrygo.WithPlugin(&plugins.DropPrivileges{User: "www-data"})      // any plugin of engine/plugins
//
// # The manager
//
// New builds a Manager: its own engine.Bus, a server for every
// SERVER_* server that is on (stdlib.New, behind the gateway with the
// policies its settings ask for) and for every server an option adds, all
// subscribed to the bus as one group that starts in order (rolling back on
// failure) and stops concurrently, so stopping N servers takes one
// SHUTDOWN_TIMEOUT. Run serves until a signal, ctx or a failure ends it;
// Start and Exit do the same without signals and without blocking, for
// tests and embedding.
//
// # The kit
//
// The parts live in their own packages, each usable alone:
//
//   - engine: the process bus (states, channels; plugins in engine/plugins)
//     and the request protocol (Request, Run, Tree, hooks, HTTP errors);
//   - gateway: *http.Request to engine.Request, and the per-request
//     policies as plain net/http middleware;
//   - adapter: the server contract and the ServerAdapter that drives one
//     server through the bus; adapter/settings: the SERVER_* settings;
//   - stdlib: the servers, on net/http.Server (TCP, unix socket, TLS,
//     h2c, FastCGI, an *http.Server of one's own);
//   - chiapp: chi routers inside the tree and the tree inside chi routers.
//
// # Exit codes
//
// Quickstart returns what main should exit with: 0 after a graceful stop
// (a drain cut short by SHUTDOWN_TIMEOUT included), 1 when a server cannot
// start or dies, 2 for bad settings. Nothing else in the kit ends the
// process, except a second Ctrl-C while stopping (130).
package cherrygo
