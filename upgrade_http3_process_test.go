package cherrygo_test

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/quic-go/quic-go"
	"github.com/quic-go/quic-go/http3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-49a6713b/cherrygo/internal/testcert"
)

var h3HandedRe = regexp.MustCompile(`msg="HTTP/3 served on the handed-over UDP socket" addr=(\S+)`)

// writePair writes a fresh self-signed pair into dir.
func writePair(t *testing.T, dir string) (cert, key string) {
	t.Helper()
	c, k := testcert.Pair(t, 1)
	cert, key = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	require.NoError(t, os.WriteFile(cert, c, 0o600))
	require.NoError(t, os.WriteFile(key, k, 0o600))
	return cert, key
}

var insecure = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // a self-signed test certificate

// h3Transport is a fresh HTTP/3 client transport, closed at cleanup.
func h3Transport(t *testing.T) *http3.Transport {
	t.Helper()
	tr := &http3.Transport{TLSClientConfig: insecure, QUICConfig: &quic.Config{HandshakeIdleTimeout: 5 * time.Second}}
	t.Cleanup(func() { _ = tr.Close() })
	return tr
}

// h3Get fetches url over HTTP/3 with a fresh transport and returns the PID
// that answered.
func h3Get(t *testing.T, url string) string {
	t.Helper()
	tr := h3Transport(t)
	defer tr.Close() // the connection goes with it: a draining server waits for none
	resp, err := (&http.Client{Transport: tr, Timeout: 10 * time.Second}).Get(url)
	require.NoError(t, err, "HTTP/3 GET %s", url)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", b)
	assert.Equal(t, "HTTP/3.0", resp.Proto)
	assert.Equal(t, "Hello, world!", string(b))
	return resp.Header.Get("X-Pid")
}

