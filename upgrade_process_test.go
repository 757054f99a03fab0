package cherrygo_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// These tests run testdata/upgradeapp as real processes and upgrade them
// with real signals. The test process makes itself a child subreaper (as
// systemd is), so that the new processes, orphaned when the old ones exit,
// become its children: it reaps them and reads their exit codes.

var subreaperOnce sync.Once

func becomeSubreaper(t *testing.T) {
	t.Helper()
	var err error
	subreaperOnce.Do(func() { err = unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) })
	if err != nil {
		t.Skipf("cannot become a child subreaper (prctl): %v", err)
	}
}

// buildApp builds testdata/upgradeapp into dir/name, with ldflags if any.
func buildApp(t *testing.T, dir, name, ldflags string) string {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go is not on PATH: cannot build testdata/upgradeapp")
	}
	bin := filepath.Join(dir, name)
	args := []string{"build", "-o", bin}
	if ldflags != "" {
		args = append(args, "-ldflags", ldflags)
	}
	out, err := exec.Command("go", append(args, "./testdata/upgradeapp")...).CombinedOutput()
	require.NoError(t, err, "%s", out)
	return bin
}

// app is the program and its successors, their log lines read in order
// (they share one stderr).
type app struct {
	t       *testing.T
	pidFile string
	url     string
	lines   chan string
	seen    []string
	cursor  int // next finds lines from here on
	first   *exec.Cmd
	waited  chan *os.ProcessState // the first process's exit
	eof     chan struct{}         // every process closed stderr
	mu      sync.Mutex
	pids    []int // every process seen, in order
	current int   // the process serving now
}

var (
	servingRe  = regexp.MustCompile(`msg=serving url=(\S+)`)
	startedRe  = regexp.MustCompile(`msg="upgrade: new process started" pid=(\d+)`)
	handedRe   = regexp.MustCompile(`msg="upgrade: the new process is ready: handing over and draining" pid=(\d+)`)
	failedRe   = regexp.MustCompile(`msg="upgrade failed: the new process exited before it was ready; still serving"`)
	ignoredRe  = regexp.MustCompile(`msg="upgrade requested (while one is under way|after the hand-over): ignored`)
	stopBothRe = regexp.MustCompile(`msg="stop (during an upgrade: stopping the new process too|requested while draining after an upgrade: stopping the new process too)"`)
)

// startApp runs bin with env (loopback only) and waits for it to serve.
func startApp(t *testing.T, bin, dir string, env ...string) *app {
	t.Helper()
	becomeSubreaper(t)
	a := &app{t: t, pidFile: filepath.Join(dir, "app.pid"), lines: make(chan string, 1<<14), waited: make(chan *os.ProcessState, 1), eof: make(chan struct{})}
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "SERVER_SOCKET_HOST=127.0.0.1", "SERVER_SOCKET_PORT=0", "UPGRADEAPP_PID_FILE="+a.pidFile)
	cmd.Env = append(cmd.Env, env...)
	r, w, err := os.Pipe()
	require.NoError(t, err)
	cmd.Stdout, cmd.Stderr = w, w // a file: the successors write to it too
	require.NoError(t, cmd.Start())
	w.Close()
	a.first, a.current, a.pids = cmd, cmd.Process.Pid, []int{cmd.Process.Pid}
	go func() {
		defer close(a.eof)
		defer r.Close()
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			select {
			case a.lines <- sc.Text():
			default: // a test that stopped reading: drop
			}
		}
	}()
	go func() {
		_ = cmd.Wait()
		a.waited <- cmd.ProcessState
	}()
	t.Cleanup(a.killAll)
	a.url = a.next("serving", servingRe)[1]
	return a
}

// killAll kills every process still there and waits until stderr closes.
func (a *app) killAll() {
	a.mu.Lock()
	pids := append([]int(nil), a.pids...)
	a.mu.Unlock()
	for _, pid := range pids {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	for _, pid := range pids[1:] {
		var ws syscall.WaitStatus
		_, _ = syscall.Wait4(pid, &ws, 0, nil) // ours by now, or already reaped
	}
	select {
	case <-a.eof:
	case <-time.After(20 * time.Second):
		a.t.Error("the processes' stderr did not close after SIGKILL")
	}
}

// next returns the submatches of the next log line (after the last one
// next returned) that re matches.
func (a *app) next(what string, re *regexp.Regexp) []string {
	a.t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		for ; a.cursor < len(a.seen); a.cursor++ {
			if m := re.FindStringSubmatch(a.seen[a.cursor]); m != nil {
				a.cursor++
				return m
			}
		}
		select {
		case line := <-a.lines:
			a.seen = append(a.seen, line)
		case <-deadline:
			a.t.Fatalf("no %s in 20s; log:\n%s", what, strings.Join(a.seen, "\n"))
		}
	}
}

