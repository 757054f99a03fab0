package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/quic-go/quic-go/http3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// selfSigned makes a throw-away certificate for 127.0.0.1.
func selfSigned(t *testing.T) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// startH3 serves h over HTTP/3 on a UDP socket of 127.0.0.1 bound before
// it returns; the server stops, and Serve's error is checked, at cleanup.
func startH3(t *testing.T, h http.Handler) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := &http3.Server{
		Handler:   h,
		TLSConfig: http3.ConfigureTLSConfig(&tls.Config{Certificates: []tls.Certificate{selfSigned(t)}}),
	}
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
			t.Error("Serve did not return after Shutdown")
		}
		assert.NoError(t, pc.Close())
	})
	return pc.LocalAddr().String()
}

func TestLoadH3(t *testing.T) {
	addr := startH3(t, http.HandlerFunc(hello))
	o := options{proto: "h3", addr: addr, path: "/", conns: 2,
		dur: 300 * time.Millisecond, timeout: 5 * time.Second}
	res, err := load(context.Background(), o)
	require.NoError(t, err)
	assert.Positive(t, res.requests)
	assert.Zero(t, res.errors)
	assert.Zero(t, res.statusErrors)
	assert.LessOrEqual(t, res.p50, res.p99)
}

func TestLoadH3CountsNon200(t *testing.T) {
	addr := startH3(t, http.HandlerFunc(hello))
	o := options{proto: "h3", addr: addr, path: "/missing", conns: 1,
		dur: 100 * time.Millisecond, timeout: 5 * time.Second}
	res, err := load(context.Background(), o)
	require.NoError(t, err)
	assert.Equal(t, res.requests, res.statusErrors, "every answer was a 404")
}

func TestLoadH3NoServer(t *testing.T) {
	// A UDP port nobody reads: bound here, so it stays unused.
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = pc.Close() })
	o := options{proto: "h3", addr: pc.LocalAddr().String(), path: "/", conns: 1,
		dur: 200 * time.Millisecond, timeout: 100 * time.Millisecond}
	_, err = load(context.Background(), o)
	require.Error(t, err)
}

func TestRunRejectsH3Idle(t *testing.T) {
	err := run(options{mode: "idle", proto: "h3"})
	require.Error(t, err)
	err = run(options{mode: "load", proto: "h2"})
	require.Error(t, err)
}
