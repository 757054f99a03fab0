// Command custom drives a server that is not from this kit — a bare
// net/http.Server written in a few lines below — through the same adapter
// as the kit's own backends, so it gets the same lifecycle: the port-free
// check, the wait for Ready, the verifying connect, the drain on stop and the
// port-free check after it.
//
// It listens on CUSTOM_ADDR (default 127.0.0.1:8081) and stops on SIGTERM
// or SIGINT. One option of cherrygo.Quickstart puts it in the default
// server's place; a server of the program's own that is an *http.Server
// needs no code like this at all (cherrygo.WithHTTPServer).
package main

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/seed-49a6713b/cherrygo"
)

// ownServer implements adapter.Server and adapter.ReadyNotifier with nothing
// but net/http.
type ownServer struct {
	addr    string
	handler http.Handler

	mu    sync.Mutex // guards srv and ready
	srv   *http.Server
	ready chan struct{}
}

func (s *ownServer) Start() error {
	ln, err := net.Listen("tcp", s.addr) // bind first: errors come back at once
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: s.handler, ReadHeaderTimeout: 10 * time.Second}
	s.mu.Lock()
	s.srv = srv
	close(s.ready)
	s.mu.Unlock()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func (s *ownServer) Stop(ctx context.Context) error {
	s.mu.Lock()
	srv := s.srv
	s.srv = nil
	s.ready = make(chan struct{})
	s.mu.Unlock()
	if srv == nil {
		return nil // not running: Stop is idempotent
	}
	err := srv.Shutdown(ctx)
	srv.Close() // whatever did not drain in time
	return err
}

func (s *ownServer) Ready() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ready
}

func main() {
	addr := os.Getenv("CUSTOM_ADDR")
	if addr == "" {
		addr = "127.0.0.1:8081"
	}
	srv := &ownServer{
		addr:  addr,
		ready: make(chan struct{}),
		handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			io.WriteString(w, "Hello from a server of my own!\n")
		}),
	}
	// The default server is ours; SERVER_SHUTDOWN_TIMEOUT bounds its drain.
	os.Exit(cherrygo.Quickstart(context.Background(), nil, cherrygo.WithServer("", srv)))
}