// log is every line read so far (and those waiting).
func (a *app) log() string {
	for {
		select {
		case line := <-a.lines:
			a.seen = append(a.seen, line)
		default:
			return strings.Join(a.seen, "\n")
		}
	}
}

// signal sends sig to the process serving now.
func (a *app) signal(sig syscall.Signal) {
	a.t.Helper()
	require.NoError(a.t, syscall.Kill(a.pid(), sig))
}

func (a *app) pid() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.current
}

// learn records a new process.
func (a *app) learn(pid int, serving bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.pids = append(a.pids, pid)
	if serving {
		a.current = pid
	}
}

// upgrade sends SIGHUP and returns the new process's PID once the old
// process handed over.
func (a *app) upgrade() (old, successor int) {
	a.t.Helper()
	old = a.pid()
	a.signal(syscall.SIGHUP)
	successor, err := strconv.Atoi(a.next("the hand-over", handedRe)[1])
	require.NoError(a.t, err)
	a.learn(successor, true)
	return old, successor
}

// exitCode waits for process pid to exit and returns its code (-1 when a
// signal ended it). The first process is the test's own child; the others
// become its children once their parent exits (wait for that first).
func (a *app) exitCode(pid int) int {
	a.t.Helper()
	if pid == a.first.Process.Pid {
		select {
		case st := <-a.waited:
			a.waited <- st
			return st.ExitCode()
		case <-time.After(30 * time.Second):
			a.dumpAndFail(pid)
		}
	}
	done := make(chan int, 1)
	go func() {
		var ws syscall.WaitStatus
		if _, err := syscall.Wait4(pid, &ws, 0, nil); err != nil {
			done <- -2 // not ours: reaped by its parent already
			return
		}
		done <- ws.ExitStatus()
	}()
	select {
	case code := <-done:
		return code
	case <-time.After(30 * time.Second):
		a.dumpAndFail(pid)
		return 0
	}
}

// dumpAndFail asks a process that did not exit for its goroutines (SIGQUIT)
// and fails with the log.
func (a *app) dumpAndFail(pid int) {
	a.t.Helper()
	_ = syscall.Kill(pid, syscall.SIGQUIT)
	select {
	case <-a.waited:
	case <-time.After(5 * time.Second):
	}
	a.t.Fatalf("process %d did not exit in 30s; log:\n%s", pid, a.log())
}

// gone reports whether no process pid exists any more.
func gone(pid int) bool { return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH) }

// pidInFile is the PID the PID file names.
func (a *app) pidInFile() int {
	a.t.Helper()
	b, err := os.ReadFile(a.pidFile)
	require.NoError(a.t, err)
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	require.NoError(a.t, err)
	return pid
}

// load is what clients with keep-alive connections saw.
type load struct {
	ok, failed, non200, refused, resets, closes atomic.Int64
	mu                                          sync.Mutex
	byPid                                       map[string]int
	firstErr                                    atomic.Value
	wait                                        func() // returns once every client stopped
}

// countingConn counts connection resets seen on reads and writes.
type countingConn struct {
	net.Conn
	l *load
}

func (c countingConn) note(err error) {
	if errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
		c.l.resets.Add(1)
		c.l.firstErr.CompareAndSwap(nil, err)
	}
}

func (c countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.note(err)
	if errors.Is(err, io.EOF) {
		// The client reads on only while it may keep the connection
		// alive: an end of stream here is the server closing a
		// connection it promised to keep, and a request sent meanwhile
		// would be lost (the client retries it; wrk would not).
		c.l.closes.Add(1)
		c.l.firstErr.CompareAndSwap(nil, err)
	}
	return n, err
}

func (c countingConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.note(err)
	return n, err
}

