package stdlib

import (
	"crypto/tls"
	"errors"
	"net/http"

	"github.com/seed-49a6713b/cherrygo/adapter/settings"
)

// errNoHandler is returned by New when given a nil handler.
var errNoHandler = errors.New("stdlib: nil handler")

// errFastCGITLS is returned by New for WithFastCGI with TLS settings.
var errFastCGITLS = errors.New("stdlib: FastCGI does not speak TLS: unset the SSL_* settings or drop WithFastCGI")

// initCore checks what every backend needs and sets up its core.
func initCore(c *core, cfg settings.Config, h http.Handler, o *options) error {
	if h == nil {
		return errNoHandler
	}
	var (
		tlsConfig *tls.Config
		certs     *certSource
	)
	fastCGI := o.fastCGI || cfg.Backend == settings.BackendFastCGI
	if wantsTLS(cfg) && fastCGI {
		return errFastCGITLS
	}
	if wantsTLS(cfg) {
		tc, src, err := loadTLS(cfg)
		if err != nil {
			return err
		}
		tlsConfig, certs = tc, src
	}
	maxHeader := noHeaderLimit
	if cfg.MaxRequestHeaderSize > 0 && cfg.MaxRequestHeaderSize < noHeaderLimit {
		// net/http reads up to MaxHeaderBytes + 4096 bytes of head (its
		// bufio slack): ask for the difference, so that the limit is
		// exact. Below 4097 bytes that cannot be asked for; headLimit
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
		h2c:             o.h2c || cfg.Backend == settings.BackendH2C,
		fastCGI:         fastCGI,
		proxyProtocol:   cfg.ProxyProtocol,
		trustedProxies:  cfg.TrustedProxies,
		http3:           cfg.HTTP3,
		anyPort:         cfg.Port == 0,
	}
	c.log, c.handler, c.settings, c.tlsConfig, c.certs = o.log, h, s, tlsConfig, certs
	c.inherited, c.owned = o.inherited, o.owned
	c.packetConns, c.h3After = o.packetConns, o.h3After
	c.ready = make(chan struct{})
	return nil
}
