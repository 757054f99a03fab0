package engine_test

import (
	"testing"

	"github.com/seed-49a6713b/cherrygo/engine/enginetest"
	"github.com/seed-49a6713b/cherrygo/internal/testwait"
	"go.uber.org/goleak"
)

// TestMain fails the package when a test leaves a goroutine behind.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// busWaitTimeout bounds every wait in the bus tests.
const busWaitTimeout = testwait.Timeout

// busCtx returns a context that ends after busWaitTimeout or with the test.
var busCtx = testwait.Context

// newBus and waitState are enginetest's, under the names the tests use.
var (
	newBus    = enginetest.NewBus
	waitState = enginetest.WaitState
)