// drive runs clients, each with its own keep-alive connection, against
// url until ctx ends.
func drive(ctx context.Context, url string, clients int) *load {
	l := &load{byPid: map[string]int{}}
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			tr := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				c, err := (&net.Dialer{Timeout: 5 * time.Second}).DialContext(ctx, network, addr)
				if err != nil {
					if ctx.Err() == nil {
						l.refused.Add(1)
						l.firstErr.CompareAndSwap(nil, err)
					}
					return nil, err
				}
				return countingConn{c, l}, nil
			}}
			defer tr.CloseIdleConnections()
			client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
			for ctx.Err() == nil {
				resp, err := client.Get(url + "/")
				if err != nil {
					if ctx.Err() == nil {
						l.failed.Add(1)
						l.firstErr.CompareAndSwap(nil, err)
					}
					continue
				}
				_, err = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				switch {
				case err != nil:
					l.failed.Add(1)
				case resp.StatusCode != http.StatusOK:
					l.non200.Add(1)
				default:
					l.ok.Add(1)
					l.mu.Lock()
					l.byPid[resp.Header.Get("X-Pid")]++
					l.mu.Unlock()
				}
			}
		})
	}
	l.wait = wg.Wait
	return l
}

// slow sends GET /slow?d=d, returns once its response header has come (the
// request is then in flight at the server), and delivers its outcome: the
// PID that answered, or an error.
func slow(t *testing.T, url string, d time.Duration) <-chan string {
	t.Helper()
	out := make(chan string, 1)
	started := make(chan struct{})
	go func() {
		resp, err := (&http.Client{Timeout: 20 * time.Second}).Get(url + "/slow?d=" + d.String())
		close(started)
		if err != nil {
			out <- "error: " + err.Error()
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil || string(b) != "slow" {
			out <- fmt.Sprintf("error: %q %v", b, err)
			return
		}
		out <- resp.Header.Get("X-Pid")
	}()
	select {
	case <-started: // the header is here: the server has the request
	case <-time.After(10 * time.Second):
		t.Fatal("no header for /slow within 10s")
	}
	return out
}

func (l *load) report(t *testing.T) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	t.Logf("load: %d answered (by process: %v), %d failed, %d non-200, %d refused, %d resets, %d kept-alive connections closed by the server; first error: %v",
		l.ok.Load(), l.byPid, l.failed.Load(), l.non200.Load(), l.refused.Load(), l.resets.Load(), l.closes.Load(), l.firstErr.Load())
}

func (l *load) assertClean(t *testing.T) {
	t.Helper()
	l.report(t)
	assert.Zero(t, l.failed.Load(), "failed requests")
	assert.Zero(t, l.non200.Load(), "non-200 answers")
	assert.Zero(t, l.refused.Load(), "refused connections")
	assert.Zero(t, l.resets.Load(), "reset connections")
	// A kept-alive connection is closed by a stopping server only once it
	// has been silent for StopGrace and its last response is older than
	// stdlib.KeepAliveGrace (1 s): none of these clients stalls that long,
	// even with every package's tests sharing two cores.
	assert.Zero(t, l.closes.Load(), "kept-alive connections closed by the server")
	assert.Positive(t, l.ok.Load())
}

// Five SIGHUPs under load from 50 keep-alive clients: every request is
// answered, no connection is refused or reset, a request in flight at each
// upgrade is answered by the old process, each old process exits 0, and at
// the end one process is left, named by the PID file. The default server
// is TCP, a second one a unix socket: both are handed over.
func TestUpgradeUnderLoad(t *testing.T) {
	dir := shortTempDir(t)
	bin := buildApp(t, dir, "app", "")
	sock := filepath.Join(dir, "admin.sock")
	a := startApp(t, bin, dir, "SERVER_NAMES=admin", "SERVER_ADMIN_SOCKET_FILE="+sock)
	first := a.pid()
	assert.Equal(t, first, a.pidInFile())

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	l := drive(ctx, a.url, 50)
	pace := time.NewTicker(800 * time.Millisecond) // the SIGHUPs' rhythm, not a synchronisation
	defer pace.Stop()
	for range 5 {
		<-pace.C
		inFlight := slow(t, a.url, 300*time.Millisecond)
		old, successor := a.upgrade()
		assert.Equal(t, 0, a.exitCode(old), "the old process %d exits 0 after its drain", old)
		assert.Equal(t, strconv.Itoa(old), <-inFlight, "the request in flight at the upgrade is answered by the old process")
		assert.Equal(t, successor, a.pidInFile(), "the PID file names the new process")
	}
	<-ctx.Done()
	l.wait()
	l.assertClean(t)

	last := a.pid()
	a.mu.Lock()
	pids := append([]int(nil), a.pids...)
	a.mu.Unlock()
	require.Len(t, pids, 6)
	for _, pid := range pids[:5] {
		assert.True(t, gone(pid), "process %d is gone", pid)
	}
	assert.False(t, gone(last), "the last process serves")
	admin := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", sock)
	}}, Timeout: 10 * time.Second}
	resp, err := admin.Get("http://admin/")
	require.NoError(t, err, "the unix socket server after five upgrades")
	resp.Body.Close()
	assert.Equal(t, strconv.Itoa(last), resp.Header.Get("X-Pid"))

	a.signal(syscall.SIGTERM)
	assert.Equal(t, 0, a.exitCode(last))
	_, err = os.Stat(a.pidFile)
	assert.ErrorIs(t, err, os.ErrNotExist, "the last process removes the PID file")
	_, err = os.Stat(sock)
	assert.ErrorIs(t, err, os.ErrNotExist, "the last process removes the unix socket")
}

