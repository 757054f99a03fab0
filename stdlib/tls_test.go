package stdlib

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"io/fs"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-49a6713b/cherrygo/adapter/settings"
)

func TestTLSConfigErrors(t *testing.T) {
	dir := shortDir(t)
	certFile, keyFile := certFiles(t, dir)
	other := filepath.Join(dir, "other")
	require.NoError(t, os.Mkdir(other, 0o700))
	_, otherKey := certFiles(t, other)
	notPEM := filepath.Join(dir, "not.pem")
	require.NoError(t, os.WriteFile(notPEM, []byte("hello"), 0o600))
	missing := filepath.Join(dir, "missing.pem")

	tests := []struct {
		name             string
		cert, key, chain string
		wantVar, wantVal string
		wantErr          error
	}{
		{"missing certificate", missing, keyFile, "", "SERVER_SSL_CERTIFICATE", missing, fs.ErrNotExist},
		{"certificate not PEM", notPEM, keyFile, "", "SERVER_SSL_CERTIFICATE", notPEM, errNoPEM},
		{"missing key", certFile, missing, "", "SERVER_SSL_PRIVATE_KEY", missing, fs.ErrNotExist},
		{"key not PEM", certFile, notPEM, "", "SERVER_SSL_PRIVATE_KEY", notPEM, errNoPEM},
		{"key of another certificate", certFile, otherKey, "", "SERVER_SSL_CERTIFICATE", certFile, nil},
		{"missing chain", certFile, keyFile, missing, "SERVER_SSL_CERTIFICATE_CHAIN", missing, fs.ErrNotExist},
		// One of the pair alone is caught by settings.Config.Validate, which
		// names the variable that is set.
		{"key without certificate", "", keyFile, "", "SERVER_SSL_PRIVATE_KEY", keyFile, nil},
		{"certificate without key", certFile, "", "", "SERVER_SSL_CERTIFICATE", certFile, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig()
			cfg.SSLCertificate, cfg.SSLPrivateKey, cfg.SSLCertificateChain = tt.cert, tt.key, tt.chain
			srv, err := New(cfg, hello)
			require.Error(t, err)
			assert.Nil(t, srv)
			var ce *settings.ConfigError
			require.ErrorAs(t, err, &ce)
			require.Len(t, ce.Problems, 1, err.Error())
			assert.Equal(t, tt.wantVar, ce.Problems[0].Var)
			assert.Equal(t, tt.wantVal, ce.Problems[0].Value)
			if tt.wantVal != "" {
				assert.Contains(t, err.Error(), tt.wantVal, "the error names the file")
			}
			if tt.wantErr != nil {
				assert.ErrorIs(t, err, tt.wantErr)
			}
		})
	}
}

func TestTLSBothFilesBadReportedTogether(t *testing.T) {
	cfg := testConfig()
	cfg.Name = "api"
	cfg.SSLCertificate, cfg.SSLPrivateKey = "/nonexistent/c.pem", "/nonexistent/k.pem"
	_, err := New(cfg, hello)
	var ce *settings.ConfigError
	require.ErrorAs(t, err, &ce)
	require.Len(t, ce.Problems, 2)
	assert.Equal(t, "SERVER_API_SSL_CERTIFICATE", ce.Problems[0].Var)
	assert.Equal(t, "SERVER_API_SSL_PRIVATE_KEY", ce.Problems[1].Var)
}

// tlsServer starts a TLS server on 127.0.0.1 with a fresh certificate.
func tlsServer(t *testing.T, mutate func(*settings.Config)) *Server {
	t.Helper()
	cfg := testConfig()
	cfg.SSLCertificate, cfg.SSLPrivateKey = certFiles(t, shortDir(t))
	if mutate != nil {
		mutate(&cfg)
	}
	srv := newTestServer(t, cfg, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, r.Proto)
	}))
	require.True(t, srv.IsTLS())
	return srv
}

func tlsGet(t *testing.T, srv *Server, h2 bool) (proto string) {
	t.Helper()
	c := newClient(t, &http.Transport{
		TLSClientConfig:   &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // self-signed test certificate
		ForceAttemptHTTP2: h2,
	})
	resp, err := c.Get("https://" + addrString(srv) + "/")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	assert.Equal(t, resp.Proto, string(body))
	return resp.Proto
}

func TestTLSNegotiatesHTTP2(t *testing.T) {
	srv := tlsServer(t, nil)
	assert.Equal(t, "HTTP/2.0", tlsGet(t, srv, true))
	assert.Equal(t, "HTTP/1.1", tlsGet(t, srv, false))

	off := tlsServer(t, func(c *settings.Config) { c.HTTP2 = false })
	assert.Equal(t, "HTTP/1.1", tlsGet(t, off, true))
}

func TestTLSRefusesOldVersions(t *testing.T) {
	srv := tlsServer(t, nil)
	for _, v := range []uint16{tls.VersionTLS10, tls.VersionTLS11} {
		c, err := tls.DialWithDialer(&net.Dialer{Timeout: waitTimeout}, "tcp", addrString(srv), &tls.Config{
			InsecureSkipVerify: true, //nolint:gosec // self-signed test certificate
			MinVersion:         v,
			MaxVersion:         v,
		})
		if err == nil {
			_ = c.Close()
		}
		assert.Error(t, err, "a TLS %x handshake succeeded", v)
	}
}

func TestPlainHTTPToTLSPort(t *testing.T) {
	srv := tlsServer(t, nil)
	resp, err := newClient(t, nil).Get("http://" + addrString(srv) + "/")
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
}

func TestTLSChainAppended(t *testing.T) {
	dir := shortDir(t)
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "test intermediate"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	require.NoError(t, err)
	ca, err := x509.ParseCertificate(caDER)
	require.NoError(t, err)
	leafKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	leafTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "leaf"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTmpl, ca, &leafKey.PublicKey, caKey)
	require.NoError(t, err)
	leafKeyDER, err := x509.MarshalPKCS8PrivateKey(leafKey)
	require.NoError(t, err)
	certFile, keyFile, chainFile := filepath.Join(dir, "leaf.pem"), filepath.Join(dir, "key.pem"), filepath.Join(dir, "chain.pem")
	writePEM(t, certFile, "CERTIFICATE", leafDER)
	writePEM(t, keyFile, "PRIVATE KEY", leafKeyDER)
	writePEM(t, chainFile, "CERTIFICATE", caDER)

	cfg := testConfig()
	cfg.SSLCertificate, cfg.SSLPrivateKey, cfg.SSLCertificateChain = certFile, keyFile, chainFile
	srv := newTestServer(t, cfg, hello)
	c, err := tls.Dial("tcp", addrString(srv), &tls.Config{InsecureSkipVerify: true}) //nolint:gosec // inspected below
	require.NoError(t, err)
	defer c.Close()
	chain := c.ConnectionState().PeerCertificates
	require.Len(t, chain, 2, "leaf and intermediate")
	assert.Equal(t, "leaf", chain[0].Subject.CommonName)
	assert.Equal(t, "test intermediate", chain[1].Subject.CommonName)
}
