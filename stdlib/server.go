package stdlib

import (
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"sync"

	"github.com/seed-49a6713b/cherrygo/adapter/settings"
)

// Server is one of the kit's backends: HTTP (or HTTPS, HTTP/2 through
// ALPN, HTTP/3 on UDP beside HTTPS, h2c, FastCGI, as New was told) on TCP
// or on a unix socket file. It implements adapter.Server and every
// optional interface of the adapter (ReadyNotifier, Addresser, Secure,
// Inheriter). Create it with New; the zero value is not usable.
//
// On a unix socket, before binding it looks at the path: nothing there is
// fine; a socket nobody answers on (left by a crashed process) is removed;
// a socket somebody answers on is an "address already in use" error;
// anything else is refused with ErrNotSocket and never deleted. The file
// gets SocketFileMode before the socket accepts its first connection, and
// Stop removes it if it is still the one this server created.
type Server struct {
	core
	queue int // the listen backlog

	// TCP
	host string
	port int

	// unix socket
	path   string
	mode   fs.FileMode
	gid    int         // the socket file's group; -1 keeps the process's
	fileMu sync.Mutex  // guards file
	file   os.FileInfo // the socket file this run created; nil if none
}

// New returns the server cfg describes, not yet started: on the unix
// socket SocketFile when it is set (or when WithListener hands it a unix
// socket), otherwise on TCP at Host and Port. It speaks TLS when
// SSLCertificate and SSLPrivateKey are set.
//
// A Config that fails Validate is refused with its *settings.ConfigError.
// The TLS files are read and checked here, before anything binds: a
// missing, unreadable, non-PEM or mismatched file is a
// *settings.ConfigError naming the variable and the file. Nothing is bound
// until Start.
func New(cfg settings.Config, h http.Handler, opts ...Option) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	o := newOptions(opts)
	s := &Server{queue: backlog(cfg.SocketQueueSize), gid: -1}
	unix := cfg.SocketFile != ""
	if len(o.inherited) > 0 {
		unix = o.inherited[0].Addr().Network() == "unix"
	}
	if err := initCore(&s.core, cfg, h, o); err != nil {
		return nil, err
	}
	if unix {
		s.path, s.mode = cfg.SocketFile, cfg.SocketFileMode
		if cfg.SocketFileGroup != "" {
			gid, err := settings.LookupGroup(cfg.SocketFileGroup) // Validate found it
			if err != nil {
				return nil, fmt.Errorf("stdlib: %sSOCKET_FILE_GROUP: %w", cfg.Prefix(), err)
			}
			s.gid = gid
		}
		s.bind, s.release, s.adopt = s.bindUnix, s.removeFile, s.adoptFile
	} else {
		s.host, s.port = cfg.Host, cfg.Port
		s.bind = s.bindTCP
	}
	return s, nil
}

// Path returns the unix socket file's path as configured ("" for TCP, and
// for an inherited socket).
func (s *Server) Path() string { return s.path }
