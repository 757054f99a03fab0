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
// Publish runs every listener even when some fail (Start's publish is the
// exception, below). A listener's error comes
// back as a *ListenerError; a panic is recovered into a *ListenerError that
// carries the panic value and the stack. All failures of one publish are
// returned together in a *ChannelError, and errors.Is and errors.As reach
// each of them. A listener that returns an *ExitRequest stops the publish
// at once and makes the bus exit in the background with the requested code
// (1 when a listener failed before it). An exit request is a request, not
// a failure: returned by a stop or exit listener during Exit, it does not
// make the exit code 1, and Exit does not return it.
//
// A failed start never ends the process. Start stops publishing at the
// first failing start listener, so nothing later runs (a server that fails
// to bind at 75 does not let privileges drop at 77). SubscribeComponent
// links a component's Start and Stop; after the failure, Start stops the
// components that had already started, in reverse order, moves the bus
// back to Stopped and returns the failure (roll-back failures joined to
// it). The caller decides what happens next: retry, or exit with a code.
//
// The exits the bus runs in the background (RequestExit, RequestRestart,
// a listener's *ExitRequest, and so the signal plugin) are bounded:
// their stop and exit listeners get a context that ends after the stop
// timeout, 30 s unless WithStopTimeout says otherwise. A listener that
// waits on that context gives up, and the process exits.
//
// # Restart
//
// New records the program's executable, arguments, environment and working
// directory. After Restart (or RequestRestart), Block waits for the exit and
// for the bus's goroutines, changes back to the recorded directory and
// replaces the process with a fresh copy of the program (syscall.Exec, so
// the process ID stays the same). Only the first exit decides: a Restart
// or RequestRestart that comes while an exit is already under way (a
// SIGHUP after a SIGTERM) leaves it a plain exit. The kit's own tests
// replace the exec call through the context they give Block.
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
// The engine's request protocol is independent of any server. A Request
// holds one request as plain fields: method, script name and path info,
// query string, the request's protocol and the server's (ServerProtocol,
// CherryPy's protocol_version), scheme, host, header, body, the client's
// and the local address (Remote and Local parse them), the client's host
// name when the front end looked it up (the gateway does with reverse DNS
// on), an ID, the start time and a context. A front end fills them and
// calls Run with a Tree and an http.ResponseWriter: the gateway does so for
// every net/http call, without copying the header or the body, and package
// enginetest does so from plain values, with no socket at all.
//
// A Tree mounts any http.Handler at a script name (Mount). Run gives the
// request to the app with the longest script name that prefixes its path
// on a segment boundary ("/blog" serves "/blog" and "/blog/x", not
// "/blogger"); nothing matching is a 404. The app sees its path info as
// r.URL.Path ("/" when empty) and reaches the engine request through
// RequestFrom(r), or just its mount point through ScriptName(r). The tree
// does not clean paths: "/blog/../x" is the blog app's "/../x".
//
// The response streams: what the app writes goes to the front end's writer
// as it is written, and Flush, Hijack, trailers, io.ReaderFrom and
// http.ResponseController (through Unwrap) reach it. The handler's context
// is the request's, so a client that leaves cancels it.
//
// Hooks run at fixed points, tree-wide (Tree.Hook) or for one app
// (App.Hook), lower priority first and then in the order they were added.
// In order: the bus's before_request is published; on_start_resource,
// before_request_body and before_handler run; the handler; before_finalize,
// just before the header goes out (the handler's first WriteHeader, Write
// or Flush, or its return if it wrote nothing), where hooks may still set
// headers; on_end_resource (always, once on_start_resource ran). On an
// error, before_error_response, the error response, and
// after_error_response run before on_end_resource. Last come on_end_request
// (for every request, a 404 or 400 too) and the bus's after_request.
//
// Handlers and hooks answer with errors as values: Raise (or panic) with
// an *HTTPError{Status, Message} or *HTTPRedirect{URL, Status}, also
// wrapped; a hook may return one. RaiseStatus and RaiseRedirect are the
// short forms. They PANIC and never return (as does Raise with a non-nil
// error), where http.Error and http.Redirect write the response and let
// the handler go on: Run recovers the panic and turns it into the
// response. The tree's ErrorPage writes the error
// (DefaultErrorPage, plain text, when nil); a relative redirect is resolved
// against the request's whole path. Any other panic or error is a 500, with
// the stack on the page only when the tree's Tracebacks is on, and the
// server goes on serving. If the error page itself fails, the client gets a
// plain-text 500. An error response is only written while the header has
// not gone out; after that the error is logged and, behind net/http, the
// connection is aborted (http.ErrAbortHandler) so that the client cannot
// take the cut response for a whole one. A handler's own
// http.ErrAbortHandler keeps that meaning.
//
// Run answers 400 to an HTTP/1.1 request without a Host, for front ends
// other than net/http (which checks it itself). When the tree has a Bus,
// before_request and after_request are published with the *Request; with
// no listener they cost nothing.
//
// # What a handler may keep
//
// Each request gets a Request of its own, which is never reused: the
// *http.Request, context, URL and ResponseWriter Run hands the app live in
// it (one allocation per request, for all of them). As on net/http, a
// handler may keep its *http.Request after it returns (an audit log, a
// background job): r, r.URL, r.Header and r.Context() stay exactly what
// they were, RequestFrom(r) keeps returning the same Request, and the
// context's values stay its own request's. Its Done channel is closed once
// the request has ended: the parent's, which net/http cancels when the
// handler has returned, or, when the parent can never be cancelled (a
// Request built with NewRequest, or converted from net/http/fcgi), one of
// the Request's own that Run closes when it returns. A kept context keeps
// alive its own request and nothing of any other.
//
// What a handler must not do after it returned, as on net/http, is use its
// ResponseWriter or read its request's body. The engine makes the first
// harmless: from the moment the handler returns, the writer it was given
// refuses every call (writes return ErrRequestEnded and are dropped,
// Header returns a map nobody sends, Hijack and the deadlines fail, Unwrap
// returns a writer that refuses everything), so a late write never reaches
// another client's response, nor the response the engine is finishing,
// and never panics. The engine waits for a call that is under way when the
// handler returns, so nothing slips through in between. The hooks and the
// error page write through a view of their own, which the app never sees.
package engine
