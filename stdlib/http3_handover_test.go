package stdlib

import (
	"context"
	"net"
	"net/http"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// socketPair binds a TCP listener and a UDP socket on the same loopback
// port, as systemd's ListenStream= and ListenDatagram= of one port do; both
// are closed at cleanup.
func socketPair(t *testing.T) (net.Listener, net.PacketConn) {
	t.Helper()
	for range 20 {
		l, err := net.Listen("tcp4", "127.0.0.1:0")
		require.NoError(t, err)
		pc, err := net.ListenPacket("udp4", l.Addr().String())
		if err == nil {
			t.Cleanup(func() { _ = l.Close(); _ = pc.Close() })
			return l, pc
		}
		_ = l.Close()
	}
	t.Fatal("no loopback port free over both TCP and UDP")
	return nil, nil
}

// udpTaken reports whether addr's UDP port cannot be bound (someone holds
// a descriptor of a socket bound to it).
func udpTaken(t *testing.T, addr string) bool {
	t.Helper()
	pc, err := net.ListenPacket("udp4", addr)
	if err == nil {
		_ = pc.Close()
		return false
	}
	require.ErrorIs(t, err, syscall.EADDRINUSE)
	return true
}

// ListenerFiles hands over the UDP socket of HTTP/3 after the TCP one; a
// server that was handed over (HandOver) closes its own UDP descriptor at
// Stop without waiting for the port, which the files keep bound.
func TestListenerFilesIncludeUDP(t *testing.T) {
	srv, err := New(h3Config(t), hello)
	require.NoError(t, err)
	done := runServer(t, srv)
	addr := srv.Addr().String()

	files, err := srv.ListenerFiles()
	require.NoError(t, err)
	require.Len(t, files, 2, "the TCP listener, then the UDP socket")
	defer closeFiles(files)
	l, err := net.FileListener(files[0])
	require.NoError(t, err)
	assert.Equal(t, addr, l.Addr().String())
	_ = l.Close()
	pc, err := net.FilePacketConn(files[1])
	require.NoError(t, err)
	assert.Equal(t, "udp", pc.LocalAddr().Network())
	assert.Equal(t, addr, pc.LocalAddr().String(), "the UDP socket of the same address and port")
	_ = pc.Close()

	srv.HandOver()
	assert.True(t, srv.Inherited())
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	require.NoError(t, srv.Stop(ctx))
	require.NoError(t, <-done)
	assert.True(t, udpTaken(t, addr), "the successor's descriptor keeps the UDP socket")
	closeFiles(files)
	assert.False(t, udpTaken(t, addr), "Stop closed this server's UDP descriptors")
}

// A server given its TCP and UDP sockets (WithListener, WithPacketConn)
// serves HTTP/3 on the UDP one at once, advertises it over TCP, binds
// nothing, and leaves both sockets to their owner at Stop.
func TestHTTP3OnGivenPacketConn(t *testing.T) {
	l, pc := socketPair(t)
	addr := l.Addr().String()
	cfg := h3Config(t)
	cfg.Port = 1 // ignored: the sockets are given
	srv, err := New(cfg, hello, WithListener(l), WithPacketConn(pc), WithLogger(testLogger(t)))
	require.NoError(t, err)
	for run := range 2 { // each run serves duplicates
		done := runServer(t, srv)
		assert.Equal(t, addr, srv.Addr().String())
		resp, body := readAll(t, h3Client(t, addr), "https://"+addr+"/")
		assert.Equal(t, "HTTP/3.0", resp.Proto, "run %d", run)
		assert.Equal(t, "hello", body)
		resp, _ = readAll(t, tlsClient(t), "https://"+addr+"/")
		assert.Equal(t, `h3=":`+strconv.Itoa(portOf(t, l.Addr()))+`"; ma=86400`, resp.Header.Get("Alt-Svc"))
		require.NoError(t, srv.Stop(context.Background()))
		require.NoError(t, <-done)
		assert.True(t, udpTaken(t, addr), "the given UDP socket stays open after Stop")
	}
	require.NoError(t, pc.Close())
	assert.False(t, udpTaken(t, addr), "Stop closed its duplicates")
}

// With WithHTTP3After, the given UDP socket is held but not served, and
// TCP responses carry no Alt-Svc, until the channel is closed; then
// HTTP/3 is served and advertised.
func TestHTTP3AfterWait(t *testing.T) {
	l, pc := socketPair(t)
	addr := l.Addr().String()
	wait := make(chan struct{})
	cfg := h3Config(t)
	// The early client's Initial packets wait in the socket buffer and
	// are answered once HTTP/3 is served: that connection, gone
	// mid-handshake, lasts until the drain's end.
	cfg.ShutdownTimeout = 500 * time.Millisecond
	srv, err := New(cfg, hello, WithOwnedListener(l), WithPacketConn(pc), WithHTTP3After(wait), WithLogger(testLogger(t)))
	require.NoError(t, err)
	done := runServer(t, srv)

	resp, body := readAll(t, tlsClient(t), "https://"+addr+"/")
	assert.Equal(t, "hello", body, "TCP is served while HTTP/3 waits")
	assert.Empty(t, resp.Header.Values("Alt-Svc"), "no HTTP/3 advertised while it waits")
	early := newH3Transport(t, addr, nil)
	_, err = (&http.Client{Transport: early, Timeout: waitTimeout}).Get("https://" + addr + "/")
	require.Error(t, err, "HTTP/3 is not served while it waits")
	_ = early.Close()

	close(wait)
	resp, body = readAll(t, h3Client(t, addr), "https://"+addr+"/")
	assert.Equal(t, "HTTP/3.0", resp.Proto)
	assert.Equal(t, "hello", body)
	resp, _ = readAll(t, tlsClient(t), "https://"+addr+"/")
	assert.Equal(t, `h3=":`+strconv.Itoa(portOf(t, l.Addr()))+`"; ma=86400`, resp.Header.Get("Alt-Svc"), "advertised once served")
	require.NoError(t, srv.Stop(context.Background()))
	require.NoError(t, <-done)
}

// A Stop while HTTP/3 waits returns at once (the channel is never
// closed), Start returns nil, and the run's UDP duplicate is closed.
func TestHTTP3StopWhileWaiting(t *testing.T) {
	l, pc := socketPair(t)
	addr := l.Addr().String()
	srv, err := New(h3Config(t), hello, WithListener(l), WithPacketConn(pc), WithHTTP3After(make(chan struct{})))
	require.NoError(t, err)
	done := runServer(t, srv)
	files, err := srv.ListenerFiles()
	require.NoError(t, err)
	assert.Len(t, files, 2, "a server that waits hands its UDP socket over too")
	closeFiles(files)

	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	start := time.Now()
	require.NoError(t, srv.Stop(ctx))
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(waitTimeout):
		t.Fatal("Start did not return after Stop")
	}
	assert.Less(t, time.Since(start), 2*time.Second, "Stop does not wait for the channel")
	require.NoError(t, pc.Close())
	assert.False(t, udpTaken(t, addr), "Stop closed the waiting run's UDP duplicate")
}

