package cherrygo_test

import (
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-49a6713b/cherrygo"
)

// WithMiddleware wraps each server the kit builds, named ones and
// WithNamedServer's included, the first outermost, behind the health
// paths; Options applies its options in order.
func TestWithMiddleware(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	mw := func(tag string) func(string, http.Handler) http.Handler {
		return func(server string, next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				seen = append(seen, tag+":"+server+":"+r.URL.Path)
				mu.Unlock()
				w.Header().Add("X-Order", tag)
				next.ServeHTTP(w, r)
			})
		}
	}
	m, _ := startManager(t, map[string]string{
		"SERVER_SOCKET_HOST": "127.0.0.1", "SERVER_SOCKET_PORT": "0",
		"SERVER_READINESS_PATH":    "/readyz",
		"SERVER_NAMES":             "admin",
		"SERVER_ADMIN_SOCKET_HOST": "127.0.0.1", "SERVER_ADMIN_SOCKET_PORT": "0",
	},
		cherrygo.Options(cherrygo.WithMiddleware(mw("outer")), cherrygo.WithMiddleware(mw("inner"))),
		cherrygo.WithNamedServer("side", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "side") })),
		cherrygo.WithDefaults("SERVER_SIDE_SOCKET_HOST=127.0.0.1", "SERVER_SIDE_SOCKET_PORT=0"),
	)
	c := client(t)
	get := func(url string) *http.Response {
		t.Helper()
		resp, err := c.Get(url)
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, resp.Body)
		require.NoError(t, resp.Body.Close())
		return resp
	}
	resp := get(m.URL() + "/x")
	assert.Equal(t, []string{"outer", "inner"}, resp.Header.Values("X-Order"))
	get(m.Server("admin").URL() + "/y")
	get(m.Server("side").URL() + "/z")
	resp = get(m.URL() + "/readyz")
	assert.Empty(t, resp.Header.Values("X-Order"), "the health paths come first")
	assert.Equal(t, http.StatusOK, resp.StatusCode)

	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, []string{
		"outer::/x", "inner::/x",
		"outer:admin:/y", "inner:admin:/y",
		"outer:side:/z", "inner:side:/z",
	}, seen)
	for _, s := range seen {
		assert.False(t, strings.Contains(s, "readyz"))
	}
}
