package cherrygo_test

import (
	"net/http"
	"regexp"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A real SIGTERM to a program with SERVER_SHUTDOWN_DELAY=1: readiness is 503
// within 50 ms, the application and liveness answer 200 through the delay,
// and the process exits 0 once the delay and the drain are over.
func TestShutdownDelayProcess(t *testing.T) {
	dir := shortTempDir(t)
	bin := buildApp(t, dir, "app", "")
	a := startApp(t, bin, dir, "SERVER_SHUTDOWN_DELAY=1", "SERVER_READINESS_PATH=/readyz", "SERVER_LIVENESS_PATH=/livez")
	pid := a.pid()
	c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{}}
	defer c.CloseIdleConnections()
	get := func(path string) int {
		resp, err := c.Get(a.url + path)
		require.NoError(t, err, path)
		resp.Body.Close()
		return resp.StatusCode
	}
	require.Equal(t, http.StatusOK, get("/readyz"))

	sent := time.Now()
	a.signal(syscall.SIGTERM)
	var flipped time.Duration
	for i := 0; ; i++ { // a measurement, bounded in count and time
		if get("/readyz") == http.StatusServiceUnavailable {
			flipped = time.Since(sent)
			break
		}
		require.Less(t, i, 10000, "readiness still 200 after 10000 probes")
		require.Less(t, time.Since(sent), 900*time.Millisecond, "readiness still 200 during the delay")
	}
	t.Logf("readiness 503 %v after SIGTERM", flipped)
	assert.Less(t, flipped, 50*time.Millisecond)

	answered := 0
	for time.Since(sent) < 800*time.Millisecond {
		require.Equal(t, http.StatusOK, get("/"), "the application during the delay")
		require.Equal(t, http.StatusOK, get("/livez"), "liveness during the delay")
		answered++
	}
	assert.Positive(t, answered)
	assert.Equal(t, 0, a.exitCode(pid))
	assert.GreaterOrEqual(t, time.Since(sent), time.Second, "the exit waited for the delay")
	a.next("the delay's end", regexp.MustCompile(`msg="shutdown delay over: draining"`))
}
