package main

import (
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/quic-go/quic-go/http3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-49a6713b/cherrygo/internal/testcert"
)

// systemd-socket-activate cannot pass a stream and a datagram socket at
// once, so these tests are the service manager themselves: they bind a TCP
// listener and a UDP socket, pass them as descriptors 3 and 4 and start
// the program through sh, whose exec keeps the PID that LISTEN_PID names.

// activationScript sets the LISTEN_* variables for the PID that execs the
// program ($0).
const activationScript = `LISTEN_PID=$$ LISTEN_FDS=2 LISTEN_FDNAMES=default:default exec "$0"`

// streamAndDatagram binds a TCP listener on a loopback port and a UDP
// socket on the same port (samePort) or another one; both are closed at
// cleanup.
func streamAndDatagram(t *testing.T, samePort bool) (*net.TCPListener, *net.UDPConn) {
	t.Helper()
	for range 20 {
		l, err := net.ListenTCP("tcp4", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
		require.NoError(t, err)
		port := 0
		if samePort {
			port = l.Addr().(*net.TCPAddr).Port
		}
		pc, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port})
		if err == nil {
			t.Cleanup(func() { _ = l.Close(); _ = pc.Close() })
			return l, pc
		}
		_ = l.Close()
	}
	t.Fatal("no loopback port free over both TCP and UDP")
	return nil, nil
}

// activationCmd is bin started through sh with l as descriptor 3 and pc
// as 4, both named "default", and env.
func activationCmd(t *testing.T, bin string, l *net.TCPListener, pc *net.UDPConn, env ...string) *exec.Cmd {
	t.Helper()
	lf, err := l.File()
	require.NoError(t, err)
	pf, err := pc.File()
	require.NoError(t, err)
	t.Cleanup(func() { _ = lf.Close(); _ = pf.Close() })
	cmd := exec.Command("sh", "-c", activationScript, bin)
	cmd.Env = append(os.Environ(), env...)
	cmd.ExtraFiles = []*os.File{lf, pf}
	return cmd
}

func tlsEnv(t *testing.T) []string {
	t.Helper()
	dir := t.TempDir()
	c, k := testcert.Pair(t, 1)
	cert, key := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	require.NoError(t, os.WriteFile(cert, c, 0o600))
	require.NoError(t, os.WriteFile(key, k, 0o600))
	return []string{"SERVER_SSL_CERTIFICATE=" + cert, "SERVER_SSL_PRIVATE_KEY=" + key}
}

// A TCP and a UDP socket of one port passed by socket activation: hello
// serves HTTP/3 on the UDP one at once and advertises it over TCP, binding
// nothing (the test holds both sockets: a bind of either port would fail).
func TestSocketActivationHTTP3(t *testing.T) {
	bin := build(t)
	l, pc := streamAndDatagram(t, true)
	addr := l.Addr().String()
	r := run(t, activationCmd(t, bin, l, pc, append(tlsEnv(t), "SERVER_HTTP3=true")...), nil)
	assert.Equal(t, "https://"+addr, r.url)
	tlsConf := &tls.Config{InsecureSkipVerify: true} //nolint:gosec // a self-signed test certificate

	h3 := &http3.Transport{TLSClientConfig: tlsConf}
	defer h3.Close()
	resp, body := get(t, &http.Client{Transport: h3, Timeout: 10 * time.Second}, r.url+"/")
	assert.Equal(t, "HTTP/3.0", resp.Proto)
	assert.Equal(t, "Hello, world!", body)

	tcp := &http.Transport{TLSClientConfig: tlsConf}
	defer tcp.CloseIdleConnections()
	resp, body = get(t, &http.Client{Transport: tcp, Timeout: 10 * time.Second}, r.url+"/")
	assert.Equal(t, "Hello, world!", body)
	_, port, _ := net.SplitHostPort(addr)
	assert.Equal(t, `h3=":`+port+`"; ma=86400`, resp.Header.Get("Alt-Svc"))

	log := r.stderr.String()
	assert.Contains(t, log, `msg="socket activation" server=default network=tcp addr=`+addr)
	assert.Contains(t, log, `msg="socket activation" server=default network=udp addr=`+addr+` http3=true`)
	assert.Contains(t, log, `msg="HTTP/3 served on the handed-over UDP socket" addr=`+addr)
	assert.NotContains(t, log, "msg=listening network=udp", "nothing bound")
	assert.NotContains(t, log, "waits", "no old process to wait for")
	assert.Equal(t, 0, r.stop(t, syscall.SIGTERM), r.stderr.String())
}

