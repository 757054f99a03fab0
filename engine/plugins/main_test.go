package plugins

import (
	"bytes"
	"context"
	"log/slog"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/seed-49a6713b/cherrygo/engine"
	"github.com/seed-49a6713b/cherrygo/engine/enginetest"
	"github.com/seed-49a6713b/cherrygo/internal/testwait"
	"go.uber.org/goleak"
)

// TestMain fails the package when a test leaves a goroutine behind.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// waitTimeout bounds every wait.
const waitTimeout = testwait.Timeout

// testCtx returns a context that ends after waitTimeout or with the test.
var testCtx = testwait.Context

// newBus and waitState are enginetest's, under the names the tests use.
var (
	newBus    = enginetest.NewBus
	waitState = enginetest.WaitState
)

// receive returns the next value from ch, failing the test after
// waitTimeout.
func receive[T any](t testing.TB, ch <-chan T, what string) T {
	t.Helper()
	return testwait.Receive(t, ch, what)
}

// notify returns a listener that sends its argument on a buffered channel,
// never blocking the publisher.
func notify(n int) (engine.Listener, <-chan any) {
	ch := make(chan any, n)
	return func(_ context.Context, arg any) (any, error) {
		select {
		case ch <- arg:
		default:
		}
		return nil, nil
	}, ch
}

// logBuffer is a goroutine-safe log sink.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// newLogger returns a logger writing text lines to a logBuffer.
func newLogger() (*slog.Logger, *logBuffer) {
	lb := &logBuffer{}
	return slog.New(slog.NewTextHandler(lb, nil)), lb
}

// advance moves the fake clock of the synctest bubble the caller runs in
// forward by d and waits until every goroutine of the bubble is blocked
// again: the timers due by then have fired and their work is done. Inside
// a bubble time.Sleep takes no real time; it is the bubble's clock.
func advance(d time.Duration) {
	time.Sleep(d)
	synctest.Wait()
}
