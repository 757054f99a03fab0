package stdlib

import (
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/seed-49a6713b/cherrygo/adapter/settings"
)

// certSource is the certificate pair a TLS server presents. Every
// handshake takes the current pair through get (the tls.Config's
// GetCertificate, which each clone of it shares), so a reload reaches new
// handshakes at once and leaves connections already open as they are.
type certSource struct {
	files   tlsFiles
	current atomic.Pointer[tls.Certificate] // never nil once New returned
	// mu serialises reloads, so that a slow read of older files never
	// replaces the pair a later reload stored.
	mu sync.Mutex
}

// get is the tls.Config's GetCertificate.
func (s *certSource) get(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	return s.current.Load(), nil
}

// reload reads the files again and, if they hold a good pair, serves it
// from the next handshake on. A pair that does not load is refused: the
// previous one stays, each problem is logged as a warning naming the
// variable and the file, and the error returned (wrapping an
// *settings.ConfigError) says the same. Files that hold the pair already
// served change nothing. trigger says what asked for the reload, for the
// log.
func (s *certSource) reload(log *slog.Logger, trigger string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	pair, err := s.files.load()
	if err != nil {
		var ce *settings.ConfigError
		if errors.As(err, &ce) {
			for _, p := range ce.Problems {
				log.Warn("TLS certificate reload refused: still serving the previous certificate",
					"trigger", trigger, "var", p.Var, "file", p.Value, "err", p.Err)
			}
		}
		return fmt.Errorf("stdlib: TLS certificate reload refused, still serving the previous certificate: %w", err)
	}
	if slices.EqualFunc(s.current.Load().Certificate, pair.Certificate, bytes.Equal) {
		log.Debug("TLS certificate unchanged", "trigger", trigger, "file", s.files.cert)
		return nil
	}
	s.current.Store(pair)
	attrs := []any{"trigger", trigger, "file", s.files.cert, "chain", len(pair.Certificate) - 1}
	if leaf := pair.Leaf; leaf != nil {
		attrs = append(attrs, "serial", leaf.SerialNumber.String(), "subject", leaf.Subject.String(), "not_after", leaf.NotAfter)
	}
	log.Info("TLS certificate reloaded", attrs...)
	return nil
}

// ReloadCertificate reads SSL_CERTIFICATE, SSL_PRIVATE_KEY and
// SSL_CERTIFICATE_CHAIN again and presents the new pair from the next TLS
// handshake on; connections already open keep the pair they were made
// with. It may be called at any time, from any goroutine, whether the
// server runs or not.
//
// A new pair that cannot be read, is not PEM, or whose key does not match
// the certificate is refused: the previous pair stays in use, a warning on
// the server's logger names the variable and the file, and the error
// returned says the same (errors.As finds the *settings.ConfigError).
// Files that still hold the pair being served change nothing and return
// nil. A server without TLS has nothing to reload and returns nil.
//
// The Manager of package cherrygo calls it on the engine's graceful
// channel (SIGUSR1); a running server also calls it itself when the files
// change on disk (see the package doc).
func (s *Server) ReloadCertificate() error {
	if s.certs == nil {
		return nil
	}
	return s.certs.reload(s.log, "ReloadCertificate")
}
