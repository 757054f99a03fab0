package adapter_test

import (
	"testing"

	"github.com/seed-49a6713b/cherrygo/internal/leakcheck"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }
