package enginetest_test

import (
	"testing"

	"github.com/seed-49a6713b/cherrygo/internal/leakcheck"
)

// TestMain fails the package when a test leaves a goroutine behind.
func TestMain(m *testing.M) { leakcheck.Main(m) }