// Without WithPacketConn, a server given its TCP socket serves TCP only.
func TestHTTP3NotServedWithoutGivenPacketConn(t *testing.T) {
	l, pc := socketPair(t)
	_ = pc.Close()
	srv := newTestServer(t, h3Config(t), hello, WithListener(l))
	resp, body := readAll(t, tlsClient(t), "https://"+l.Addr().String()+"/")
	assert.Equal(t, "hello", body)
	assert.Empty(t, resp.Header.Values("Alt-Svc"))
	files, err := srv.ListenerFiles()
	require.NoError(t, err)
	assert.Len(t, files, 1)
	closeFiles(files)
}

// Handed over again while HTTP/3 still waits (a second upgrade during the
// first old process's drain), a server stops only once the channel is
// closed, within its drain: its successor waits for it alone.
func TestHTTP3HandedOverWhileWaiting(t *testing.T) {
	l, pc := socketPair(t)
	wait := make(chan struct{})
	srv, err := New(h3Config(t), hello, WithOwnedListener(l), WithPacketConn(pc), WithHTTP3After(wait))
	require.NoError(t, err)
	done := runServer(t, srv)
	srv.HandOver()
	stopped := stopAsync(srv)
	select {
	case err := <-stopped:
		t.Fatalf("Stop returned before the channel closed: %v", err)
	case <-time.After(100 * time.Millisecond): // a bounded look: still waiting
	}
	close(wait)
	select {
	case err := <-stopped:
		require.NoError(t, err)
	case <-time.After(waitTimeout):
		t.Fatal("Stop did not return once the channel closed")
	}
	require.NoError(t, <-done)
}
