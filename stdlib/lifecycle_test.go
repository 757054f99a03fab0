package stdlib

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// blockedBind makes srv's bind wait for release, announcing itself on
// entered; it then binds 127.0.0.1:0 (or gives up if its ctx ends, when
// honourCtx is set).
func blockedBind(t *testing.T, srv *Server, honourCtx bool) (entered, release chan struct{}, bound chan net.Listener) {
	t.Helper()
	entered, release, bound = make(chan struct{}), make(chan struct{}), make(chan net.Listener, 1)
	srv.bind = func(ctx context.Context) ([]net.Listener, error) {
		close(entered)
		if honourCtx {
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-release:
			}
		} else {
			<-release
		}
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		bound <- l
		return []net.Listener{l}, nil
	}
	return entered, release, bound
}

func TestStopWhileBinding(t *testing.T) {
	for _, honourCtx := range []bool{true, false} {
		srv, err := New(testConfig(), hello)
		require.NoError(t, err)
		entered, release, bound := blockedBind(t, srv, honourCtx)
		done := make(chan error, 1)
		go func() { done <- srv.Start() }()
		<-entered

		stopped := make(chan error, 1)
		go func() { stopped <- srv.Stop(context.Background()) }()
		if !honourCtx {
			select {
			case err := <-stopped:
				t.Fatalf("Stop returned (%v) before the bind it aborted was released", err)
			case <-time.After(50 * time.Millisecond):
			}
			close(release)
			l := <-bound
			require.NoError(t, <-stopped)
			// Stop returned: what the bind got must be closed already.
			_, err := net.DialTimeout("tcp", l.Addr().String(), time.Second)
			assert.Error(t, err, "the aborted bind's listener is still open")
		} else {
			require.NoError(t, <-stopped)
		}
		select {
		case err := <-done:
			assert.NoError(t, err, "Start after an aborting Stop")
		case <-time.After(waitTimeout):
			t.Fatal("Start did not return")
		}
		assert.Nil(t, srv.Addr())

		// And the server still starts normally afterwards.
		srv.bind = srv.bindTCP
		startServer(t, srv)
		assert.NotNil(t, srv.Addr())
	}
}