// A new build that exits 2 on a bad setting: the upgrade fails, the log
// says why (the new process's own error included), the old process serves
// on without an error at the client, and the PID file still names it. With
// the good build back, the next SIGHUP upgrades.
func TestUpgradeFailingBuildKeepsServing(t *testing.T) {
	dir := shortTempDir(t)
	good := buildApp(t, dir, "good", "")
	bad := buildApp(t, dir, "bad", "-X main.badSetting=SERVER_SOCKET_TIMEOUT=soon")
	bin := filepath.Join(dir, "app")
	install := func(from string) {
		b, err := os.ReadFile(from)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(bin+".new", b, 0o755))
		require.NoError(t, os.Rename(bin+".new", bin)) // as a deploy replaces a binary
	}
	install(good)
	a := startApp(t, bin, dir)
	old := a.pid()

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	l := drive(ctx, a.url, 10)
	install(bad)
	a.signal(syscall.SIGHUP)
	a.next("the failure", failedRe)
	assert.Contains(t, a.log(), "SERVER_SOCKET_TIMEOUT", "the new process's error names the bad variable")
	<-ctx.Done()
	l.wait()
	l.assertClean(t)
	assert.False(t, gone(old))
	assert.Equal(t, old, a.pidInFile())
	l.mu.Lock()
	assert.Equal(t, map[string]int{strconv.Itoa(old): int(l.ok.Load())}, l.byPid, "the old process answered everything")
	l.mu.Unlock()

	install(good)
	_, successor := a.upgrade()
	assert.Equal(t, 0, a.exitCode(old))
	assert.Equal(t, successor, a.pidInFile())
	a.signal(syscall.SIGTERM)
	assert.Equal(t, 0, a.exitCode(successor))
}

// A new build that never says it is ready (it hangs before it starts, and
// ignores SIGTERM): after the upgrade timeout the old process stops it,
// kills it when SIGTERM does not end it within its drain bound
// (SHUTDOWN_TIMEOUT and a second), and serves
// on without an error at the client; the PID file still names it, and the
// next upgrade, with the good build back, goes through.
func TestUpgradeNotReadyInTime(t *testing.T) {
	dir := shortTempDir(t)
	good := buildApp(t, dir, "good", "")
	hung := buildApp(t, dir, "hung", "-X main.hang=1")
	bin := filepath.Join(dir, "app")
	install := func(from string) {
		b, err := os.ReadFile(from)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(bin+".new", b, 0o755))
		require.NoError(t, os.Rename(bin+".new", bin))
	}
	install(good)
	a := startApp(t, bin, dir, "UPGRADEAPP_UPGRADE_TIMEOUT=500ms", "SERVER_SHUTDOWN_TIMEOUT=500ms")
	old := a.pid()

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	l := drive(ctx, a.url, 10)
	install(hung)
	a.signal(syscall.SIGHUP)
	child, err := strconv.Atoi(a.next("the new process", startedRe)[1])
	require.NoError(t, err)
	a.learn(child, false)
	a.next("the timeout", regexp.MustCompile(`msg="upgrade failed: the new process did not say it was ready in time; stopping it; still serving" pid=`+strconv.Itoa(child)+` ready_timeout=500ms`))
	a.next("the kill", regexp.MustCompile(`msg="upgrade: the new process did not stop in time: killing it" pid=`+strconv.Itoa(child)))
	<-ctx.Done()
	l.wait()
	l.assertClean(t)
	assert.Equal(t, old, a.pidInFile())
	l.mu.Lock()
	assert.Equal(t, map[string]int{strconv.Itoa(old): int(l.ok.Load())}, l.byPid, "the old process answered everything")
	l.mu.Unlock()

	install(good)
	_, successor := a.upgrade() // the upgrade slot is free again
	assert.True(t, gone(child), "the hung process was killed and reaped")
	assert.Equal(t, 0, a.exitCode(old))
	assert.Equal(t, successor, a.pidInFile())
	a.signal(syscall.SIGTERM)
	assert.Equal(t, 0, a.exitCode(successor))
}

