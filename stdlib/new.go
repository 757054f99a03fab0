package stdlib

import (
	"crypto/tls"
	"errors"
	"net/http"

	"github.com/seed-49a6713b/cherrygo/adapter"
	"github.com/seed-49a6713b/cherrygo/adapter/settings"
)

// errNoHandler is returned by New when given a nil handler.
var errNoHandler = errors.New("stdlib: nil handler")

// errFastCGITLS is returned by New for WithFastCGI with TLS settings.
var errFastCGITLS = errors.New("stdlib: FastCGI does not speak TLS: unset the SSL_* settings or drop WithFastCGI")

// New returns the backend the configuration asks for, not yet started:
//
//   - a *UnixServer when SocketFile is set (or WithListener hands it a
//     unix socket);
//   - otherwise a *TCPServer on Host and Port.
//
// A Config that fails Validate is refused with its *settings.ConfigError.
// Either speaks TLS when SSLCertificate and SSLPrivateKey are set. The
// TLS files are read and checked here, before anything binds: a missing,
// unreadable, non-PEM or mismatched file is an *settings.ConfigError naming
// the variable and the file. Nothing is bound until Start.
func New(cfg settings.Config, h http.Handler, opts ...Option) (adapter.Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	o := newOptions(opts)
	unix := cfg.SocketFile != ""
	if o.inherited != nil {
		unix = o.inherited.Addr().Network() == "unix"
	}
	if unix {
		s, err := newUnix(cfg, h, o)
		if err != nil {
			return nil, err
		}
		return s, nil
	}
	s, err := newTCP(cfg, h, o)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// initCore checks what every backend needs and sets up its core.
func initCore(c *core, cfg settings.Config, h http.Handler, o *options) error {
	if h == nil {
		return errNoHandler
	}
	var tlsConfig *tls.Config
	if wantsTLS(cfg) && o.fastCGI {
		return errFastCGITLS
	}
	if wantsTLS(cfg) {
		tc, err := loadTLS(cfg)
		if err != nil {
			return err
		}
		tlsConfig = tc
	}
	maxHeader := noHeaderLimit
	if cfg.MaxRequestHeaderSize > 0 && cfg.MaxRequestHeaderSize < noHeaderLimit {
		// net/http reads up to MaxHeaderBytes + 4096 bytes of head (its
		// bufio slack): ask for the difference, so that the limit is
		// exact. Below 4097 bytes that cannot be asked for; withHeadLimit
		// then counts the head of each HTTP/1 request instead.
		maxHeader = int(cfg.MaxRequestHeaderSize)
		if maxHeader > headerSlack {
			maxHeader -= headerSlack
		}
	}
	s := runSettings{
		maxHead:         cfg.MaxRequestHeaderSize,
		socketTimeout:   max(cfg.SocketTimeout, 0),
		shutdownTimeout: max(cfg.ShutdownTimeout, 0),
		maxHeaderBytes:  maxHeader,
		noDelay:         cfg.NoDelay,
		http2:           cfg.HTTP2,
		h2c:             o.h2c,
		fastCGI:         o.fastCGI,
	}
	c.log, c.handler, c.settings, c.tlsConfig = o.log, h, s, tlsConfig
	c.inherited = o.inherited
	c.ready = make(chan struct{})
	return nil
}
