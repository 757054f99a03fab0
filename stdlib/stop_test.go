package stdlib

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"
)

// A connection that never sent a request does not delay Stop. (A request
// that arrives after Stop began is not served: net/http's Shutdown drops
// it too, and answering it would mean accepting new work while draining.)
func TestStopSilentConnectionBoundedByGrace(t *testing.T) {
	srv := newTestServer(t, testConfig(), http.NotFoundHandler())
	fresh := dial(t, "tcp", srv.Addr().String())
	start := time.Now()
	if err := srv.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("Stop took %v with one silent connection", took)
	}
	fresh.SetReadDeadline(time.Now().Add(waitTimeout))
	if _, err := fresh.Read(make([]byte, 1)); err == nil || errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("the silent connection is still open: %v", err)
	}
}

// SHUTDOWN_TIMEOUT=0 cuts an in-flight request off at once.
func TestZeroShutdownTimeoutCutsAtOnce(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	inHandler := make(chan struct{}, 1)
	cfg := testConfig()
	cfg.ShutdownTimeout = 0
	srv := newTestServer(t, cfg, http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		inHandler <- struct{}{}
		<-release
	}))
	addr := srv.Addr().String()
	go func() {
		if resp, err := http.Get("http://" + addr + "/"); err == nil {
			resp.Body.Close()
		}
	}()
	<-inHandler
	start := time.Now()
	err := srv.Stop(context.Background())
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Stop = %v, want the drain cut off", err)
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("Stop took %v with SHUTDOWN_TIMEOUT=0", took)
	}
}