// slowH3 is slow over HTTP/3: GET /slow?d=d, returning once its header
// has come (the request is in flight at the server); the channel yields
// the PID that answered, or an error.
func slowH3(t *testing.T, url string, d time.Duration) <-chan string {
	t.Helper()
	client := &http.Client{Transport: h3Transport(t), Timeout: 20 * time.Second}
	out := make(chan string, 1)
	started := make(chan struct{})
	go func() {
		resp, err := client.Get(url + "/slow?d=" + d.String())
		close(started)
		if err != nil {
			out <- "error: " + err.Error()
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil || string(b) != "slow" || resp.StatusCode != http.StatusOK {
			out <- fmt.Sprintf("error: %d %q %v", resp.StatusCode, b, err)
			return
		}
		out <- resp.Header.Get("X-Pid")
	}()
	select {
	case <-started:
	case <-time.After(10 * time.Second):
		t.Fatal("no header for /slow over HTTP/3 within 10s")
	}
	return out
}

// uploadH3 starts POST /upload over HTTP/3 with a body sent in 16 KiB
// chunks every 10 ms until finish is called: the client sends packets
// to the server all along, so an upload in flight across an upgrade sees
// whether the old process still gets its connection's packets. The
// channel yields "PID N bytes" or an error.
func uploadH3(t *testing.T, url string) (finish func(), result <-chan string) {
	t.Helper()
	client := &http.Client{Transport: h3Transport(t), Timeout: 30 * time.Second}
	pr, pw := io.Pipe()
	out, stop, first := make(chan string, 1), make(chan struct{}), make(chan struct{})
	var sent atomic.Int64
	go func() {
		chunk := make([]byte, 16<<10)
		pace := time.NewTicker(10 * time.Millisecond) // the upload's rhythm, not a synchronisation
		defer pace.Stop()
		for i := 0; ; i++ {
			if _, err := pw.Write(chunk); err != nil {
				return
			}
			sent.Add(int64(len(chunk)))
			if i == 0 {
				close(first)
			}
			select {
			case <-stop:
				_ = pw.Close()
				return
			case <-pace.C:
			}
		}
	}()
	go func() {
		resp, err := client.Post(url+"/upload", "application/octet-stream", pr)
		if err != nil {
			_ = pr.CloseWithError(err)
			out <- "error: " + err.Error()
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil || resp.StatusCode != http.StatusOK {
			out <- fmt.Sprintf("error: %d %q %v", resp.StatusCode, b, err)
			return
		}
		if want := strconv.FormatInt(sent.Load(), 10) + " bytes"; string(b) != want {
			out <- fmt.Sprintf("error: %q, want %q", b, want)
			return
		}
		out <- resp.Header.Get("X-Pid") + " " + string(b)
	}()
	select {
	case <-first: // the server has the request once its first chunk is read
	case <-time.After(10 * time.Second):
		t.Fatal("the upload did not begin within 10s")
	}
	var once sync.Once
	return func() { once.Do(func() { close(stop) }) }, out
}

// waitCount waits until n lines of the log seen so far match re (next's
// cursor stays).
func (a *app) waitCount(what string, re *regexp.Regexp, n int) {
	a.t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		count := 0
		for _, line := range a.seen {
			if re.MatchString(line) {
				count++
			}
		}
		if count >= n {
			return
		}
		select {
		case line := <-a.lines:
			a.seen = append(a.seen, line)
		case <-deadline:
			a.t.Fatalf("no %s in 20s; log:\n%s", what, strings.Join(a.seen, "\n"))
		}
	}
}

// tlsPoll sends GET / over TLS on a new connection each time (so that
// each one tests the accept queue) until ctx ends; it counts refused
// dials and other failures.
type tlsPoll struct {
	ok, refused, failed atomic.Int64
	firstErr            atomic.Value
	altSvc              sync.Map // PID → the Alt-Svc header it sent last
	done                chan struct{}
}

func pollTLS(ctx context.Context, url string) *tlsPoll {
	p := &tlsPoll{done: make(chan struct{})}
	tr := &http.Transport{TLSClientConfig: insecure, DisableKeepAlives: true}
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	go func() {
		defer close(p.done)
		defer tr.CloseIdleConnections()
		pace := time.NewTicker(10 * time.Millisecond) // the load's rhythm, not a synchronisation
		defer pace.Stop()
		for ctx.Err() == nil {
			resp, err := client.Get(url + "/")
			switch {
			case err != nil && ctx.Err() != nil:
			case err != nil:
				var op *net.OpError
				if errors.As(err, &op) && op.Op == "dial" {
					p.refused.Add(1)
				} else {
					p.failed.Add(1)
				}
				p.firstErr.CompareAndSwap(nil, err)
			default:
				_, err = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if err != nil || resp.StatusCode != http.StatusOK {
					p.failed.Add(1)
					p.firstErr.CompareAndSwap(nil, fmt.Errorf("status %d, %v", resp.StatusCode, err))
				} else {
					p.ok.Add(1)
					p.altSvc.Store(resp.Header.Get("X-Pid"), resp.Header.Get("Alt-Svc"))
				}
			}
			select {
			case <-ctx.Done():
			case <-pace.C:
			}
		}
	}()
	return p
}

// HTTP/3 survives SIGHUP: the old process hands its UDP socket over with
// the TCP one; an HTTP/3 request in flight on the old process completes
// (the new process reads nothing from the shared socket while the old one
// drains); once the old process is gone the new one serves HTTP/3 on the
// socket and advertises it, a fresh HTTP/3 client is answered by the new
// process, and no TCP connection is refused or fails meanwhile.
func TestUpgradeHandsOverHTTP3(t *testing.T) {
	dir := shortTempDir(t)
	bin := buildApp(t, dir, "app", "")
	cert, key := writePair(t, dir)
	a := startApp(t, bin, dir, "SERVER_SSL_CERTIFICATE="+cert, "SERVER_SSL_PRIVATE_KEY="+key, "SERVER_HTTP3=true")
	require.True(t, strings.HasPrefix(a.url, "https://"), a.url)
	hostPort := strings.TrimPrefix(a.url, "https://")
	first := a.pid()
	assert.Equal(t, strconv.Itoa(first), h3Get(t, a.url+"/"), "HTTP/3 before the upgrade")

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	tcp := pollTLS(ctx, a.url)
	inFlight := slowH3(t, a.url, time.Second)
	finish, upload := uploadH3(t, a.url)
	defer finish()
	old, successor := a.upgrade()
	require.Equal(t, first, old)
	// The upload goes on for 300 ms after the hand-over, while both
	// processes hold the UDP socket.
	<-time.After(300 * time.Millisecond) // the stimulus: upload packets during the drain
	finish()
	up := <-upload
	assert.True(t, strings.HasPrefix(up, strconv.Itoa(old)+" "), "the HTTP/3 upload in flight at the upgrade is read to its end by the old process: %s", up)
	assert.Equal(t, strconv.Itoa(old), <-inFlight, "the HTTP/3 request in flight at the upgrade is answered by the old process")
	served := a.next("HTTP/3 on the handed-over socket", h3HandedRe)
	assert.Equal(t, hostPort, served[1], "the new process serves HTTP/3 on the same address")
	assert.Equal(t, 0, a.exitCode(old), "the old process exits 0 after its drain")
	assert.True(t, gone(old))

	assert.Equal(t, strconv.Itoa(successor), h3Get(t, a.url+"/"), "a fresh HTTP/3 client is answered by the new process")
	resp, err := (&http.Client{Transport: &http.Transport{TLSClientConfig: insecure, DisableKeepAlives: true}, Timeout: 10 * time.Second}).Get(a.url + "/")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, strconv.Itoa(successor), resp.Header.Get("X-Pid"))
	_, port, _ := net.SplitHostPort(hostPort)
	assert.Equal(t, `h3=":`+port+`"; ma=86400`, resp.Header.Get("Alt-Svc"), "the new process advertises HTTP/3 once it serves it")

	cancel()
	<-tcp.done
	t.Logf("TLS over TCP: %d answered, %d refused, %d failed; first error: %v", tcp.ok.Load(), tcp.refused.Load(), tcp.failed.Load(), tcp.firstErr.Load())
	assert.Zero(t, tcp.refused.Load(), "refused TCP connections")
	assert.Zero(t, tcp.failed.Load(), "failed TCP requests")
	assert.Positive(t, tcp.ok.Load())
	oldAltSvc, _ := tcp.altSvc.Load(strconv.Itoa(old))
	assert.Equal(t, `h3=":`+port+`"; ma=86400`, oldAltSvc, "the old process advertised HTTP/3")
	log := a.log()
	assert.Contains(t, log, `msg="HTTP/3 waits before it serves the handed-over UDP socket"`, "the new process held the socket back")
	assert.NotContains(t, log, "serving TCP only")

	a.signal(syscall.SIGTERM)
	assert.Equal(t, 0, a.exitCode(successor))
}

