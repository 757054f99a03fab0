package stdlib

import (
	"crypto/tls"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/seed-49a6713b/cherrygo/adapter"
	"github.com/seed-49a6713b/cherrygo/adapter/adaptertest"
)

// tcpHarness makes TCP servers on host (TLS ones when certFile is set).
func tcpHarness(name, host, certFile, keyFile string) adaptertest.Harness {
	newServer := func(t *testing.T, h http.Handler, port int) adapter.Server {
		t.Helper()
		cfg := testConfig()
		cfg.Host, cfg.Port = host, port
		cfg.SSLCertificate, cfg.SSLPrivateKey = certFile, keyFile
		srv, err := New(cfg, h)
		if err != nil {
			t.Fatalf("New: %v", err)
		}
		return srv
	}
	return adaptertest.Harness{
		Name: name,
		New:  func(t *testing.T, h http.Handler) adapter.Server { return newServer(t, h, 0) },
		NewAt: func(t *testing.T, h http.Handler, addr net.Addr) adapter.Server {
			_, port, _ := net.SplitHostPort(addr.String())
			p, _ := strconv.Atoi(port)
			return newServer(t, h, p)
		},
		HTTP2: certFile != "",
	}
}

func TestConformanceTCP4(t *testing.T) {
	adaptertest.RunConformanceTests(t, tcpHarness("tcp 127.0.0.1", "127.0.0.1", "", ""))
}

func TestConformanceTCP6(t *testing.T) {
	if !ipv6Loopback() {
		t.Skip("no IPv6 loopback here: cannot bind [::1]:0")
	}
	adaptertest.RunConformanceTests(t, tcpHarness("tcp ::1", "::1", "", ""))
}

func TestConformanceDualStack(t *testing.T) {
	h := tcpHarness("tcp dual-stack", "", "", "")
	v6 := ipv6Loopback()
	if !v6 {
		t.Log("no IPv6 loopback here: checking the IPv4 side only")
	}
	h.Targets = func(addr net.Addr) []string {
		_, port, _ := net.SplitHostPort(addr.String())
		targets := []string{net.JoinHostPort("127.0.0.1", port)}
		if v6 {
			targets = append(targets, net.JoinHostPort("::1", port))
		}
		return targets
	}
	adaptertest.RunConformanceTests(t, h)
}

func TestConformanceTLS(t *testing.T) {
	certFile, keyFile := certFiles(t, shortDir(t))
	h := tcpHarness("tls 127.0.0.1", "127.0.0.1", certFile, keyFile)
	h.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // self-signed test certificate
	adaptertest.RunConformanceTests(t, h)
}

func TestConformanceUnix(t *testing.T) {
	newServer := func(t *testing.T, h http.Handler, path string) adapter.Server {
		t.Helper()
		cfg := testConfig()
		cfg.SocketFile = path
		srv, err := New(cfg, h)
		if err != nil {
			t.Fatalf("New: %v", err)
		}
		return srv
	}
	adaptertest.RunConformanceTests(t, adaptertest.Harness{
		Name: "unix",
		New: func(t *testing.T, h http.Handler) adapter.Server {
			return newServer(t, h, filepath.Join(shortDir(t), "s.sock"))
		},
		NewAt: func(t *testing.T, h http.Handler, addr net.Addr) adapter.Server {
			return newServer(t, h, addr.String())
		},
	})
}