// Signals at awkward moments of an upgrade are acted on.
func TestUpgradeSignals(t *testing.T) {
	dir := shortTempDir(t)
	bin := buildApp(t, dir, "app", "")

	// A second SIGHUP 2 ms after the first is logged and ignored: one
	// upgrade, one new process.
	t.Run("SecondHangup", func(t *testing.T) {
		a := startApp(t, bin, dir)
		old := a.pid()
		a.signal(syscall.SIGHUP)
		<-time.After(2 * time.Millisecond) // the stimulus: a signal 2 ms later
		a.signal(syscall.SIGHUP)
		successor, err := strconv.Atoi(a.next("the hand-over", handedRe)[1])
		require.NoError(t, err)
		a.learn(successor, true)
		assert.Equal(t, 0, a.exitCode(old))
		assert.Regexp(t, ignoredRe, a.log(), "the second SIGHUP is logged and ignored")
		assert.Equal(t, 1, strings.Count(a.log(), `msg="upgrade: new process started"`), "one upgrade")
		a.signal(syscall.SIGTERM)
		assert.Equal(t, 0, a.exitCode(successor))
	})

	// SIGTERM 2 ms or 100 ms after SIGHUP, with a 1 s request in flight:
	// both processes stop, the old one after answering the request, with
	// exit code 0, and nothing is left.
	for _, delay := range []time.Duration{2 * time.Millisecond, 100 * time.Millisecond} {
		t.Run(fmt.Sprintf("TerminateAfter%v", delay), func(t *testing.T) {
			a := startApp(t, bin, dir)
			old := a.pid()
			inFlight := slow(t, a.url, time.Second)
			a.signal(syscall.SIGHUP)
			<-time.After(delay) // the stimulus
			a.signal(syscall.SIGTERM)
			successor, err := strconv.Atoi(a.next("the new process", startedRe)[1])
			require.NoError(t, err)
			a.learn(successor, false)
			assert.Equal(t, strconv.Itoa(old), <-inFlight, "the request in flight is answered")
			assert.Equal(t, 0, a.exitCode(old), "the old process stops gracefully")
			code := a.exitCode(successor)
			assert.True(t, code == 0 || code == -2, "the new process exits 0 (or was reaped by the old one): %d", code)
			assert.True(t, gone(successor), "the new process is gone")
			log := a.log()
			assert.Regexp(t, stopBothRe, log)
			_, err = os.Stat(a.pidFile)
			assert.ErrorIs(t, err, os.ErrNotExist, "no PID file left")
		})
	}
}

// shortTempDir is a temporary directory with a path short enough for a
// unix socket.
func shortTempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "cgup")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// notice is one sd_notify datagram and the PID that sent it.
type notice struct {
	pid  int
	text string
	at   time.Time
}

// notifySocket is a unixgram socket that receives sd_notify datagrams
// with the sender's credentials (SO_PASSCRED), as systemd does.
func notifySocket(t *testing.T, dir string) (string, <-chan notice) {
	t.Helper()
	path := filepath.Join(dir, "notify")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	require.NoError(t, err)
	rc, err := conn.SyscallConn()
	require.NoError(t, err)
	var serr error
	require.NoError(t, rc.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_PASSCRED, 1)
	}))
	require.NoError(t, serr)
	out := make(chan notice, 256)
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf, oob := make([]byte, 4096), make([]byte, 1024)
		for {
			n, oobn, _, _, err := conn.ReadMsgUnix(buf, oob)
			if err != nil {
				return
			}
			nt := notice{text: string(buf[:n]), at: time.Now()}
			if msgs, err := unix.ParseSocketControlMessage(oob[:oobn]); err == nil {
				for _, m := range msgs {
					if cred, err := unix.ParseUnixCredentials(&m); err == nil {
						nt.pid = int(cred.Pid)
					}
				}
			}
			select {
			case out <- nt:
			default:
			}
		}
	}()
	t.Cleanup(func() { conn.Close(); <-done })
	return path, out
}