// Two SIGHUPs, the second while the first old process still drains an
// HTTP/3 request: the middle process never serves HTTP/3 and stays until
// the first one is gone, so the last one serves HTTP/3 on the socket
// handed down the chain, alone.
func TestUpgradeTwiceDuringHTTP3Drain(t *testing.T) {
	dir := shortTempDir(t)
	bin := buildApp(t, dir, "app", "")
	cert, key := writePair(t, dir)
	a := startApp(t, bin, dir, "SERVER_SSL_CERTIFICATE="+cert, "SERVER_SSL_PRIVATE_KEY="+key, "SERVER_HTTP3=true")
	inFlight := slowH3(t, a.url, 1500*time.Millisecond)
	first, middle := a.upgrade()
	// The hand-over comes as the middle process says it is ready, about
	// when its bus is started (it ignores a SIGHUP until then), and the
	// processes' lines interleave: wait for the second start in the log.
	a.waitCount("the middle process started", regexp.MustCompile(`msg="bus state" from=STARTING to=STARTED`), 2)
	_, last := a.upgrade()
	assert.Equal(t, strconv.Itoa(first), <-inFlight, "the first process answers its HTTP/3 request")
	a.next("HTTP/3 on the handed-over socket", h3HandedRe)
	assert.Equal(t, 0, a.exitCode(first))
	assert.Equal(t, 0, a.exitCode(middle))
	assert.Equal(t, strconv.Itoa(last), h3Get(t, a.url+"/"), "the last process serves HTTP/3")
	log := a.log()
	assert.Equal(t, 1, strings.Count(log, `msg="HTTP/3 served on the handed-over UDP socket"`), "only the last process served the handed socket:\n%s", log)
	// The first process's last line (it leaves the PID file, which names
	// another process) comes before the last one sees the middle one gone.
	firstExit := -1
	if loc := regexp.MustCompile(`left in place" path=\S+ file_pid=\d+ pid=` + strconv.Itoa(first) + `\b`).FindStringIndex(log); loc != nil {
		firstExit = loc[0]
	}
	lastServes := strings.Index(log, fmt.Sprintf(`msg="upgrade: the old process is gone: serving HTTP/3 too" old_pid=%d`, middle))
	require.GreaterOrEqual(t, firstExit, 0, "the first process's exit:\n%s", log)
	require.GreaterOrEqual(t, lastServes, 0, "the last process's wait:\n%s", log)
	assert.Less(t, firstExit, lastServes, "the middle process stays until the first one is gone:\n%s", log)
	a.signal(syscall.SIGTERM)
	assert.Equal(t, 0, a.exitCode(last))
}
