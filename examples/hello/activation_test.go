package main

import (
	"bufio"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-49a6713b/cherrygo/internal/testnet"
)

// Socket activation with systemd's own tool: systemd-socket-activate
// binds, and on the first connection hands the socket over as fd 3 with
// LISTEN_FDS and LISTEN_PID and execs the program, which must serve on it
// rather than bind (a port check would find the port taken by the very
// socket it was given). The first request is the one that starts it.

func needActivate(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("systemd-socket-activate")
	if err != nil {
		t.Skip("systemd-socket-activate is not installed (apt-get install systemd): skipping the socket activation check")
	}
	return path
}

// activated runs bin under systemd-socket-activate on listen and, once the
// activator listens, sends the first request with curl (args...); it
// returns once bin serves, and the first answer.
func activated(t *testing.T, bin, listen string, fdName string, curlArgs ...string) (*running, string) {
	t.Helper()
	return activatedWatching(t, nil, bin, listen, fdName, curlArgs...)
}

// activatedWatching is activated, with every line of stderr also sent to
// watch (if not nil) as it comes.
func activatedWatching(t *testing.T, watch func(string), bin, listen string, fdName string, curlArgs ...string) (*running, string) {
	t.Helper()
	tool := needActivate(t)
	args := []string{"-l", listen}
	if fdName != "" {
		args = append(args, "--fdname="+fdName)
	}
	cmd := exec.Command(tool, append(args, bin)...)
	cmd.Env = os.Environ()
	first := make(chan string, 1)
	var once sync.Once
	r := run(t, cmd, func(line string) {
		if watch != nil {
			watch(line)
		}
		if strings.HasPrefix(line, "Listening on ") {
			once.Do(func() {
				go func() {
					out, _ := exec.Command("curl", append([]string{"-sS", "--max-time", "20"}, curlArgs...)...).CombinedOutput()
					first <- string(out)
				}()
			})
		}
	})
	select {
	case body := <-first:
		return r, body
	case <-time.After(25 * time.Second):
		t.Fatal("the first request got no answer in 25s")
		return nil, ""
	}
}

func TestSocketActivationTCP(t *testing.T) {
	needCurl(t)
	bin := build(t)
	addr := testnet.ReservePort(t)
	r, first := activated(t, bin, addr, "", "http://"+addr+"/")
	assert.Equal(t, "Hello, world!", first, "the connection that woke the activator is served")
	assert.Equal(t, "http://"+addr, r.url)
	assert.Equal(t, "Hello, world!", curl(t, r.url+"/"))
	log := r.stderr.String()
	assert.Contains(t, log, "msg=\"socket activation\" server=default network=tcp addr="+addr)
	assert.NotContains(t, log, "not free")
	assert.Equal(t, 0, r.stop(t, syscall.SIGTERM), r.stderr.String())
}

func TestSocketActivationUnixIsNeverUnlinked(t *testing.T) {
	needCurl(t)
	bin := build(t)
	sock := filepath.Join(t.TempDir(), "hello.sock")
	r, first := activated(t, bin, sock, "default", "--unix-socket", sock, "http://localhost/")
	assert.Equal(t, "Hello, world!", first)
	assert.Equal(t, "Hello, world!", curl(t, "--unix-socket", sock, "http://localhost/"))
	assert.Equal(t, 0, r.stop(t, syscall.SIGTERM), r.stderr.String())
	fi, err := os.Lstat(sock)
	require.NoError(t, err, "the received socket file is the activator's: it stays")
	assert.Equal(t, os.ModeSocket, fi.Mode().Type())
}

// failedStart runs bin under systemd-socket-activate on the unix socket
// sock, wakes it with a connection once the activator listens, and
// returns the program's exit code and everything both wrote.
func failedStart(t *testing.T, bin, sock string, args []string, env ...string) (int, string) {
	t.Helper()
	tool := needActivate(t)
	needCurl(t)
	args = append([]string{"-l", sock}, args...)
	for _, v := range env { // the activator passes its children only what -E names
		args = append(args, "-E", v)
	}
	cmd := exec.Command(tool, append(args, bin)...)
	pipe, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	var out strings.Builder
	read := make(chan struct{})
	go func() {
		defer close(read)
		sc := bufio.NewScanner(pipe)
		for sc.Scan() {
			line := sc.Text()
			if strings.HasPrefix(line, "Listening on ") {
				go exec.Command("curl", "-sS", "--max-time", "20", "--unix-socket", sock, "http://localhost/").Run()
			}
			out.WriteString(line + "\n")
		}
	}()
	select {
	case <-read:
	case <-time.After(25 * time.Second):
		cmd.Process.Kill()
		<-read
		cmd.Wait()
		t.Fatalf("no exit in 25s:\n%s", out.String())
	}
	err = cmd.Wait()
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit, "%s", out.String())
	return exit.ExitCode(), out.String()
}

// A socket named for no server that is on is a start error naming both.
func TestSocketActivationUnknownName(t *testing.T) {
	bin := build(t)
	code, out := failedStart(t, bin, filepath.Join(t.TempDir(), "m.sock"), []string{"--fdname=metrics"})
	assert.Equal(t, 1, code, out)
	assert.Contains(t, out, `the socket named "metrics" matches no server that is on (servers: default)`)
}

