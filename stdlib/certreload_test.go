package stdlib

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/fsnotify/fsnotify"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-49a6713b/cherrygo/adapter/settings"
	"github.com/seed-49a6713b/cherrygo/internal/testcert"
)

// testPair is a self-signed certificate for 127.0.0.1 with a chosen serial,
// as PEM.
func testPair(t *testing.T, serial int64) (certPEM, keyPEM []byte) {
	return testcert.Pair(t, serial)
}

// replaceFile puts data at path the way deployment tools do: written
// beside it, then renamed over it.
func replaceFile(t *testing.T, path string, data []byte) {
	t.Helper()
	tmp := path + ".new"
	require.NoError(t, os.WriteFile(tmp, data, 0o600))
	require.NoError(t, os.Rename(tmp, path))
}

// records is a slog handler that hands every record to the test.
type records struct {
	mu   sync.Mutex
	all  []slog.Record
	more chan struct{} // a token after each record
}

func newRecords() *records { return &records{more: make(chan struct{}, 1024)} }

func (r *records) Enabled(context.Context, slog.Level) bool { return true }
func (r *records) WithAttrs([]slog.Attr) slog.Handler       { return r }
func (r *records) WithGroup(string) slog.Handler            { return r }
func (r *records) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	r.all = append(r.all, rec.Clone())
	r.mu.Unlock()
	select {
	case r.more <- struct{}{}:
	default:
	}
	return nil
}

// await waits until a record with msg has been logged since the n-th one
// and returns it with the count of records seen so far.
func (r *records) await(t *testing.T, n int, msg string) (slog.Record, int) {
	t.Helper()
	deadline := time.After(waitTimeout)
	for {
		r.mu.Lock()
		for i := n; i < len(r.all); i++ {
			if r.all[i].Message == msg {
				rec := r.all[i]
				r.mu.Unlock()
				return rec, i + 1
			}
		}
		r.mu.Unlock()
		select {
		case <-r.more:
		case <-deadline:
			t.Fatalf("no %q logged in %v", msg, waitTimeout)
		}
	}
}

func (r *records) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.all)
}

func attr(rec slog.Record, key string) string {
	var v string
	rec.Attrs(func(a slog.Attr) bool {
		if a.Key == key {
			v = a.Value.String()
			return false
		}
		return true
	})
	return v
}

// servedSerial makes a new TLS connection to addr and returns the serial
// of the certificate it was shown, with the connection (closed at cleanup).
func servedSerial(t *testing.T, addr string) (string, *tls.Conn) {
	t.Helper()
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: waitTimeout}, "tcp", addr, &tls.Config{
		InsecureSkipVerify: true, //nolint:gosec // self-signed test certificates
		NextProtos:         []string{"http/1.1"},
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return c.ConnectionState().PeerCertificates[0].SerialNumber.String(), c
}

// getOver sends GET / on an open HTTP/1.1 connection and returns the status.
func getOver(t *testing.T, c net.Conn) int {
	t.Helper()
	require.NoError(t, c.SetDeadline(time.Now().Add(waitTimeout)))
	_, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	require.NoError(t, err)
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp.StatusCode
}

// reloadServer starts a TLS server on a pair with serial 1 in a fresh
// directory and returns it, the file names and its log.
func reloadServer(t *testing.T) (srv *Server, certFile, keyFile string, log *records) {
	t.Helper()
	dir := shortDir(t)
	certFile, keyFile = filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	c, k := testPair(t, 1)
	require.NoError(t, os.WriteFile(certFile, c, 0o600))
	require.NoError(t, os.WriteFile(keyFile, k, 0o600))
	cfg := testConfig()
	cfg.SSLCertificate, cfg.SSLPrivateKey = certFile, keyFile
	log = newRecords()
	srv = newTestServer(t, cfg, hello, WithLogger(slog.New(log)))
	return srv, certFile, keyFile, log
}

