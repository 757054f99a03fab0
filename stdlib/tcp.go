package stdlib

import (
	"context"
	"fmt"
	"net"
	"net/http"

	"github.com/seed-49a6713b/cherrygo/adapter/settings"
)

// TCPServer serves HTTP, or HTTPS when configured with a certificate, on
// TCP. It implements adapter.Server, ReadyNotifier, Addresser, Secure and
// Inheriter. Create it with New or NewTCP; the zero value is not usable.
type TCPServer struct {
	core
	host  string
	port  int
	queue int
}

// NewTCP returns a TCP server for cfg's Host and Port (SocketFile is
// ignored), speaking TLS when cfg names a certificate and key. See New.
func NewTCP(cfg settings.Config, h http.Handler, opts ...Option) (*TCPServer, error) {
	return newTCP(cfg, h, newOptions(opts))
}

func newTCP(cfg settings.Config, h http.Handler, o *options) (*TCPServer, error) {
	s := &TCPServer{host: cfg.Host, port: cfg.Port, queue: backlog(cfg.SocketQueueSize)}
	if err := initCore(&s.core, cfg, h, o); err != nil {
		return nil, err
	}
	s.bind = s.bindTCP
	return s, nil
}

func (s *TCPServer) bindTCP(ctx context.Context) ([]net.Listener, error) {
	plan, err := planTCP(ctx, s.host, s.port, s.queue)
	if err != nil {
		return nil, err
	}
	ls, err := bindTCP(plan, s.log)
	if err != nil {
		return nil, fmt.Errorf("stdlib: %w", err)
	}
	return ls, nil
}
