package metrics_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// deps lists the packages pkg links, as go list sees them.
func deps(t *testing.T, pkg string) []string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	require.NoError(t, err, "the go command is needed to list dependencies")
	out, err := exec.Command(goBin, "list", "-deps", pkg).CombinedOutput()
	require.NoError(t, err, "%s", out)
	return strings.Fields(string(out))
}

// A program that does not import the metrics package links no
// Prometheus code; one that does, does.
func TestPrometheusOnlyWithMetrics(t *testing.T) {
	for _, pkg := range []string{"github.com/seed-49a6713b/cherrygo/examples/hello", "github.com/seed-49a6713b/cherrygo"} {
		for _, d := range deps(t, pkg) {
			assert.False(t, strings.HasPrefix(d, "github.com/prometheus/"), "%s links %s", pkg, d)
		}
	}
	assert.Contains(t, deps(t, "github.com/seed-49a6713b/cherrygo/metrics"), "github.com/prometheus/client_golang/prometheus")
}
