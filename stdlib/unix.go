package stdlib

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"syscall"
	"time"
)

// ErrNotSocket is the cause of a bind refused because SocketFile names
// something that is not a socket; that file is left untouched.
var ErrNotSocket = errors.New("file exists and is not a socket")

// staleProbeTimeout bounds the connect that tells a live socket file from
// a stale one.
const staleProbeTimeout = 2 * time.Second

func (s *Server) bindUnix(ctx context.Context) ([]net.Listener, error) {
	spec := socketSpec{family: syscall.AF_UNIX, path: s.path, mode: s.mode, gid: s.gid, backlog: s.queue}
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

// clearStale makes room for the socket: see Server.
func (s *Server) clearStale(ctx context.Context, spec socketSpec) error {
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
func (s *Server) removeFile() {
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
