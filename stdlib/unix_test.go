package stdlib

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-49a6713b/cherrygo/adapter/settings"
)

func unixConfig(path string) settings.Config {
	cfg := testConfig()
	cfg.SocketFile = path
	return cfg
}

// unixGet fetches / through the socket at path.
func unixGet(t *testing.T, path string) string {
	t.Helper()
	c := newClient(t, &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", path)
		},
	})
	resp, err := c.Get("http://unix/")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	return string(body)
}

func TestUnixSocketMode(t *testing.T) {
	for _, mode := range []fs.FileMode{0o600, 0o660, 0o666} {
		t.Run(mode.String(), func(t *testing.T) {
			path := filepath.Join(shortDir(t), "s.sock")
			cfg := unixConfig(path)
			cfg.SocketFileMode = mode
			srv := newTestServer(t, cfg, hello)
			assert.IsType(t, &Server{}, srv)
			fi, err := os.Lstat(path)
			require.NoError(t, err)
			assert.Equal(t, fs.ModeSocket, fi.Mode().Type())
			assert.Equal(t, mode, fi.Mode().Perm())
			assert.Equal(t, "hello", unixGet(t, path))
			assert.Equal(t, path, srv.Addr().String())
		})
	}
}

func TestUnixStaleSocketReplaced(t *testing.T) {
	path := filepath.Join(shortDir(t), "s.sock")
	stale, err := net.Listen("unix", path)
	require.NoError(t, err)
	stale.(*net.UnixListener).SetUnlinkOnClose(false)
	require.NoError(t, stale.Close()) // the file stays, nobody answers
	_, err = os.Lstat(path)
	require.NoError(t, err)

	newTestServer(t, unixConfig(path), hello)
	assert.Equal(t, "hello", unixGet(t, path))
}

func TestUnixLiveSocketInUse(t *testing.T) {
	path := filepath.Join(shortDir(t), "s.sock")
	live, err := net.Listen("unix", path)
	require.NoError(t, err)
	defer live.Close()
	go func() { // answer the probe
		for {
			c, err := live.Accept()
			if err != nil {
				return
			}
			_ = c.Close()
		}
	}()

	srv, err := New(unixConfig(path), hello)
	require.NoError(t, err)
	err = srv.Start()
	require.Error(t, err)
	assert.True(t, errors.Is(err, syscall.EADDRINUSE), "%v", err)
	assert.Contains(t, err.Error(), path)
	assert.Contains(t, err.Error(), "already in use")
	fi, err := os.Lstat(path)
	require.NoError(t, err, "the live socket file must stay")
	assert.Equal(t, fs.ModeSocket, fi.Mode().Type())
}

func TestUnixNotASocketUntouched(t *testing.T) {
	path := filepath.Join(shortDir(t), "data.txt")
	require.NoError(t, os.WriteFile(path, []byte("precious"), 0o600))
	srv, err := New(unixConfig(path), hello)
	require.NoError(t, err)
	err = srv.Start()
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrNotSocket)
	assert.Contains(t, err.Error(), path)
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, "precious", string(data))
}

func TestUnixReplacedFileNotRemovedOnStop(t *testing.T) {
	path := filepath.Join(shortDir(t), "s.sock")
	srv, err := New(unixConfig(path), hello)
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- srv.Start() }()
	<-srv.Ready()
	// Someone else takes the path while we serve.
	require.NoError(t, os.Remove(path))
	require.NoError(t, os.WriteFile(path, []byte("theirs"), 0o600))
	require.NoError(t, srv.Stop(t.Context()))
	require.NoError(t, <-done)
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, "theirs", string(data))
}

func TestUnixTLS(t *testing.T) {
	dir := shortDir(t)
	cfg := unixConfig(filepath.Join(dir, "s.sock"))
	cfg.SSLCertificate, cfg.SSLPrivateKey = certFiles(t, dir)
	srv := newTestServer(t, cfg, hello)
	assert.True(t, srv.IsTLS())
}

// SOCKET_FILE_GROUP gives the socket file that group before anyone can
// connect; the mode stays 0660.
func TestUnixSocketGroup(t *testing.T) {
	gid := otherGroup(t)
	path := filepath.Join(shortDir(t), "s.sock")
	cfg := unixConfig(path)
	cfg.SocketFileGroup = strconv.Itoa(gid)
	srv := newTestServer(t, cfg, hello)
	fi, err := os.Lstat(path)
	require.NoError(t, err)
	st, ok := fi.Sys().(*syscall.Stat_t)
	require.True(t, ok)
	assert.Equal(t, uint32(gid), st.Gid)
	assert.Equal(t, fs.FileMode(0o660), fi.Mode().Perm())
	assert.Equal(t, "hello", unixGet(t, path))
	assert.Equal(t, path, srv.Addr().String())
}

// otherGroup is a group this process may give a file other than its own:
// any group for root (nogroup's, 65534, when it exists), else a
// supplementary group.
func otherGroup(t *testing.T) int {
	t.Helper()
	if os.Geteuid() == 0 {
		if g, err := settings.LookupGroup("nogroup"); err == nil {
			return g
		}
		return 65534
	}
	for _, g := range must(os.Getgroups()) {
		if g != os.Getegid() {
			return g
		}
	}
	t.Skip("not root and in no supplementary group: no other group to give the socket file")
	return 0
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
