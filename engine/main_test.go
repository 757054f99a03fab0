package engine_test

import (
	"context"
	"testing"
	"time"

	"github.com/seed-49a6713b/cherrygo/engine/enginetest"
	"go.uber.org/goleak"
)

// TestMain fails the package when a test leaves a goroutine behind.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// busWaitTimeout bounds every wait in the bus tests. Events normally take
// microseconds; the bound only matters on a loaded machine or a bug.
const busWaitTimeout = 10 * time.Second

// busCtx returns a context that ends after busWaitTimeout or with the test.
func busCtx(t testing.TB) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), busWaitTimeout)
	t.Cleanup(cancel)
	return ctx
}

// newBus and waitState are enginetest's, under the names the tests use.
var (
	newBus    = enginetest.NewBus
	waitState = enginetest.WaitState
)