// The service manager's view of a service that upgrades: READY=1 first,
// watchdog pings at WATCHDOG_USEC/2 from the process serving; SIGUSR1
// gives RELOADING=1 (with MONOTONIC_USEC) and READY=1; SIGHUP gives
// RELOADING=1, then MAINPID=<new> with READY=1 from the old process, which
// says nothing more (no STOPPING=1 as it exits), and pings from the new
// one; SIGTERM gives STOPPING=1 and EXTEND_TIMEOUT_USEC from the new
// process, and no ping after STOPPING=1.
func TestUpgradeNotify(t *testing.T) {
	dir := shortTempDir(t)
	bin := buildApp(t, dir, "app", "")
	path, notices := notifySocket(t, dir)
	const watchdog = 400 * time.Millisecond
	a := startApp(t, bin, dir, "NOTIFY_SOCKET="+path, "WATCHDOG_USEC="+strconv.Itoa(int(watchdog.Microseconds())))
	old := a.pid()
	var all []notice
	next := func(what string, match func(notice) bool) notice {
		t.Helper()
		deadline := time.After(20 * time.Second)
		for {
			select {
			case n := <-notices:
				all = append(all, n)
				if match(n) {
					return n
				}
			case <-deadline:
				t.Fatalf("no %s in 20s; got %+v", what, all)
			}
		}
	}
	is := func(prefix string) func(notice) bool {
		return func(n notice) bool { return strings.HasPrefix(n.text, prefix) }
	}
	ready := next("READY=1", is("READY=1"))
	assert.Equal(t, old, ready.pid)
	assert.Empty(t, all[:len(all)-1], "nothing before READY=1")
	next("a watchdog ping", is("WATCHDOG=1"))

	a.signal(syscall.SIGUSR1)
	assert.Regexp(t, `^RELOADING=1\nMONOTONIC_USEC=[0-9]+$`, next("RELOADING=1", is("RELOADING=1")).text)
	next("READY=1 after the reload", is("READY=1"))

	a.signal(syscall.SIGHUP)
	assert.Regexp(t, `^RELOADING=1\nMONOTONIC_USEC=[0-9]+$`, next("RELOADING=1 of the upgrade", is("RELOADING=1")).text)
	main := next("MAINPID=", is("MAINPID="))
	successor, err := strconv.Atoi(a.next("the hand-over", handedRe)[1])
	require.NoError(t, err)
	a.learn(successor, true)
	assert.Equal(t, old, main.pid, "the old process names its successor")
	assert.True(t, strings.HasPrefix(main.text, fmt.Sprintf("MAINPID=%d\nREADY=1", successor)), main.text)
	assert.Equal(t, 0, a.exitCode(old))
	mark := len(all)
	ping := next("a ping from the new process", func(n notice) bool { return n.text == "WATCHDOG=1" && n.pid == successor })
	_ = ping

	a.signal(syscall.SIGTERM)
	stopping := next("STOPPING=1", is("STOPPING=1"))
	assert.Equal(t, successor, stopping.pid)
	next("EXTEND_TIMEOUT_USEC", is("EXTEND_TIMEOUT_USEC="))
	assert.Equal(t, 0, a.exitCode(successor))
	for _, n := range all[mark:] {
		assert.NotEqual(t, old, n.pid, "the old process spoke after the hand-over: %q", n.text)
	}
	// The pings' rhythm: from READY=1 of each process on, no gap between
	// two of them longer than WATCHDOG_USEC, and none after STOPPING=1.
	var last time.Time
	for _, n := range all {
		switch {
		case n.text == "WATCHDOG=1":
			assert.False(t, n.at.After(stopping.at), "a ping after STOPPING=1")
			if !last.IsZero() {
				assert.Less(t, n.at.Sub(last), watchdog, "a gap between two pings")
			}
			last = n.at
		case strings.HasPrefix(n.text, "STOPPING=1"):
			last = time.Time{}
		}
	}
}