// A UDP socket for a server that does not serve HTTP/3, and one of
// another port than the stream socket's, are start errors naming them.
func TestSocketActivationHTTP3Errors(t *testing.T) {
	bin := build(t)
	t.Run("WithoutHTTP3", func(t *testing.T) {
		l, pc := streamAndDatagram(t, true)
		cmd := activationCmd(t, bin, l, pc)
		out := runFailing(t, cmd)
		assert.Contains(t, out, `the UDP socket named "default" (`+pc.LocalAddr().String()+`) is for the default server, whose SERVER_HTTP3 is not true`)
	})
	t.Run("OtherPort", func(t *testing.T) {
		l, pc := streamAndDatagram(t, false)
		cmd := activationCmd(t, bin, l, pc, append(tlsEnv(t), "SERVER_HTTP3=true")...)
		out := runFailing(t, cmd)
		assert.Contains(t, out, "the default server's UDP socket "+pc.LocalAddr().String()+" and its stream socket tcp "+l.Addr().String()+` (named "default") are not of the same port`)
	})
}

// runFailing runs cmd (with its descriptors), which must exit 1 within
// 20 s, and returns what it wrote.
func runFailing(t *testing.T, cmd *exec.Cmd) string {
	t.Helper()
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	require.NoError(t, cmd.Start())
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(20 * time.Second):
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("no exit in 20s:\n%s", out.String())
	}
	var exit *exec.ExitError
	require.True(t, errors.As(err, &exit), "%v: %s", err, out.String())
	assert.Equal(t, 1, exit.ExitCode(), "%s", out.String())
	return out.String()
}

var h3ServedLine = regexp.MustCompile(`msg="HTTP/3 served on the handed-over UDP socket" addr=(\S+)`)

// systemd's UDP socket survives SIGHUP: the new process gets it from the
// old one with the TCP socket, holds it while the old process drains, then
// serves HTTP/3 on it.
func TestSocketActivationHTTP3SurvivesUpgrade(t *testing.T) {
	bin := build(t)
	l, pc := streamAndDatagram(t, true)
	addr := l.Addr().String()
	handed, served := make(chan int, 1), make(chan string, 2)
	r := run(t, activationCmd(t, bin, l, pc, append(tlsEnv(t), "SERVER_HTTP3=true")...), func(line string) {
		if m := handedOverRe.FindStringSubmatch(line); m != nil {
			pid, _ := strconv.Atoi(m[1])
			handed <- pid
		}
		if m := h3ServedLine.FindStringSubmatch(line); m != nil {
			served <- m[1]
		}
	})
	next := func(what string, ch <-chan string) string {
		t.Helper()
		select {
		case v := <-ch:
			return v
		case <-time.After(20 * time.Second):
			t.Fatalf("no %s in 20s:\n%s", what, r.stderr)
			return ""
		}
	}
	assert.Equal(t, addr, next("HTTP/3 on systemd's socket", served))
	tlsConf := &tls.Config{InsecureSkipVerify: true} //nolint:gosec // a self-signed test certificate
	h3get := func() {
		t.Helper()
		h3 := &http3.Transport{TLSClientConfig: tlsConf}
		defer h3.Close()
		resp, body := get(t, &http.Client{Transport: h3, Timeout: 10 * time.Second}, r.url+"/")
		assert.Equal(t, "HTTP/3.0", resp.Proto)
		assert.Equal(t, "Hello, world!", body)
	}
	h3get()

	pid := upgrade(t, r, handed)
	assert.Equal(t, addr, next("HTTP/3 served by the new process", served), "the new process serves the handed UDP socket")
	h3get()
	log := r.stderr.String()
	assert.Contains(t, log, `msg="upgrade: the old process is gone: serving HTTP/3 too"`)
	stopped, goneAt := strings.Index(log, "msg=stopped"), strings.Index(log, "the old process is gone")
	require.GreaterOrEqual(t, stopped, 0, "the old process's server stopped:\n%s", log)
	assert.Less(t, stopped, goneAt, "HTTP/3 is served once the old process stopped")

	require.NoError(t, syscall.Kill(pid, syscall.SIGTERM))
	select {
	case <-r.done: // every process holding stderr is gone
	case <-time.After(20 * time.Second):
		t.Fatal("the new process did not exit after SIGTERM")
	}
	assert.Equal(t, 0, r.cmd.ProcessState.ExitCode(), "the old process exits 0 after its drain:\n%s", r.stderr)
}
