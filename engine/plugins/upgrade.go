package plugins

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/coreos/go-systemd/v22/daemon"

	"github.com/seed-49a6713b/cherrygo/engine"
)

// ChannelUpgrade is the bus channel that starts a zero-downtime upgrade
// (see Upgrader). SignalHandler publishes it on SIGHUP when its Hangup is
// HangupUpgrade; a program may publish it itself.
const ChannelUpgrade = "upgrade"

// DefaultUpgradeTimeout is how long an Upgrader waits for the new process
// to say it is ready when ReadyTimeout is not set.
const DefaultUpgradeTimeout = time.Minute

// handoffEnv carries the hand-over to the new process: "ppid=P ready=3
// sockets=NAME/KIND,…", where the sockets are descriptors 4, 5, … in that
// order and KIND is "own" (the service's own socket) or "ext" (one that
// belongs to someone else, systemd's say).
const handoffEnv = "CHERRYGO_HANDOFF"

// firstSocketFD is the descriptor of the first socket handed over; 3 is
// the ready pipe.
const (
	readyFD       = 3
	firstSocketFD = 4
)

// priorityHandoff is the start priority at which the new process tells
// the old one it is ready: after the servers, the privilege drop and
// everything at the default priority, before READY=1.
const priorityHandoff = priorityNotifyLast - 1

// ChannelHandedOver is published, with the new process's PID, once an
// upgrade has handed the service over and just before this process begins
// its exit. SystemdNotify listens to it: from then on the new process
// speaks to systemd, and this one must not say STOPPING=1.
const ChannelHandedOver = "handed-over"

// readyByte is what the new process writes on the ready pipe.
const readyByte = 'R'

// Socket is a socket handed from one process to the next: a listening
// one, or a datagram one (the UDP socket of HTTP/3), as the program's
// servers gave them.
type Socket struct {
	// Name is the server it belongs to ("" for the default server); a
	// server with several sockets appears several times, in order.
	Name string
	// File is a descriptor of the socket.
	File *os.File
	// External is true for a socket that belongs to someone else (systemd
	// socket activation): the new process must never remove its file.
	External bool
}

// Upgrader hands the service over to a new copy of its program without
// refusing or dropping a connection, as nginx's binary upgrade and
// tableflip do, on the bus's ChannelUpgrade:
//
//  1. It starts the executable (the file on disk now, so a new build
//     takes over) with the arguments, environment and working directory
//     the process had when Subscribe was called, and hands it every
//     socket Sockets returns, by name. With NOTIFY_SOCKET it first tells
//     systemd RELOADING=1.
//  2. The new process (see ReceiveHandoff) serves those sockets instead
//     of binding, starts and verifies its servers, and says it is ready.
//  3. Only then does this process call HandedOver, tell systemd
//     MAINPID=<new pid> and READY=1, and exit with code 0: its servers stop
//     accepting and drain their in-flight requests, while the new process
//     accepts on the same sockets. No connection waits in a closed queue.
//
// If the new process fails — it exits (a bad setting, a crash) or says
// nothing within ReadyTimeout — it is stopped (SIGTERM, then SIGKILL after
// StopTimeout), this process goes on serving, and the log says
// why. One upgrade runs at a time: another request meanwhile is logged and
// ignored, as is one after the hand-over. A stop of the bus during an
// upgrade stops the new process too (SIGTERM, so it drains what it
// accepted), and the bus's Block waits for it; so does a SIGTERM or SIGINT
// that reaches this process after the hand-over, while it drains (the
// signal is passed on to the new process, which is the service by then).
type Upgrader struct {
	// Sockets returns the sockets to hand over. It is called at each
	// upgrade; the Upgrader closes the files once the new process has
	// them. An error fails the upgrade before anything starts.
	Sockets func() ([]Socket, error)

	// HandedOver, if set, is called once the new process is ready, before
	// this one begins its exit: the servers let go of their sockets there
	// (adapter.Handover).
	HandedOver func()

	// ReadyTimeout bounds the wait for the new process to be ready;
	// DefaultUpgradeTimeout when not positive.
	ReadyTimeout time.Duration

	// StopTimeout bounds the wait for a new process that is stopped (a
	// failed or cancelled upgrade) before it is killed: its drain and
	// exit. The bus's stop timeout when not positive.
	StopTimeout time.Duration
}

// upgradeRun is the state of one subscription.
type upgradeRun struct {
	u    *Upgrader
	bus  *engine.Bus
	log  *slog.Logger
	args []string
	env  []string
	dir  string

	mu         sync.Mutex
	inFlight   bool
	handedOver bool
	stopping   bool          // the bus began to stop
	child      *os.Process   // the new process while it starts
	successor  *os.Process   // the new process once handed over
	abort      chan struct{} // closed when the bus stops during an upgrade
}

