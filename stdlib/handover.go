package stdlib

import (
	"errors"
	"fmt"
	"net"
	"os"
)

// errNotServing is returned by ListenerFiles when the server has no
// sockets to give.
var errNotServing = errors.New("stdlib: the server is not serving")

// ListenerFiles returns a duplicate of the descriptor of each socket the
// server listens on, in the order it serves them, for a zero-downtime
// upgrade to pass to the new process (which serves them through
// WithOwnedListener): the TCP or unix listeners, then the UDP socket of
// each that serves HTTP/3 (WithPacketConn in the new process, which holds
// it until this one is gone: see WithHTTP3After). The server goes on
// serving; the caller closes the files. It fails when the server is not
// serving.
func (c *core) ListenerFiles() ([]*os.File, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.run == nil || c.state != stateServing {
		return nil, errNotServing
	}
	files := make([]*os.File, 0, len(c.run.listeners))
	for _, l := range c.run.listeners {
		filer, ok := l.(interface{ File() (*os.File, error) })
		if !ok {
			closeFiles(files)
			return nil, fmt.Errorf("stdlib: listener %s: %w", l.Addr(), errNoFile)
		}
		f, err := filer.File()
		if err != nil {
			closeFiles(files)
			return nil, fmt.Errorf("stdlib: listener %s: %w", l.Addr(), err)
		}
		files = append(files, f)
	}
	if h := c.run.h3; h != nil {
		for _, pc := range h.conns {
			filer, ok := pc.(interface{ File() (*os.File, error) })
			if !ok {
				closeFiles(files)
				return nil, fmt.Errorf("stdlib: UDP socket %s: %w", pc.LocalAddr(), errNoFile)
			}
			f, err := filer.File()
			if err != nil {
				closeFiles(files)
				return nil, fmt.Errorf("stdlib: UDP socket %s: %w", pc.LocalAddr(), err)
			}
			files = append(files, f)
		}
	}
	return files, nil
}

// HandOver tells the server that another process serves its sockets from
// now on (the new process of an upgrade, which was given ListenerFiles).
// The next Stop closes this process's descriptors (its UDP ones too, once
// its HTTP/3 connections are drained) but leaves the sockets to the
// successor: it removes no unix socket file, and Inherited reports true,
// so the adapter waits for neither port to be free. It cannot
// be undone.
func (c *core) HandOver() { c.handedOver.Store(true) }

func closeFiles(files []*os.File) {
	for _, f := range files {
		_ = f.Close()
	}
}

// adoptFile records the socket file of an owned inherited unix listener,
// so that the last Stop removes it as it would one bindUnix created.
func (s *Server) adoptFile(l net.Listener) {
	path := l.Addr().String()
	if s.path != "" {
		path = s.path
	}
	fi, err := os.Lstat(path)
	if err != nil {
		s.log.Warn("socket file of the handed-over socket", "path", path, "err", err)
		return
	}
	s.fileMu.Lock()
	s.path, s.file = path, fi
	s.fileMu.Unlock()
}
