package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/http/fcgi"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/quic-go/quic-go/http3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func hello(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("Hello, world!")) }

func TestNginxConf(t *testing.T) {
	conf := nginxConf("/d", "127.0.0.1:1", "127.0.0.1:2")
	for _, want := range []string{
		"worker_processes 1;", "daemon off;", "master_process on;", "error_log /d/error.log",
		"listen 127.0.0.1:1;", "server 127.0.0.1:2;", fmt.Sprintf("keepalive %d;", upstreamKeepalive),
		"fastcgi_pass backend;", "fastcgi_keep_conn on;", "fastcgi_param REQUEST_URI",
		"fastcgi_param REQUEST_METHOD", "fastcgi_param SERVER_PROTOCOL",
	} {
		assert.Contains(t, conf, want)
	}
	assert.Greater(t, upstreamKeepalive, 50, "more idle upstream connections than client connections")
}

// TestNginxFastCGI runs the harness's nginx in front of a net/http/fcgi
// server of this process and probes it the way a measurement does.
func TestNginxFastCGI(t *testing.T) {
	nginx := findNginx()
	if nginx == "" {
		t.Skip("nginx not installed (Debian: apt-get install nginx-light)")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	serveErr := make(chan error, 1)
	go func() { serveErr <- fcgi.Serve(ln, http.HandlerFunc(hello)) }()
	t.Cleanup(func() {
		ln.Close()
		select {
		case <-serveErr:
		case <-time.After(5 * time.Second):
			t.Error("fcgi.Serve did not return")
		}
	})
	front, err := freePort()
	require.NoError(t, err)
	s := settings{nginx: nginx, tmp: t.TempDir()}
	tg := target{server: srvRawFCGI, transport: fcgiNginx, network: "tcp",
		addr: net.JoinHostPort("127.0.0.1", front), backend: ln.Addr().String()}
	f, err := startNginx(s, tg)
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, f.stop()) })
	c, err := awaitFirst200(tg, f.p, time.Now().Add(20*time.Second))
	require.NoError(t, err, "nginx log: %s", f.errors())
	defer c.Close()
	// The same connection again: keep-alive through nginx.
	status, err := c.get("/", 5*time.Second)
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, status)
	n, err := treeCPUTicks(f.p.pid())
	require.NoError(t, err)
	assert.GreaterOrEqual(t, n, int64(0))
	kids, err := childPIDs(f.p.pid())
	require.NoError(t, err)
	assert.NotEmpty(t, kids, "nginx's worker")
}

func TestUDPTableHas(t *testing.T) {
	table := "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n" +
		"  1: 0100007F:1F90 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 1 2 0 0\n"
	assert.True(t, udpTableHas(table, ":1F90"))
	assert.False(t, udpTableHas(table, ":1F91"))
	assert.False(t, udpTableHas(table, ":0000"), "the remote address does not count")
}

func TestParentPID(t *testing.T) {
	n, ok := parentPID("42 (a (b) c) S 7 42 42 0")
	assert.True(t, ok)
	assert.Equal(t, 7, n)
	_, ok = parentPID("garbage")
	assert.False(t, ok)
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc")
	}
	kids, err := childPIDs(os.Getppid())
	require.NoError(t, err)
	assert.Contains(t, kids, os.Getpid())
}

// TestGetH3 probes a real HTTP/3 server of this process.
func TestGetH3(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := &http3.Server{Handler: http.HandlerFunc(hello),
		TLSConfig: http3.ConfigureTLSConfig(&tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}})}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(pc) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		assert.NoError(t, srv.Shutdown(ctx))
		select {
		case err := <-serveErr:
			assert.ErrorIs(t, err, http.ErrServerClosed)
		case <-time.After(5 * time.Second):
			t.Error("Serve did not return")
		}
		pc.Close()
	})
	addr := pc.LocalAddr().String()
	if _, err := os.Stat("/proc/net/udp"); err == nil {
		bound, err := udpBound(addr)
		require.NoError(t, err)
		assert.True(t, bound)
	}
	status, err := getH3(addr, 5*time.Second)
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, status)
}

func TestWriteSwapped(t *testing.T) {
	r := &benchRun{thr: map[caseKey]*outcome[throughput]{}}
	for _, k := range swappedCases() {
		r.thr[k] = &outcome[throughput]{}
	}
	sec := func(n int64, cpu time.Duration) throughput {
		return throughput{load: load{requests: n, elapsed: time.Second, p50: 100 * time.Microsecond, p99: time.Millisecond},
			cpuPerReq: cpu, frontCPUPerReq: 30 * time.Microsecond}
	}
	rawH3, kitH3 := caseKey{srvRawH3, h3quic, mainConns}, caseKey{srvKit, h3quic, mainConns}
	r.thr[rawH3].add(0, sec(1000, 20*time.Microsecond), nil)
	r.thr[kitH3].add(0, sec(900, 22*time.Microsecond), nil)
	r.thr[rawH3].add(1, sec(1000, 20*time.Microsecond), nil)
	r.thr[kitH3].add(1, sec(950, 21*time.Microsecond), nil)
	r.thr[caseKey{srvRawFCGI, fcgiNginx, mainConns}].add(0, throughput{}, errNoNginx)
	r.thr[caseKey{srvKit, fcgiNginx, mainConns}].add(0, throughput{}, errNoNginx)
	var b strings.Builder
	r.writeSwapped(func(format string, args ...any) { fmt.Fprintf(&b, format, args...) })
	out := b.String()
	assert.Contains(t, out, "| "+srvKit+" | "+h3quic+" | loadgen -proto h3 | 21.5 µs (21.0–22.0) |  | 925 (900–950) | "+
		"100 µs | 1000 µs | 1.075 (1.050–1.100) | 0.925 (0.900–0.950) **noisy** |")
	assert.Contains(t, out, "| "+srvRawH3+" | "+h3quic+" | loadgen -proto h3 | 20.0 µs (20.0–20.0) |  | 1000 (1000–1000) |")
	assert.Contains(t, out, "| "+srvRawFCGI+" | "+fcgiNginx+" | wrk | n/a: nginx not found")
}

func TestNoNginxSkipsFastCGI(t *testing.T) {
	s, err := loadSettings([]string{"-bin", t.TempDir(), "-nginx", filepath.Join(t.TempDir(), "no-nginx")})
	require.NoError(t, err)
	assert.Empty(t, s.nginx, "a missing -nginx counts as not found")
	r := &benchRun{s: s, thr: map[caseKey]*outcome[throughput]{}}
	k := caseKey{srvKit, fcgiNginx, mainConns}
	r.thr[k] = &outcome[throughput]{}
	r.throughputJob(0, job{fcgiNginx, []string{srvKit}, []int{mainConns}})
	require.Len(t, r.thr[k].errs, 1)
	assert.Equal(t, "n/a: nginx not found (Debian: apt-get install nginx-light)", r.thr[k].errs[0])
	assert.Equal(t, r.thr[k].errs[0], naWhy(r.thr[k].errs))
}