// Subscribe records the program's arguments, environment (without the
// variables of socket activation, of the watchdog's PID and of a previous
// hand-over, which belong to this process) and working directory, and
// subscribes the upgrade to ChannelUpgrade and its cancellation to the
// stop channel. The returned function removes the listeners.
func (u *Upgrader) Subscribe(b *engine.Bus) (unsubscribe func()) {
	r := &upgradeRun{u: u, bus: b, log: b.Logger(), args: os.Args[1:]}
	r.dir, _ = os.Getwd()
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch name {
		case "LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES", "WATCHDOG_PID", handoffEnv:
			continue
		}
		r.env = append(r.env, kv)
	}
	unsubs := []func(){
		b.Subscribe(ChannelUpgrade, r.request, engine.DefaultPriority),
		b.Subscribe(engine.ChannelStop, r.cancel, priorityNotifyFirst),
		b.Subscribe("SIGTERM", r.forward, engine.DefaultPriority),
		b.Subscribe("SIGINT", r.forward, engine.DefaultPriority),
	}
	return func() {
		for _, f := range unsubs {
			f()
		}
	}
}

// request starts an upgrade in a goroutine of the bus, unless one runs or
// the bus is not serving.
func (r *upgradeRun) request(context.Context, any) (any, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case r.handedOver:
		r.log.Warn("upgrade requested after the hand-over: ignored (the new process serves)")
		return nil, nil
	case r.inFlight:
		r.log.Warn("upgrade requested while one is under way: ignored")
		return nil, nil
	case r.stopping || r.bus.State() != engine.Started:
		r.log.Warn("upgrade requested while the bus is not started: ignored", "state", r.bus.State().String())
		return nil, nil
	}
	r.inFlight = true
	r.abort = make(chan struct{})
	abort := r.abort
	r.bus.Go(func(context.Context) {
		r.run(abort)
		r.mu.Lock()
		r.inFlight, r.child = false, nil
		r.mu.Unlock()
	})
	return nil, nil
}

// cancel, on stop, stops an upgrade under way: the new process gets
// SIGTERM, and the upgrade's goroutine waits for it to exit.
func (r *upgradeRun) cancel(context.Context, any) (any, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stopping = true
	if r.inFlight && !r.handedOver {
		r.log.Warn("stop during an upgrade: stopping the new process too")
		close(r.abort)
	}
	return nil, nil
}

// forward passes a SIGTERM or SIGINT that reaches this process after the
// hand-over, while it drains, to the new process as SIGTERM: whoever sent
// it meant the service to stop, and the new process is the service now.
func (r *upgradeRun) forward(_ context.Context, arg any) (any, error) {
	r.mu.Lock()
	successor := r.successor
	r.mu.Unlock()
	if successor == nil {
		return nil, nil
	}
	r.log.Warn("stop requested while draining after an upgrade: stopping the new process too", "signal", fmt.Sprint(arg), "pid", successor.Pid)
	if err := successor.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		r.log.Warn("upgrade: cannot signal the new process", "pid", successor.Pid, "err", err)
	}
	return nil, nil
}

// run is one upgrade.
func (r *upgradeRun) run(abort <-chan struct{}) {
	start := time.Now()
	sdNotify(r.log, reloadingState())
	child, ready, exited, err := r.spawn()
	if err != nil {
		r.log.Error("upgrade failed: still serving", "err", err)
		sdNotify(r.log, daemon.SdNotifyReady)
		return
	}
	pid := child.Pid
	r.mu.Lock()
	r.child = child
	r.mu.Unlock()
	r.log.Info("upgrade: new process started", "pid", pid)

	timeout := r.u.ReadyTimeout
	if timeout <= 0 {
		timeout = DefaultUpgradeTimeout
	}
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case <-ready:
		r.mu.Lock()
		stopping := r.stopping
		r.handedOver = !stopping
		if !stopping {
			r.successor = child
		}
		r.mu.Unlock()
		if stopping {
			r.log.Warn("upgrade: the new process is ready, but this one is stopping: stopping it too", "pid", pid)
			r.stopChild(child, exited)
			return
		}
		r.log.Info("upgrade: the new process is ready: handing over and draining", "pid", pid, "took", time.Since(start).Round(time.Millisecond))
		if r.u.HandedOver != nil {
			r.u.HandedOver()
		}
		_, _ = r.bus.Publish(context.Background(), ChannelHandedOver, pid)
		sdNotify(r.log, fmt.Sprintf("MAINPID=%d\n%s\nSTATUS=upgraded: process %d serves", pid, daemon.SdNotifyReady, pid))
		r.bus.RequestExit(0)
	case err := <-exited:
		r.log.Error("upgrade failed: the new process exited before it was ready; still serving", "pid", pid, "err", exitReason(err))
		sdNotify(r.log, daemon.SdNotifyReady)
	case <-timer.C:
		r.log.Error("upgrade failed: the new process did not say it was ready in time; stopping it; still serving", "pid", pid, "ready_timeout", timeout)
		r.stopChild(child, exited)
		sdNotify(r.log, daemon.SdNotifyReady)
	case <-abort:
		r.stopChild(child, exited)
		r.log.Info("upgrade cancelled: the new process stopped", "pid", pid)
	}
}