func TestCertificateReloadedWhenTheFilesChange(t *testing.T) {
	srv, certFile, keyFile, log := reloadServer(t)
	addr := srv.Addr().String()
	serial, old := servedSerial(t, addr)
	require.Equal(t, "1", serial)

	seen := 0
	for _, next := range []int64{2, 3} {
		c, k := testPair(t, next)
		replaceFile(t, keyFile, k) // the key first: for a moment the pair does not match
		replaceFile(t, certFile, c)
		var rec slog.Record
		rec, seen = log.await(t, seen, "TLS certificate reloaded")
		assert.Equal(t, "file change", attr(rec, "trigger"))
		assert.Equal(t, big.NewInt(next).String(), attr(rec, "serial"))
		got, _ := servedSerial(t, addr)
		assert.Equal(t, big.NewInt(next).String(), got, "a new handshake after the reload")
	}
	// The connection made before keeps its certificate and goes on serving.
	assert.Equal(t, "1", old.ConnectionState().PeerCertificates[0].SerialNumber.String())
	assert.Equal(t, http.StatusOK, getOver(t, old))
}

func TestCertificateCorruptReplacementKeepsTheOldPair(t *testing.T) {
	srv, certFile, keyFile, log := reloadServer(t)
	addr := srv.Addr().String()

	cases := []struct {
		name string
		file func() (string, []byte)
	}{
		{"garbage certificate", func() (string, []byte) { return certFile, []byte("not a certificate\n") }},
		{"truncated key", func() (string, []byte) {
			_, k := testPair(t, 9)
			return keyFile, k[:len(k)/2]
		}},
		{"key of another certificate", func() (string, []byte) {
			_, k := testPair(t, 9)
			return keyFile, k
		}},
	}
	orig, err := os.ReadFile(certFile)
	require.NoError(t, err)
	origKey, err := os.ReadFile(keyFile)
	require.NoError(t, err)
	seen := 0
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path, data := tc.file()
			replaceFile(t, path, data)
			var rec slog.Record
			rec, seen = log.await(t, seen, "TLS certificate reload refused: still serving the previous certificate")
			if tc.name == "key of another certificate" {
				// The pair does not match: the certificate is named, with the key.
				assert.Equal(t, certFile, attr(rec, "file"))
				assert.Contains(t, attr(rec, "err"), keyFile)
			} else {
				assert.Equal(t, path, attr(rec, "file"), "the log names the file that is bad")
			}
			got, _ := servedSerial(t, addr)
			assert.Equal(t, "1", got, "the old pair is still served")

			err := srv.ReloadCertificate()
			var ce *settings.ConfigError
			require.ErrorAs(t, err, &ce, "ReloadCertificate reports the same problem")
			assert.Contains(t, err.Error(), filepath.Base(path))
			seen = log.count() // past ReloadCertificate's own warning

			replaceFile(t, certFile, orig) // put the good pair back for the next case
			replaceFile(t, keyFile, origKey)
		})
	}
}

func TestReloadCertificateWithChain(t *testing.T) {
	dir := shortDir(t)
	certFile, keyFile, chainFile := filepath.Join(dir, "c.pem"), filepath.Join(dir, "k.pem"), filepath.Join(dir, "chain.pem")
	c, k := testPair(t, 1)
	require.NoError(t, os.WriteFile(certFile, c, 0o600))
	require.NoError(t, os.WriteFile(keyFile, k, 0o600))
	extra1, _ := testPair(t, 100)
	require.NoError(t, os.WriteFile(chainFile, extra1, 0o600))
	cfg := testConfig()
	cfg.SSLCertificate, cfg.SSLPrivateKey, cfg.SSLCertificateChain = certFile, keyFile, chainFile
	srv := newTestServer(t, cfg, hello, WithLogger(testLogger(t)))

	chainLen := func() int {
		_, conn := servedSerial(t, srv.Addr().String())
		return len(conn.ConnectionState().PeerCertificates)
	}
	require.Equal(t, 2, chainLen())
	extra2, _ := testPair(t, 101)
	require.NoError(t, os.WriteFile(chainFile+".x", append(extra1, extra2...), 0o600))
	require.NoError(t, os.Rename(chainFile+".x", chainFile))
	require.NoError(t, srv.ReloadCertificate())
	assert.Equal(t, 3, chainLen(), "a new handshake carries the new chain")

	require.NoError(t, os.WriteFile(chainFile, []byte("junk"), 0o600))
	err := srv.ReloadCertificate()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "SERVER_SSL_CERTIFICATE_CHAIN")
	assert.Contains(t, err.Error(), chainFile)
	assert.Equal(t, 3, chainLen(), "the previous pair and chain stay")
}

