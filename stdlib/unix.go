package stdlib

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/seed-49a6713b/cherrygo/adapter/settings"
)

// ErrNotSocket is the cause of a bind refused because SocketFile names
// something that is not a socket; that file is left untouched.
var ErrNotSocket = errors.New("file exists and is not a socket")

// staleProbeTimeout bounds the connect that tells a live socket file from
// a stale one.
const staleProbeTimeout = 2 * time.Second

// UnixServer serves HTTP, or HTTPS when configured with a certificate, on
// a unix socket file. It implements adapter.Server, ReadyNotifier,
// Addresser, Secure and Inheriter. Create it with New or NewUnix; the zero
// value is not usable.
//
// Before binding it looks at the path: nothing there is fine; a socket
// nobody answers on (left by a crashed process) is removed; a socket
// somebody answers on is an "address already in use" error; anything else
// is refused with ErrNotSocket and never deleted. The file gets
// SocketFileMode before the socket accepts its first connection, and Stop
// removes it if it is still the one this server created.
type UnixServer struct {
	core
	path  string
	mode  fs.FileMode
	queue int

	fileMu sync.Mutex  // guards file
	file   os.FileInfo // the socket file this run created; nil if none
}

// NewUnix returns a unix socket server for cfg.SocketFile, speaking TLS
// when cfg names a certificate and key. See New.
func NewUnix(cfg settings.Config, h http.Handler, opts ...Option) (*UnixServer, error) {
	return newUnix(cfg, h, newOptions(opts))
}

func newUnix(cfg settings.Config, h http.Handler, o *options) (*UnixServer, error) {
	if cfg.SocketFile == "" && o.inherited == nil {
		return nil, &settings.ConfigError{Problems: []*settings.SettingError{{
			Var: cfg.Prefix() + "SOCKET_FILE", Accepted: "a path for the unix socket",
		}}}
	}
	s := &UnixServer{path: cfg.SocketFile, mode: cfg.SocketFileMode, queue: backlog(cfg.SocketQueueSize)}
	if err := initCore(&s.core, cfg, h, o); err != nil {
		return nil, err
	}
	s.bind = s.bindUnix
	s.release = s.removeFile
	return s, nil
}

// Path returns the socket file's path as configured.
func (s *UnixServer) Path() string { return s.path }

func (s *UnixServer) bindUnix(ctx context.Context) ([]net.Listener, error) {
	spec := socketSpec{family: syscall.AF_UNIX, path: s.path, mode: s.mode, backlog: s.queue}
	if err := s.clearStale(ctx, spec); err != nil {
		return nil, err
	}
	l, err := listenSocket(spec)
	if err != nil {
		return nil, fmt.Errorf("stdlib: %w", listenError(spec, err))
	}
	fi, err := os.Lstat(s.path)
	if err != nil {
		_ = l.Close()
		return nil, fmt.Errorf("stdlib: socket file: %w", err)
	}
	s.fileMu.Lock()
	s.file = fi
	s.fileMu.Unlock()
	return []net.Listener{l}, nil
}

// clearStale makes room for the socket: see UnixServer.
func (s *UnixServer) clearStale(ctx context.Context, spec socketSpec) error {
	fi, err := os.Lstat(s.path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("stdlib: socket file: %w", err)
	case fi.Mode().Type() != fs.ModeSocket:
		return fmt.Errorf("stdlib: %w", listenError(spec, ErrNotSocket))
	}
	d := net.Dialer{Timeout: staleProbeTimeout}
	conn, err := d.DialContext(ctx, "unix", s.path)
	switch {
	case err == nil:
		_ = conn.Close()
		return fmt.Errorf("stdlib: %w", listenError(spec, fmt.Errorf("a server answers on it: %w", syscall.EADDRINUSE)))
	case errors.Is(err, syscall.ECONNREFUSED):
		s.log.Info("removing a stale socket file", "path", s.path)
		if err := os.Remove(s.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("stdlib: stale socket file: %w", err)
		}
		return nil
	default:
		return fmt.Errorf("stdlib: probe socket file %s: %w", s.path, err)
	}
}

// removeFile removes the socket file if it is still the one bindUnix
// created: a file someone put there since is left alone.
func (s *UnixServer) removeFile() {
	s.fileMu.Lock()
	ours := s.file
	s.file = nil
	s.fileMu.Unlock()
	if ours == nil {
		return
	}
	now, err := os.Lstat(s.path)
	if err != nil || !os.SameFile(ours, now) {
		return
	}
	if err := os.Remove(s.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		s.log.Warn("removing the socket file", "path", s.path, "err", err)
	}
}
