// Package plugins holds the opt-in parts of a server process that are not
// servers: signal handling, the PID file, dropping root privileges,
// background tasks and the autoreloader. Each is a plain struct configured
// through its fields and attached to an *engine.Bus with
//
//	unsubscribe := plugin.Subscribe(bus)
//	defer unsubscribe()
//
// Nothing is installed until Subscribe is called, and the returned function
// detaches the plugin again (it is idempotent and waits for whatever the
// plugin started). No plugin touches the process from init or keeps
// package-level state.
//
// # Plugins
//
//   - SignalHandler turns SIGTERM, SIGINT, SIGHUP and SIGUSR1 into bus
//     actions (exit, restart, graceful) and publishes every signal on a
//     channel of its own name ("SIGTERM", …).
//   - PIDFile writes the process ID atomically when the bus starts, refuses
//     to overwrite the file of a live process, and removes it on exit.
//   - DropPrivileges switches a process started as root to another user and
//     group after the servers have bound their sockets.
//   - BackgroundTask calls a function at a fixed interval while the bus is
//     started (CherryPy's Monitor).
//   - Autoreloader restarts the program when its executable, or a file it
//     is told about, changes.
//
// # Priorities
//
// The plugins subscribe at the standard priorities of package engine, so
// that they interleave with servers the way CherryPy's do: the PID file is
// written and background tasks start at 70 (engine.PriorityPIDFile,
// engine.PriorityMonitor), servers bind at 75, and privileges drop at 77
// (engine.PriorityDropPrivs), after the bind, so that a process started as
// root can listen on port 80 and then run as an ordinary user.
//
// # Process exit
//
// Library code in this kit never ends the process: failures are returned
// and main decides. There is one deliberate exception. When SIGINT arrives
// while the bus is already on its way out (an earlier signal asked it to
// exit or restart, or it is exiting), SignalHandler gives up waiting and ends the
// process at once with code 130 (ForcedExitCode) through its Exit function,
// os.Exit by default. That is what an operator pressing Ctrl-C twice
// expects from a shutdown that hangs. Tests replace Exit.
//
// # Daemonizing
//
// CherryPy offers a Daemonizer plugin that detaches the process with the
// classic double fork. This package has none, on purpose. fork(2) copies
// only the calling thread, while the Go runtime always runs several threads
// (the scheduler, the garbage collector, the signal handler). The child
// would start with locks held by threads that no longer exist and a runtime
// that believes they do, so it can hang or crash at any time. Go offers no
// fork without exec for this reason.
//
// Detaching is also no longer the program's job. A service manager starts
// the process in the background, keeps its output, restarts it when it
// fails and sends it SIGTERM to stop it, which SignalHandler turns into a
// clean exit. Under systemd a unit as small as this one is enough (no
// PIDFile is needed, systemd knows the PID it started):
//
//	[Unit]
//	Description=my cherrygo service
//	After=network.target
//
//	[Service]
//	Type=exec
//	ExecStart=/usr/local/bin/myservice
//	User=www-data
//	KillSignal=SIGTERM
//	TimeoutStopSec=15
//	Restart=on-failure
//
//	[Install]
//	WantedBy=multi-user.target
//
// The exit a signal starts is bounded by engine.WithStopTimeout (30 s by
// default): keep it below TimeoutStopSec, so that a stop listener that
// hangs gives up before systemd escalates to SIGKILL.
//
// Type=simple works too; Type=exec only makes systemd report a missing
// binary as a failed start. Elsewhere, supervisord, runit, s6 or a
// container runtime play the same part. When only the systemd User= line
// is not an option (the process must bind a privileged port itself),
// DropPrivileges covers that case.
//
// # Logging
//
// Every plugin logs on the logger of the bus it is subscribed to
// (engine.WithLogger; cherrygo.WithLogger sets it for the whole kit): there
// is no logger to set per plugin.
//
// # Testing
//
// Every plugin can be driven without touching the real process: the signal
// handler reads from a channel the test owns, the autoreloader and the
// signal handler take their action as a function, and the privilege drop is
// tested in a child process.
package plugins
