package stdlib

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/seed-49a6713b/cherrygo/adapter/settings"
	"github.com/seed-49a6713b/cherrygo/gateway/gatewaytest"
)

// gatewayHarness serves the gateway conformance suite's handlers on the
// backend cfg makes: TCP, a unix socket (cfg.SocketFile) or TLS; with h2c,
// TCP with unencrypted HTTP/2, which the client then speaks.
func gatewayHarness(mkConfig func(t *testing.T) settings.Config, h2c bool) gatewaytest.Harness {
	return gatewaytest.Harness{Serve: func(t *testing.T, h http.Handler) gatewaytest.Target {
		t.Helper()
		cfg := mkConfig(t)
		var opts []Option
		if h2c {
			opts = append(opts, WithUnencryptedHTTP2())
		}
		srv := newTestServer(t, cfg, h, opts...)
		tr := &http.Transport{ForceAttemptHTTP2: true}
		if h2c {
			var protocols http.Protocols
			protocols.SetUnencryptedHTTP2(true)
			tr.Protocols = &protocols
		}
		var (
			url  string
			dial func(ctx context.Context) (net.Conn, error)
		)
		switch {
		case cfg.SocketFile != "":
			path := cfg.SocketFile
			tr.DialContext = func(ctx context.Context, _, _ string) (net.Conn, error) {
				var d net.Dialer
				return d.DialContext(ctx, "unix", path)
			}
			url = "http://backend"
			dial = func(ctx context.Context) (net.Conn, error) { return tr.DialContext(ctx, "", "") }
		case cfg.SSLCertificate != "":
			addr := srv.Addr().String()
			tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // self-signed test certificate
			url = "https://" + addr
			dial = func(ctx context.Context) (net.Conn, error) {
				d := tls.Dialer{Config: &tls.Config{InsecureSkipVerify: true, NextProtos: []string{"http/1.1"}}} //nolint:gosec // test
				return d.DialContext(ctx, "tcp", addr)
			}
		default:
			url = "http://" + srv.Addr().String()
		}
		t.Cleanup(tr.CloseIdleConnections)
		return gatewaytest.Target{URL: url, Client: &http.Client{Transport: tr}, Dial: dial}
	}}
}

func TestGatewayConformanceTCP(t *testing.T) {
	gatewaytest.RunConformanceTests(t, gatewayHarness(func(*testing.T) settings.Config { return testConfig() }, false))
}

func TestGatewayConformanceUnix(t *testing.T) {
	gatewaytest.RunConformanceTests(t, gatewayHarness(func(t *testing.T) settings.Config {
		cfg := testConfig()
		cfg.SocketFile = filepath.Join(shortDir(t), "s.sock")
		return cfg
	}, false))
}

func TestGatewayConformanceTLS(t *testing.T) {
	certFile, keyFile := certFiles(t, shortDir(t))
	gatewaytest.RunConformanceTests(t, gatewayHarness(func(*testing.T) settings.Config {
		cfg := testConfig()
		cfg.SSLCertificate, cfg.SSLPrivateKey = certFile, keyFile
		return cfg
	}, false))
}

func TestGatewayConformanceH2C(t *testing.T) {
	gatewaytest.RunConformanceTests(t, gatewayHarness(func(*testing.T) settings.Config { return testConfig() }, true))
}
