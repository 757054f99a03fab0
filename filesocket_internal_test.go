package cherrygo

import (
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-49a6713b/cherrygo/adapter/settings"
)

type filer interface{ File() (*os.File, error) }

func fileOf(t *testing.T, s filer) *os.File {
	t.Helper()
	f, err := s.File()
	require.NoError(t, err)
	t.Cleanup(func() { _ = f.Close() })
	return f
}

// A passed descriptor is a listener when it is a listening stream socket,
// a packet conn when it is a UDP socket, and an error otherwise.
func TestFileSocket(t *testing.T) {
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	got, pc, err := fileSocket(fileOf(t, l.(filer)))
	require.NoError(t, err)
	assert.Nil(t, pc)
	assert.Equal(t, l.Addr().String(), got.Addr().String())
	_ = got.Close()

	u, err := net.ListenPacket("udp4", "127.0.0.1:0")
	require.NoError(t, err)
	defer u.Close()
	got, pc, err = fileSocket(fileOf(t, u.(filer)))
	require.NoError(t, err)
	assert.Nil(t, got)
	assert.Equal(t, u.LocalAddr().String(), pc.LocalAddr().String())
	_ = pc.Close()

	ug, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: filepath.Join(t.TempDir(), "g.sock"), Net: "unixgram"})
	require.NoError(t, err)
	defer ug.Close()
	_, _, err = fileSocket(fileOf(t, ug))
	assert.ErrorContains(t, err, "a unixgram datagram socket: only a UDP one (for HTTP/3) is served")

	f, err := os.CreateTemp(t.TempDir(), "plain")
	require.NoError(t, err)
	defer f.Close()
	_, _, err = fileSocket(f)
	assert.ErrorContains(t, err, "not a socket")
	assert.ErrorIs(t, err, syscall.ENOTSOCK)
}

// A handed UDP socket is the server's when its port is the configured one
// (any for port 0), as for TCP.
func TestSameAddressUDP(t *testing.T) {
	cfg := settings.Config{Port: 8443}
	assert.True(t, sameAddress(cfg, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8443}))
	assert.True(t, sameAddress(cfg, &net.TCPAddr{IP: net.IPv6unspecified, Port: 8443}))
	assert.False(t, sameAddress(cfg, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8444}))
	assert.True(t, sameAddress(settings.Config{}, &net.UDPAddr{Port: 40000}), "port 0: any")
	assert.False(t, sameAddress(settings.Config{SocketFile: "/run/x.sock"}, &net.UDPAddr{Port: 40000}))
}
