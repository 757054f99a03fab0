package stdlib

import (
	"context"
	"encoding/pem"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/seed-49a6713b/cherrygo/adapter/settings"
	"github.com/seed-49a6713b/cherrygo/internal/testcert"
)

// testConfig is the documented defaults with an ephemeral loopback port.
func testConfig() settings.Config {
	cfg := settings.Default()
	cfg.Host, cfg.Port = "127.0.0.1", 0 // tests bind loopback only
	return cfg
}

// shortDir returns a fresh directory with a short path (unix socket paths
// are limited to 107 bytes, and t.TempDir's names can be long).
func shortDir(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "cg")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	return dir
}

// certFiles writes a fresh self-signed ECDSA P-256 certificate for
// localhost, 127.0.0.1 and ::1 and its key into dir.
func certFiles(t testing.TB, dir string) (certFile, keyFile string) {
	t.Helper()
	c, k := testcert.Pair(t, time.Now().UnixNano())
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	for name, data := range map[string][]byte{certFile: c, keyFile: k} {
		if err := os.WriteFile(name, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return certFile, keyFile
}

func writePEM(t testing.TB, path, kind string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// ipv6Loopback reports whether [::1] can be bound here.
func ipv6Loopback() bool {
	l, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		return false
	}
	_ = l.Close()
	return true
}

// hello answers "hello".
var hello = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
	_, _ = w.Write([]byte("hello"))
})

// waitTimeout bounds every wait on an event in these tests.
const waitTimeout = 10 * time.Second

// startServer runs srv.Start in a goroutine, waits until it is ready and
// registers a cleanup that stops it and waits for Start to return.
func startServer(t *testing.T, srv *Server) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- srv.Start() }()
	select {
	case <-srv.Ready():
	case err := <-done:
		t.Fatalf("Start returned before Ready: %v", err)
	case <-time.After(waitTimeout):
		t.Fatal("not ready in time")
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		if err := srv.Stop(ctx); err != nil {
			t.Errorf("Stop: %v", err)
		}
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Start returned %v after Stop", err)
			}
		case <-time.After(waitTimeout):
			t.Error("Start did not return after Stop")
		}
	})
}

// newTestServer builds a server from cfg and starts it.
func newTestServer(t *testing.T, cfg settings.Config, h http.Handler, opts ...Option) *Server {
	t.Helper()
	srv, err := New(cfg, h, opts...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	startServer(t, srv)
	return srv
}

// baseURL is http://addr of a started TCP server.
func baseURL(srv *Server) string {
	return "http://" + srv.Addr().String()
}

// newClient returns a client whose idle connections close at cleanup.
func newClient(t *testing.T, tr *http.Transport) *http.Client {
	t.Helper()
	if tr == nil {
		tr = &http.Transport{}
	}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: waitTimeout}
}

// dial opens a raw connection closed at cleanup.
func dial(t *testing.T, network, addr string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout(network, addr, waitTimeout)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// testLogger logs to t.
func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type tWriter struct{ t *testing.T }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// countOpenFDs counts this process's open descriptors (skips off Linux).
func countOpenFDs(t *testing.T) int {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd here")
	}
	return len(entries)
}