// A server that is on but got no socket is a start error naming it.
func TestSocketActivationServerWithoutSocket(t *testing.T) {
	bin := build(t)
	code, out := failedStart(t, bin, filepath.Join(t.TempDir(), "d.sock"), nil,
		"SERVER_NAMES=admin", "SERVER_ADMIN_SOCKET_HOST=127.0.0.1", "SERVER_ADMIN_SOCKET_PORT=0")
	assert.Equal(t, 1, code, out)
	assert.Contains(t, out, "no socket for the admin server (sockets passed: ")
}

// sd_notify: with NOTIFY_SOCKET set, hello tells the service manager when
// it is ready (with the address), reloading (SIGUSR1, a graceful reload)
// and stopping. The upgrade's messages are checked in the root package.
func TestSystemdNotify(t *testing.T) {
	needCurl(t)
	bin := build(t)
	path := filepath.Join(t.TempDir(), "notify")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	require.NoError(t, err)
	defer conn.Close()
	msgs := make(chan string, 16)
	go func() {
		buf := make([]byte, 4096)
		for {
			n, _, err := conn.ReadFromUnix(buf)
			if err != nil {
				close(msgs)
				return
			}
			msgs <- string(buf[:n])
		}
	}()
	next := func(what string) string {
		t.Helper()
		select {
		case m, ok := <-msgs:
			require.True(t, ok, "the notify socket closed before %s", what)
			return m
		case <-time.After(20 * time.Second):
			t.Fatalf("no %s in 20s", what)
			return ""
		}
	}
	r := start(t, bin, "SERVER_SOCKET_PORT=0", "NOTIFY_SOCKET="+path)
	ready := next("READY=1")
	assert.Equal(t, "READY=1\nSTATUS=serving: default "+r.url, ready)

	require.NoError(t, r.cmd.Process.Signal(syscall.SIGUSR1))
	reloading := next("RELOADING=1")
	assert.Regexp(t, `^RELOADING=1\nMONOTONIC_USEC=[0-9]+$`, reloading)
	assert.True(t, strings.HasPrefix(next("READY=1 after the reload"), "READY=1\n"))
	assert.Equal(t, "Hello, world!", curl(t, r.url+"/"), "serving on after the reload")

	assert.Equal(t, 0, r.stop(t, syscall.SIGTERM), r.stderr.String())
	assert.Equal(t, "STOPPING=1", next("STOPPING=1"))
}

var handedOverRe = regexp.MustCompile(`msg="upgrade: the new process is ready: handing over and draining" pid=(\d+)`)

// An activated socket survives SIGHUP: the new process of the upgrade
// serves systemd's socket (no bind, no unlink), the activation variables
// are not passed on to it, and the socket file stays after the last stop.
func TestSocketActivationSurvivesUpgrade(t *testing.T) {
	needCurl(t)
	bin := build(t)
	sock := filepath.Join(t.TempDir(), "hello.sock")
	handed := make(chan int, 1)
	r, first := activatedWatching(t, func(line string) {
		if m := handedOverRe.FindStringSubmatch(line); m != nil {
			pid, _ := strconv.Atoi(m[1])
			handed <- pid
		}
	}, bin, sock, "default", "--unix-socket", sock, "http://localhost/")
	require.Equal(t, "Hello, world!", first)
	pid := upgrade(t, r, handed)
	assert.Equal(t, "Hello, world!", curl(t, "--unix-socket", sock, "http://localhost/"), "the new process serves systemd's socket")
	env, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/environ")
	require.NoError(t, err)
	for _, kv := range strings.Split(string(env), "\x00") {
		assert.False(t, strings.HasPrefix(kv, "LISTEN_"), "the new process inherited %s", kv)
	}
	require.NoError(t, syscall.Kill(pid, syscall.SIGTERM))
	select {
	case <-r.done: // every process holding stderr is gone
	case <-time.After(20 * time.Second):
		t.Fatal("the new process did not exit after SIGTERM")
	}
	assert.Equal(t, 0, r.cmd.ProcessState.ExitCode(), "the old process exits 0 after its drain:\n%s", r.stderr)
	fi, err := os.Lstat(sock)
	require.NoError(t, err, "the received socket file is the activator's: it stays")
	assert.Equal(t, os.ModeSocket, fi.Mode().Type())
	assert.NotContains(t, r.stderr.String(), "not free")
}

// upgrade sends r's process SIGHUP and returns the PID of the new process
// once handed reports it; the new process is killed when the test ends.
func upgrade(t *testing.T, r *running, handed <-chan int) int {
	t.Helper()
	require.NoError(t, r.cmd.Process.Signal(syscall.SIGHUP))
	var pid int
	select {
	case pid = <-handed:
	case <-time.After(20 * time.Second):
		t.Fatalf("no hand-over in 20s:\n%s", r.stderr)
	}
	t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGKILL) })
	return pid
}
