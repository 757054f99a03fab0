package stdlib

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-49a6713b/cherrygo/adapter/settings"
)

// FastCGI record types used by the test client (with fcgiBeginRequest,
// fcgiEndRequest and fcgiStdin from fastcgi.go).
const (
	fcgiParams = 4
	fcgiStdout = 6
)

// fcgiRecord writes one FastCGI record.
func fcgiRecord(w io.Writer, typ uint8, id uint16, content []byte) error {
	hdr := []byte{1, typ, byte(id >> 8), byte(id), byte(len(content) >> 8), byte(len(content)), 0, 0}
	if _, err := w.Write(hdr); err != nil {
		return err
	}
	_, err := w.Write(content)
	return err
}

// fcgiPair encodes one name-value pair (names and values under 128 bytes).
func fcgiPair(b *bytes.Buffer, name, value string) {
	b.WriteByte(byte(len(name)))
	b.WriteByte(byte(len(value)))
	b.WriteString(name)
	b.WriteString(value)
}

// fcgiGet sends a GET for path as request id on c, keeping the connection,
// and returns the CGI response (headers and body) it gets back.
func fcgiGet(c net.Conn, id uint16, path string) (string, error) {
	if err := fcgiRecord(c, fcgiBeginRequest, id, []byte{0, 1, 1, 0, 0, 0, 0, 0}); err != nil {
		return "", err
	}
	var params bytes.Buffer
	for _, kv := range [][2]string{
		{"REQUEST_METHOD", "GET"}, {"REQUEST_URI", path}, {"SERVER_PROTOCOL", "HTTP/1.1"},
		{"HTTP_HOST", "backend"}, {"SCRIPT_NAME", ""}, {"PATH_INFO", path},
	} {
		fcgiPair(&params, kv[0], kv[1])
	}
	for _, rec := range []struct {
		typ     uint8
		content []byte
	}{{fcgiParams, params.Bytes()}, {fcgiParams, nil}, {fcgiStdin, nil}} {
		if err := fcgiRecord(c, rec.typ, id, rec.content); err != nil {
			return "", err
		}
	}
	br := bufio.NewReader(c)
	var out strings.Builder
	for {
		var hdr [8]byte
		if _, err := io.ReadFull(br, hdr[:]); err != nil {
			return out.String(), err
		}
		n, pad := binary.BigEndian.Uint16(hdr[4:6]), int(hdr[6])
		content := make([]byte, int(n)+pad)
		if _, err := io.ReadFull(br, content); err != nil {
			return out.String(), err
		}
		switch hdr[1] {
		case fcgiStdout:
			out.Write(content[:n])
		case fcgiEndRequest:
			return out.String(), nil
		}
	}
}

func fcgiServer(t *testing.T, cfg settings.Config, h http.Handler) *Server {
	t.Helper()
	return newTestServer(t, cfg, h, WithFastCGI())
}

func TestFastCGIServes(t *testing.T) {
	tcp := fcgiServer(t, testConfig(), hello)
	unixPath := filepath.Join(shortDir(t), "f.sock")
	unix := fcgiServer(t, unixConfig(unixPath), hello)
	for _, srv := range []*Server{tcp, unix} {
		addr := srv.Addr()
		c := dial(t, addr.Network(), addr.String())
		for id := uint16(1); id <= 2; id++ { // two requests on one kept connection
			resp, err := fcgiGet(c, id, "/")
			require.NoError(t, err, addr.String())
			assert.True(t, strings.HasSuffix(resp, "\r\n\r\nhello"), "response %q", resp)
		}
	}
}

func TestFastCGIStop(t *testing.T) {
	entered, release := make(chan struct{}, 1), make(chan struct{})
	slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			entered <- struct{}{}
			<-release
		}
		_, _ = io.WriteString(w, "done")
	})
	srv, err := New(testConfig(), slow, WithFastCGI())
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- srv.Start() }()
	t.Cleanup(func() { _ = srv.Stop(context.Background()) }) // on failure paths
	<-srv.Ready()
	addr := srv.Addr().String()

	idle := dial(t, "tcp", addr) // a kept connection, idle after one request
	_, err = fcgiGet(idle, 1, "/")
	require.NoError(t, err)
	busy := dial(t, "tcp", addr)
	got := make(chan string, 1)
	go func() {
		resp, err := fcgiGet(busy, 1, "/slow")
		if err != nil {
			resp = "error: " + err.Error()
		}
		got <- resp
	}()
	select {
	case <-entered:
	case <-time.After(waitTimeout):
		t.Fatal("the slow request did not arrive")
	}

	stopped := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		stopped <- srv.Stop(ctx)
	}()
	select {
	case err := <-stopped:
		t.Fatalf("Stop returned (%v) while a request was in flight", err)
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	assert.True(t, strings.HasSuffix(<-got, "done"), "the in-flight request is answered")
	select {
	case err := <-stopped:
		assert.NoError(t, err)
	case <-time.After(waitTimeout):
		t.Fatal("Stop did not return once the request was done")
	}
	require.NoError(t, <-done)
	// The idle connection was closed, and the port is free.
	_ = idle.SetReadDeadline(time.Now().Add(waitTimeout))
	_, err = idle.Read(make([]byte, 1))
	var ne net.Error
	assert.False(t, errors.As(err, &ne) && ne.Timeout(), "idle connection still open: %v", err)
	l, err := net.Listen("tcp", addr)
	require.NoError(t, err)
	_ = l.Close()
}

