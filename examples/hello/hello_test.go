package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// These tests follow README's quickstart as a newcomer would: build the
// program, run it with SERVER_* variables, talk to it with curl, stop it
// with a signal.

func build(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go is not on PATH: cannot build examples/hello")
	}
	bin := filepath.Join(t.TempDir(), "hello")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, "%s", out)
	return bin
}

func needCurl(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl is not installed (apt-get install curl): skipping the quickstart check")
	}
}

// logBuffer is the program's stderr as read so far, safe to read while
// the reading goroutine appends.
type logBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuffer) WriteString(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b.WriteString(s)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

type running struct {
	cmd    *exec.Cmd
	url    string
	stderr *logBuffer
	done   chan error
}

var servingLine = regexp.MustCompile(`msg=serving url=(\S+)`)

// start runs bin with env and waits for its "serving" log line.
func start(t *testing.T, bin string, env ...string) *running {
	t.Helper()
	cmd := exec.Command(bin)
	cmd.Env = os.Environ()
	if !slices.ContainsFunc(env, func(v string) bool { return strings.HasPrefix(v, "SERVER_SOCKET_FILE=") }) {
		cmd.Env = append(cmd.Env, "SERVER_SOCKET_HOST=127.0.0.1") // tests bind loopback only
	}
	cmd.Env = append(cmd.Env, env...)
	return run(t, cmd, nil)
}

// run starts cmd and waits for its "serving" log line; onLine, if not
// nil, sees every line of its stderr first.
func run(t *testing.T, cmd *exec.Cmd, onLine func(string)) *running {
	t.Helper()
	pipe, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	r := &running{cmd: cmd, stderr: &logBuffer{}, done: make(chan error, 1)}
	urls := make(chan string, 1)
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		sc := bufio.NewScanner(pipe)
		for sc.Scan() {
			line := sc.Text()
			if onLine != nil {
				onLine(line)
			}
			r.stderr.WriteString(line + "\n")
			if m := servingLine.FindStringSubmatch(line); m != nil {
				select {
				case urls <- m[1]:
				default:
				}
			}
		}
	}()
	go func() {
		<-copied
		r.done <- cmd.Wait()
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-copied
	})
	select {
	case r.url = <-urls:
	case err := <-r.done:
		r.done <- err
		t.Fatalf("hello exited before serving: %v\n%s", err, r.stderr)
	case <-time.After(20 * time.Second):
		t.Fatalf("hello did not log a serving line in 20s")
	}
	return r
}

// stop sends sig and returns the exit code.
func (r *running) stop(t *testing.T, sig os.Signal) int {
	t.Helper()
	require.NoError(t, r.cmd.Process.Signal(sig))
	select {
	case <-r.done:
	case <-time.After(20 * time.Second):
		t.Fatalf("hello did not exit after %v", sig)
	}
	return r.cmd.ProcessState.ExitCode()
}

func curl(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "curl", append([]string{"-sS", "--max-time", "10"}, args...)...).CombinedOutput()
	require.NoError(t, err, "curl %v: %s", args, out)
	return string(out)
}

func TestQuickstartTCP(t *testing.T) {
	needCurl(t)
	bin := build(t)
	r := start(t, bin, "SERVER_SOCKET_PORT=0")
	require.True(t, strings.HasPrefix(r.url, "http://127.0.0.1:"), r.url)
	assert.Equal(t, "Hello, world!", curl(t, r.url+"/"))
	head := curl(t, "-I", r.url+"/")
	assert.Contains(t, head, "200 OK")
	assert.Contains(t, head, "text/plain")
	assert.Equal(t, 0, r.stop(t, syscall.SIGTERM), r.stderr.String())

	r = start(t, bin, "SERVER_SOCKET_PORT=0")
	assert.Equal(t, 0, r.stop(t, syscall.SIGINT), "SIGINT is a graceful stop too")
}

func TestQuickstartUnixSocket(t *testing.T) {
	needCurl(t)
	bin := build(t)
	sock := filepath.Join(t.TempDir(), "hello.sock")
	r := start(t, bin, "SERVER_SOCKET_FILE="+sock)
	assert.Equal(t, "unix:"+sock, r.url)
	assert.Equal(t, "Hello, world!", curl(t, "--unix-socket", sock, "http://localhost/"))
	assert.Equal(t, 0, r.stop(t, syscall.SIGTERM))
	_, err := os.Stat(sock)
	assert.True(t, os.IsNotExist(err), "the socket file is removed on stop")
}

func TestQuickstartTLSHTTP2(t *testing.T) {
	needCurl(t)
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl is not installed (apt-get install openssl): skipping the TLS quickstart")
	}
	bin := build(t)
	dir := t.TempDir()
	cert, key := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	out, err := exec.Command("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
		"-nodes", "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
		"-keyout", key, "-out", cert).CombinedOutput()
	require.NoError(t, err, "%s", out)

	r := start(t, bin, "SERVER_SOCKET_PORT=0", "SERVER_SSL_CERTIFICATE="+cert, "SERVER_SSL_PRIVATE_KEY="+key)
	require.True(t, strings.HasPrefix(r.url, "https://"), r.url)
	got := curl(t, "-k", "--http2", "-i", r.url+"/")
	assert.True(t, strings.HasPrefix(got, "HTTP/2 200"), got)
	assert.Contains(t, got, "Hello, world!")
	assert.Equal(t, 0, r.stop(t, syscall.SIGTERM))
}

func TestBadConfigurationExits2(t *testing.T) {
	bin := build(t)
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "SERVER_SOCKET_PORT=70000", "SERVER_SOCKET_FILE_MODE=rw-", "SERVER_SSL_CERTIFICATE=/nonexistent.pem")
	out, err := cmd.CombinedOutput()
	require.Error(t, err)
	assert.Equal(t, 2, cmd.ProcessState.ExitCode(), "%s", out)
	for _, want := range []string{"SERVER_SOCKET_PORT", "70000", "SERVER_SOCKET_FILE_MODE", "rw-", "SERVER_SSL_PRIVATE_KEY"} {
		assert.Contains(t, string(out), want)
	}
}

func TestPortInUseExits1NamingTheAddress(t *testing.T) {
	bin := build(t)
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer taken.Close()
	port := taken.Addr().(*net.TCPAddr).Port
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "SERVER_SOCKET_HOST=127.0.0.1", fmt.Sprintf("SERVER_SOCKET_PORT=%d", port))
	out, err := cmd.CombinedOutput()
	require.Error(t, err)
	assert.Equal(t, 1, cmd.ProcessState.ExitCode(), "%s", out)
	assert.Contains(t, string(out), "hello: ")
	assert.Contains(t, string(out), fmt.Sprint(port))
	assert.Contains(t, string(out), "127.0.0.1")
	assert.Contains(t, string(out), "address already in use")
}
