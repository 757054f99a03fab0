package adaptertest

import (
	"context"
	"testing"
	"time"

	"github.com/seed-49a6713b/cherrygo/adapter"
)

// running is a server whose Start runs in its own goroutine.
type running struct {
	srv  adapter.Server
	done chan struct{} // closed when Start returned
	err  error         // what Start returned, once done is closed
}

// launch runs srv.Start in a goroutine without waiting for anything.
func launch(srv adapter.Server) *running {
	r := &running{srv: srv, done: make(chan struct{})}
	go func() {
		defer close(r.done)
		r.err = srv.Start()
	}()
	return r
}

// start launches srv, waits until it is ready and registers a cleanup that
// stops it and waits for Start to return.
func start(t *testing.T, srv adapter.Server) *running {
	t.Helper()
	r := launch(srv)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		_ = srv.Stop(ctx)
		r.wait(t)
	})
	r.waitReady(t)
	return r
}

// waitReady waits for the server to report it is ready, failing the test if
// Start returns first or nothing happens in time.
func (r *running) waitReady(t *testing.T) {
	t.Helper()
	timer := time.NewTimer(waitTimeout)
	defer timer.Stop()
	switch s := r.srv.(type) {
	case adapter.ReadyNotifier:
		select {
		case <-s.Ready():
		case <-r.done:
			t.Fatalf("Start returned before Ready: %v", r.err)
		case <-timer.C:
			t.Fatalf("not ready after %v", waitTimeout)
		}
	case adapter.ReadyReporter:
		for !s.IsReady() {
			select {
			case <-r.done:
				t.Fatalf("Start returned before it was ready: %v", r.err)
			case <-timer.C:
				t.Fatalf("not ready after %v", waitTimeout)
			case <-time.After(pollInterval): // a bool cannot be waited on
			}
		}
	}
}

// wait waits for Start to return and returns its error.
func (r *running) wait(t *testing.T) error {
	t.Helper()
	select {
	case <-r.done:
		return r.err
	case <-time.After(waitTimeout):
		t.Errorf("Start did not return within %v of Stop", waitTimeout)
		return nil
	}
}

// stop stops the server with a generous context and waits for Start.
func (r *running) stop(t *testing.T) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	err := r.srv.Stop(ctx)
	if startErr := r.wait(t); startErr != nil {
		t.Errorf("Start returned %v after Stop, want nil", startErr)
	}
	return err
}

// isClosed reports whether ch is closed, without waiting.
func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}
