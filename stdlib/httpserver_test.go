package stdlib

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-49a6713b/cherrygo/adapter"
	"github.com/seed-49a6713b/cherrygo/adapter/adaptertest"
	"github.com/seed-49a6713b/cherrygo/internal/testwait"
)

func httpServerHarness(name string, tlsConfig *tls.Config) adaptertest.Harness {
	newAt := func(_ *testing.T, h http.Handler, addr string) adapter.Server {
		return NewHTTPServer(&http.Server{Addr: addr, Handler: h, TLSConfig: tlsConfig, ReadHeaderTimeout: 10 * time.Second})
	}
	return adaptertest.Harness{
		Name:  name,
		New:   func(t *testing.T, h http.Handler) adapter.Server { return newAt(t, h, "127.0.0.1:0") },
		NewAt: func(t *testing.T, h http.Handler, addr net.Addr) adapter.Server { return newAt(t, h, addr.String()) },
		HTTP2: tlsConfig != nil,
	}
}

func TestConformanceHTTPServer(t *testing.T) {
	adaptertest.RunConformanceTests(t, httpServerHarness("http.Server", nil))
}

func TestConformanceHTTPServerTLS(t *testing.T) {
	certFile, keyFile := certFiles(t, shortDir(t))
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	require.NoError(t, err)
	h := httpServerHarness("http.Server TLS", &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12})
	h.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // self-signed test certificate
	adaptertest.RunConformanceTests(t, h)
}

// startHTTPServer starts s and stops it at the end of the test.
func startHTTPServer(t *testing.T, s *HTTPServer) chan error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- s.Start() }()
	select {
	case <-s.Ready():
	case err := <-done:
		t.Fatalf("Start: %v", err)
	case <-time.After(testwait.Timeout):
		t.Fatal("not ready")
	}
	t.Cleanup(func() {
		_ = s.Stop(context.Background())
	})
	return done
}

func TestHTTPServerServesAndRestarts(t *testing.T) {
	var states []http.ConnState
	stateSeen := make(chan struct{}, 16)
	s := NewHTTPServer(&http.Server{
		Addr: "127.0.0.1:0",
		Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			io.WriteString(w, "mine")
		}),
		ConnState: func(_ net.Conn, st http.ConnState) {
			if st == http.StateNew {
				states = append(states, st)
				stateSeen <- struct{}{}
			}
		},
	})
	assert.False(t, s.IsTLS())
	assert.Nil(t, s.Addr())
	for round := range 2 {
		done := startHTTPServer(t, s)
		addr := s.Addr().String()
		resp, err := http.Get("http://" + addr + "/")
		require.NoError(t, err, "round %d", round)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		assert.Equal(t, "mine", string(body))
		testwait.Receive(t, stateSeen, "the caller's ConnState")
		require.NoError(t, s.Stop(context.Background()))
		require.NoError(t, testwait.Receive(t, done, "Start returning"))
		assert.Nil(t, s.Addr())
		ln, err := net.Listen("tcp", addr) // the port is free the moment Stop returns
		require.NoError(t, err, "round %d", round)
		ln.Close()
	}
	assert.Len(t, states, 2)
}

func TestHTTPServerBindFailureNamesTheAddress(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	s := NewHTTPServer(&http.Server{Addr: ln.Addr().String()})
	err = s.Start()
	require.ErrorIs(t, err, syscall.EADDRINUSE)
	assert.Contains(t, err.Error(), ln.Addr().String())
	require.NoError(t, s.Stop(context.Background()), "Stop after a failed Start")
}

func TestHTTPServerStopCutsOffWhatDoesNotDrain(t *testing.T) {
	entered := make(chan struct{}, 1)
	release := make(chan struct{})
	defer close(release)
	s := NewHTTPServer(&http.Server{
		Addr: "127.0.0.1:0",
		Handler: http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
			entered <- struct{}{}
			<-release
		}),
	})
	done := startHTTPServer(t, s)
	got := make(chan error, 1)
	go func() {
		resp, err := http.Get("http://" + s.Addr().String() + "/")
		if err == nil {
			resp.Body.Close()
		}
		got <- err
	}()
	testwait.Receive(t, entered, "the request in the handler")
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err := s.Stop(ctx)
	var cut *adapter.CutOffError
	require.ErrorAs(t, err, &cut)
	assert.Equal(t, 1, cut.Conns)
	assert.True(t, errors.Is(err, context.DeadlineExceeded))
	require.NoError(t, testwait.Receive(t, done, "Start returning"))
	clientErr := testwait.Receive(t, got, "the client")
	require.Error(t, clientErr)
	assert.False(t, strings.Contains(clientErr.Error(), "refused"), clientErr.Error())
}

func TestHTTPServerStopBeforeStart(t *testing.T) {
	s := NewHTTPServer(&http.Server{Addr: "127.0.0.1:0"})
	require.NoError(t, s.Stop(context.Background()))
	require.NoError(t, s.Stop(context.Background()))
}

func TestHTTPServerTLSOffersHTTP2(t *testing.T) {
	certFile, keyFile := certFiles(t, shortDir(t))
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	require.NoError(t, err)
	s := NewHTTPServer(&http.Server{
		Addr:      "127.0.0.1:0",
		Handler:   http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, r.Proto) }),
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12},
	})
	require.True(t, s.IsTLS())
	startHTTPServer(t, s)
	tr := &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, ForceAttemptHTTP2: true} //nolint:gosec // self-signed test certificate
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Get("https://" + s.Addr().String() + "/")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, "HTTP/2.0", string(body))
}

// A TLSConfig without a certificate does not make the server speak TLS.
func TestHTTPServerTLSConfigWithoutCertificateIsPlain(t *testing.T) {
	s := NewHTTPServer(&http.Server{
		Addr:      "127.0.0.1:0",
		Handler:   http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "plain") }),
		TLSConfig: &tls.Config{MinVersion: tls.VersionTLS13},
	})
	require.False(t, s.IsTLS())
	startHTTPServer(t, s)
	resp, err := http.Get("http://" + s.Addr().String() + "/")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, "plain", string(body))
}
