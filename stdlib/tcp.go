package stdlib

import (
	"context"
	"fmt"
	"net"
)

func (s *Server) bindTCP(ctx context.Context) ([]net.Listener, error) {
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