func TestFastCGIRefusesTLS(t *testing.T) {
	cfg := testConfig()
	cfg.SSLCertificate, cfg.SSLPrivateKey = "c.pem", "k.pem"
	_, err := New(cfg, hello, WithFastCGI())
	assert.ErrorIs(t, err, errFastCGITLS)
}

func TestFastCGICyclesLeaveNothing(t *testing.T) {
	srv, err := New(unixConfig(filepath.Join(shortDir(t), "f.sock")), hello, WithFastCGI())
	require.NoError(t, err)
	cycle := func(i int) {
		done := make(chan error, 1)
		go func() { done <- srv.Start() }()
		select {
		case <-srv.Ready():
		case err := <-done:
			t.Fatalf("cycle %d: Start: %v", i, err)
		}
		if i%20 == 0 {
			addr := srv.Addr()
			c, err := net.Dial(addr.Network(), addr.String())
			require.NoError(t, err)
			_, err = fcgiGet(c, 1, "/")
			require.NoError(t, err)
			_ = c.Close()
		}
		require.NoError(t, srv.Stop(context.Background()))
		require.NoError(t, <-done)
	}
	cycle(0)
	before := countOpenFDs(t)
	for i := 1; i <= 200; i++ {
		cycle(i)
	}
	assert.LessOrEqual(t, countOpenFDs(t), before+3)
}

// The record scanner finds every header, however the stream is cut.
func TestFastCGIRecordScanner(t *testing.T) {
	var stream bytes.Buffer
	type rec struct {
		typ uint8
		id  uint16
	}
	want := []rec{{fcgiBeginRequest, 1}, {fcgiParams, 1}, {fcgiStdin, 1}, {fcgiStdout, 1}, {fcgiEndRequest, 1}, {fcgiBeginRequest, 258}}
	for i, r := range want {
		content := bytes.Repeat([]byte{byte(i)}, i*3) // 0, 3, 6, … bytes
		require.NoError(t, fcgiRecord(&stream, r.typ, r.id, content))
		if i == 2 { // a record with padding
			stream.Bytes()[stream.Len()-len(content)-2] = 5
			stream.Write(make([]byte, 5))
		}
	}
	for _, size := range []int{1, 2, 3, 7, 8, 9, 64, stream.Len()} {
		var s recordScanner
		var got []rec
		b := stream.Bytes()
		for len(b) > 0 {
			n := min(size, len(b))
			s.scan(b[:n], func(typ uint8, id uint16, _ int) { got = append(got, rec{typ, id}) })
			b = b[n:]
		}
		assert.Equal(t, want, got, "pieces of %d bytes", size)
	}
}

// A request is in flight from its BEGIN_REQUEST until its END_REQUEST is
// written, or its connection closes.
func TestFastCGIInFlightUntilEndRequest(t *testing.T) {
	isIdle := func(f *fcgiRequests) bool { return f.inFlight() == 0 }
	var reqs fcgiRequests
	peer, mine := net.Pipe()
	defer peer.Close()
	c := &fcgiConn{Conn: mine, reqs: &reqs}
	go func() {
		_ = fcgiRecord(peer, fcgiBeginRequest, 7, []byte{0, 1, 1, 0, 0, 0, 0, 0})
		_ = fcgiRecord(peer, fcgiBeginRequest, 8, []byte{0, 1, 1, 0, 0, 0, 0, 0})
		_, _ = io.Copy(io.Discard, peer)
	}()
	buf := make([]byte, 32)
	_, err := io.ReadFull(c, buf)
	require.NoError(t, err)
	assert.False(t, isIdle(&reqs), "two requests begun")

	require.NoError(t, fcgiRecord(c, fcgiStdout, 7, []byte("hello")))
	require.NoError(t, fcgiRecord(c, fcgiEndRequest, 7, make([]byte, 8)))
	assert.False(t, isIdle(&reqs), "request 8 has not ended")
	require.NoError(t, c.Close())
	assert.True(t, isIdle(&reqs), "closing the connection drops request 8")

	reqs.wrap(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		assert.False(t, isIdle(&reqs), "a running handler is in flight")
	})).ServeHTTP(nil, nil)
	assert.True(t, isIdle(&reqs))
}