// spawn starts the new process with the sockets and the ready pipe. ready
// is closed when it says it is ready; exited receives its Wait error.
func (r *upgradeRun) spawn() (*os.Process, <-chan struct{}, <-chan error, error) {
	if r.u.Sockets == nil {
		return nil, nil, nil, errors.New("plugins: upgrade: no Sockets function")
	}
	sockets, err := r.u.Sockets()
	if err != nil {
		return nil, nil, nil, fmt.Errorf("plugins: upgrade: %w", err)
	}
	defer func() {
		for _, s := range sockets {
			_ = s.File.Close()
		}
	}()
	exe, err := os.Executable() // on Linux, the path of the file on disk now
	if err != nil {
		return nil, nil, nil, fmt.Errorf("plugins: upgrade: cannot find the program's executable: %w", err)
	}
	rd, wr, err := os.Pipe()
	if err != nil {
		return nil, nil, nil, fmt.Errorf("plugins: upgrade: %w", err)
	}
	defer wr.Close() // the child holds its own copy

	names := make([]string, len(sockets))
	files := []*os.File{wr}
	for i, s := range sockets {
		kind := "own"
		if s.External {
			kind = "ext"
		}
		names[i] = label(s.Name) + "/" + kind
		files = append(files, s.File)
	}
	// syscall.ForkExec rather than os/exec: os/exec takes each file's
	// descriptor with Fd, which puts it in blocking mode, and the mode
	// belongs to the socket that this process's own Accept is waiting on
	// (a descriptor and its duplicates share it): an Accept blocked in the
	// kernel then never lets the listener close.
	fds := make([]uintptr, 0, 3+len(files))
	for _, f := range append([]*os.File{os.Stdin, os.Stdout, os.Stderr}, files...) {
		fd, err := rawFD(f)
		if err != nil {
			_ = rd.Close()
			return nil, nil, nil, fmt.Errorf("plugins: upgrade: %w", err)
		}
		fds = append(fds, fd)
	}
	env := append(r.env[:len(r.env):len(r.env)], fmt.Sprintf("%s=ppid=%d ready=%d sockets=%s", handoffEnv, os.Getpid(), readyFD, strings.Join(names, ",")))
	pid, err := syscall.ForkExec(exe, append([]string{os.Args[0]}, r.args...), &syscall.ProcAttr{Dir: r.dir, Env: env, Files: fds})
	// The files must stay open until the child has its copies.
	runtime.KeepAlive(files)
	if err != nil {
		_ = rd.Close()
		return nil, nil, nil, fmt.Errorf("plugins: upgrade: start %s: %w", exe, err)
	}
	child, err := os.FindProcess(pid)
	if err != nil { // not on Unix
		_ = rd.Close()
		return nil, nil, nil, fmt.Errorf("plugins: upgrade: %w", err)
	}

	ready := make(chan struct{})
	exited := make(chan error, 1)
	go func() { // ends when the child writes, or exits and the pipe closes
		defer rd.Close()
		var b [1]byte
		if n, _ := io.ReadFull(rd, b[:]); n == 1 && b[0] == readyByte {
			close(ready)
		}
	}()
	// Wait reaps the child if it fails; after a hand-over this goroutine
	// waits until this process exits, and the new process is then
	// inherited by init (or the service manager).
	go func() {
		st, err := child.Wait()
		if err == nil && !st.Success() {
			err = &exec.ExitError{ProcessState: st}
		}
		exited <- err
	}()
	return child, ready, exited, nil
}

// rawFD returns f's descriptor without changing its mode (Fd would make
// it blocking).
func rawFD(f *os.File) (uintptr, error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return 0, err
	}
	var fd uintptr
	if err := rc.Control(func(d uintptr) { fd = d }); err != nil {
		return 0, err
	}
	return fd, nil
}