func TestReloadCertificateUnchangedAndPlain(t *testing.T) {
	srv, _, _, log := reloadServer(t)
	n := log.count()
	require.NoError(t, srv.ReloadCertificate())
	_, _ = log.await(t, n, "TLS certificate unchanged")

	plain := newTestServer(t, testConfig(), hello)
	assert.NoError(t, plain.ReloadCertificate(), "a server without TLS has nothing to reload")
}

func TestCertificateWatchStopsWithTheServer(t *testing.T) {
	// After Stop the watch is gone (goleak in TestMain checks its
	// goroutine); a file change then reloads nothing until the next Start,
	// and ReloadCertificate still works while stopped.
	dir := shortDir(t)
	certFile, keyFile := filepath.Join(dir, "c.pem"), filepath.Join(dir, "k.pem")
	c, k := testPair(t, 1)
	require.NoError(t, os.WriteFile(certFile, c, 0o600))
	require.NoError(t, os.WriteFile(keyFile, k, 0o600))
	cfg := testConfig()
	cfg.SSLCertificate, cfg.SSLPrivateKey = certFile, keyFile
	srv, err := New(cfg, hello, WithLogger(testLogger(t)))
	require.NoError(t, err)
	for range 2 {
		done := make(chan error, 1)
		go func() { done <- srv.Start() }()
		select {
		case <-srv.Ready():
		case err := <-done:
			t.Fatal(err)
		case <-time.After(waitTimeout):
			t.Fatal("not ready")
		}
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		require.NoError(t, srv.Stop(ctx))
		cancel()
		require.NoError(t, <-done)
	}
	c2, k2 := testPair(t, 2)
	replaceFile(t, keyFile, k2)
	replaceFile(t, certFile, c2)
	require.NoError(t, srv.ReloadCertificate())
	assert.Equal(t, "2", srv.certs.current.Load().Leaf.SerialNumber.String())
}

// advance moves the clock of the synctest bubble it is called in by d:
// inside a bubble time.Sleep takes no real time, it is the bubble's clock
// (use it nowhere else).
func advance(d time.Duration) { time.Sleep(d) }

func TestDebouncerFiresOnceAfterABurst(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		events := make(chan fsnotify.Event)
		errs := make(chan error)
		stop := make(chan struct{})
		var fired, warned atomic.Int32
		d := debouncer{
			quiet:    certQuiet,
			relevant: func(ev fsnotify.Event) bool { return !strings.HasSuffix(ev.Name, ".swp") },
			fire:     func() { fired.Add(1) },
			warn:     func(error) { warned.Add(1) },
		}
		done := make(chan struct{})
		go func() { defer close(done); d.run(stop, events, errs) }()

		for range 5 { // a burst, each event within quiet of the last
			events <- fsnotify.Event{Name: "/d/tls.crt", Op: fsnotify.Write}
			advance(certQuiet / 2)
		}
		synctest.Wait()
		assert.EqualValues(t, 0, fired.Load(), "nothing fires while the files keep changing")
		advance(certQuiet)
		synctest.Wait()
		assert.EqualValues(t, 1, fired.Load(), "one reload once they are left alone")

		events <- fsnotify.Event{Name: "/d/.tls.crt.swp", Op: fsnotify.Write}
		advance(2 * certQuiet)
		synctest.Wait()
		assert.EqualValues(t, 1, fired.Load(), "an unrelated file changes nothing")

		errs <- errors.New("queue overflow")
		synctest.Wait()
		assert.EqualValues(t, 1, warned.Load())

		close(stop)
		<-done
	})
}

func TestTouchedBy(t *testing.T) {
	f := tlsFiles{cert: "/s/tls.crt", key: "/s/tls.key", chain: "/c/chain.pem"}
	for name, want := range map[string]bool{
		"/s/tls.crt":                   true,
		"/s/tls.key":                   true,
		"/c/chain.pem":                 true,
		"/s/..data":                    true, // a Kubernetes Secret volume swapping its data
		"/s/..2026_12_04_10_00_00.123": true,
		"/s/other.pem":                 false,
	} {
		assert.Equal(t, want, f.touchedBy(fsnotify.Event{Name: name}), name)
	}
	assert.ElementsMatch(t, []string{"/s", "/c"}, f.dirs())
}
