// Package engine is the process bus of cherrygo: the one place that knows
// whether the process is starting, serving, stopping or on its way out, and
// that tells every part of the program (servers, PID file, background tasks,
// signal handling) when to do its share.
//
// It is CherryPy's engine rebuilt for Go. It imports no server code: servers
// join the bus through the adapter package, and requests reach applications
// through the gateway package.
//
// # The bus
//
// New returns a *Bus in state Stopped with no listeners. Parts of the
// program subscribe listeners to channels; the lifecycle methods move the
// bus from state to state and publish the matching channel:
//
//	b := engine.New(engine.WithLogger(logger))
//	b.SubscribeComponent(server, engine.PriorityServerStart, engine.PriorityServerStop)
//	if err := b.Start(ctx); err != nil {
//		return err // everything that had started was stopped again
//	}
//	err := b.Block(ctx) // until something calls Exit, RequestExit or Restart
//
// Start publishes start, Stop publishes stop, Graceful publishes graceful
// (reload without going down), Exit stops and then publishes exit, Restart
// exits and marks the program for re-execution. Block waits for the exit to
// finish and then for every goroutine the bus owns (see Go); main's job is
// to turn the outcome into an exit code (ExitCode).
//
// Lifecycle calls are serialised: one runs at a time. A listener must never
// call them itself (it would wait for its own publish to end); it returns an
// *ExitRequest or calls RequestExit or RequestRestart, which act in the
// background.
//
// Every state change is logged through log/slog (message "bus state",
// attributes "from" and "to"), as are listener failures, roll-backs and
// re-executions. WithLogger injects the logger; by default nothing is
// written.
//
// # States
//
// A bus is Stopped, Starting, Started, Stopping or Exiting, and moves only
// along these edges:
//
//	Stopped  → Starting → Started → Stopping → Stopped
//	Starting → Stopping                      (a start listener failed)
//	Stopped  → Exiting                       (terminal)
//
// State reports the current state and Wait blocks until the bus is in one
// of the given states, waking on the state change itself rather than
// polling. Calls made in the wrong state have fixed outcomes:
//
//	Start on a Started bus        nil, nothing happens
//	Stop on a Stopped bus         nil, nothing happens
//	Graceful when not Started     ErrNotStarted
//	Start, Stop, Graceful after   ErrExited
//	  Exit
//	Exit (or Restart) after Exit  nil, nothing happens
//
// # Channels and priorities
//
// A channel is a name: the bus's own (ChannelStart, ChannelStop,
// ChannelGraceful, ChannelExit, ChannelMain), the per-request
// ChannelBeforeRequest and ChannelAfterRequest, one per handled signal
// ("SIGTERM", …) or any other a program invents. Publishing on a channel
// with no listener does nothing and allocates nothing.
//
// Subscribe takes a priority: lower runs first, DefaultPriority is 50, and
// listeners with equal priorities run in the order they subscribed. The
// standard priorities (PriorityPIDFile, PriorityServerStart,
// PriorityDropPrivs, PriorityServerStop, …) order the usual plugins: servers
// bind at 75, privileges drop at 77 after the bind, servers stop at 25
// before anything else. Subscribing and unsubscribing are safe at any time,
// from any goroutine, also from inside a listener; a publish that is
// already running keeps the listeners it started with.
//
// # Failures and roll-back
//
// Publish runs every listener even when some fail. A listener's error comes
// back as a *ListenerError; a panic is recovered into a *ListenerError that
// carries the panic value and the stack. All failures of one publish are
// returned together in a *ChannelError, and errors.Is and errors.As reach
// each of them. A listener that returns an *ExitRequest stops the publish
// at once and makes the bus exit in the background with the requested code
// (1 when a listener failed before it).
//
// A failed start never ends the process. SubscribeComponent links a
// component's Start and Stop; when a start listener fails, Start stops the
// components that had already started, in reverse order, moves the bus
// back to Stopped and returns the failure (roll-back failures joined to
// it). The caller decides what happens next: retry, or exit with a code.
//
// # Restart
//
// New records the program's executable, arguments, environment and working
// directory. After Restart (or RequestRestart), Block waits for the exit and
// for the bus's goroutines, changes back to the recorded directory and
// replaces the process with a fresh copy of the program (syscall.Exec, so
// the process ID stays the same). WithExec replaces the exec call in tests.
//
// # Daemonizing left to plugins
//
// The bus does not fork, detach, write PID files, drop privileges or install
// signal handlers. Each is an opt-in plugin that subscribes to the bus at
// its standard priority; in Go the preferred way to run in the background
// is a service manager such as systemd rather than a double fork.
//
// # Requests
//
// The request protocol (Request, Tree, hooks and HTTP errors) is described
// here.
package engine