// stopChild stops the new process gracefully (SIGTERM, so it drains what
// it accepted) and waits for it; after StopTimeout it is killed.
func (r *upgradeRun) stopChild(child *os.Process, exited <-chan error) {
	_ = child.Signal(syscall.SIGTERM)
	grace := r.u.StopTimeout
	if grace <= 0 {
		grace = r.bus.StopTimeout()
	}
	if grace <= 0 {
		grace = DefaultUpgradeTimeout
	}
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case err := <-exited:
		r.log.Info("upgrade: the new process exited", "pid", child.Pid, "status", exitReason(err))
	case <-t.C:
		r.log.Warn("upgrade: the new process did not stop in time: killing it", "pid", child.Pid)
		_ = child.Kill()
		<-exited
	}
}

func exitReason(err error) string {
	if err == nil {
		return "exit status 0"
	}
	return err.Error()
}

// sdNotify sends state to NOTIFY_SOCKET, if there is one.
func sdNotify(log *slog.Logger, state string) {
	if _, err := daemon.SdNotify(false, state); err != nil {
		log.Warn("sd_notify failed", "state", state, "err", err)
	}
}

// reloadingState is RELOADING=1 with MONOTONIC_USEC, when the clock can be
// read.
func reloadingState() string {
	state := daemon.SdNotifyReloading
	if usec, ok := monotonicUsec(); ok {
		state += "\nMONOTONIC_USEC=" + strconv.FormatInt(usec, 10)
	}
	return state
}

func label(name string) string {
	if name == "" {
		return "default"
	}
	return name
}

// upgradedFrom is the PID of the process that handed this one its
// sockets (0 when none did); PIDFile replaces that process's PID.
var upgradedFrom int

// Handoff is what the old process of an upgrade handed this one: see
// ReceiveHandoff.
type Handoff struct {
	// Parent is the PID of the old process.
	Parent int
	// Sockets are the sockets handed over, in the order they were sent.
	Sockets []Socket

	ready *os.File
}

// ReceiveHandoff returns what an Upgrader handed this process, or nil when
// this process was not started by an upgrade. It takes the descriptors
// and unsets the variable that described them, so it returns the hand-over
// once only, and children do not inherit it. The program serves the
// sockets (not binding their addresses again), and subscribes the Handoff
// so that the old process learns when this one is ready.
func ReceiveHandoff() (*Handoff, error) {
	v, ok := os.LookupEnv(handoffEnv)
	if !ok {
		return nil, nil
	}
	_ = os.Unsetenv(handoffEnv)
	fail := func(why string) (*Handoff, error) {
		return nil, fmt.Errorf("plugins: upgrade: %s=%q: %s", handoffEnv, v, why)
	}
	h := &Handoff{}
	var names []string
	readyAt := -1
	for field := range strings.FieldsSeq(v) {
		key, val, _ := strings.Cut(field, "=")
		var err error
		switch key {
		case "ppid":
			h.Parent, err = strconv.Atoi(val)
		case "ready":
			readyAt, err = strconv.Atoi(val)
		case "sockets":
			if val != "" {
				names = strings.Split(val, ",")
			}
		}
		if err != nil {
			return fail("bad " + key)
		}
	}
	if h.Parent <= 0 || readyAt != readyFD {
		return fail("no ppid or ready descriptor")
	}
	syscall.CloseOnExec(readyFD)
	h.ready = os.NewFile(readyFD, "upgrade-ready")
	for i, n := range names {
		name, kind, _ := strings.Cut(n, "/")
		if name == "default" {
			name = ""
		}
		fd := firstSocketFD + i
		syscall.CloseOnExec(fd)
		h.Sockets = append(h.Sockets, Socket{Name: name, File: os.NewFile(uintptr(fd), n), External: kind == "ext"})
	}
	upgradedFrom = h.Parent
	return h, nil
}

// Subscribe tells the old process that this one is ready once the bus has
// started, that is once every server is verified serving (at a start
// priority after the servers and the privilege drop, before READY=1). If
// the old process is gone by then, that is logged and this one serves on:
// it is the only one left.
func (h *Handoff) Subscribe(b *engine.Bus) (unsubscribe func()) {
	var once sync.Once
	return b.Subscribe(engine.ChannelStart, engine.Func(func(context.Context) error {
		once.Do(func() {
			_, err := h.ready.Write([]byte{readyByte})
			if cerr := h.ready.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				b.Logger().Warn("upgrade: cannot tell the old process this one is ready (is it gone?): serving on", "old_pid", h.Parent, "err", err)
				return
			}
			b.Logger().Info("upgrade: told the old process this one is ready", "old_pid", h.Parent)
		})
		return nil
	}), priorityHandoff)
}
