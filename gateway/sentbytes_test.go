package gateway_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-49a6713b/cherrygo/gateway"
)

// Bytes a handler writes for HEAD, 204 or 304 never reach the client, so
// the access log and the statistics do not count them.
func TestBodylessResponsesCountNoBytes(t *testing.T) {
	out := make(lines, 8)
	stats := gateway.NewStatistics()
	log := &gateway.AccessLogger{Out: out, Now: fixedClock()}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/nocontent":
			w.WriteHeader(http.StatusNoContent)
		case "/notmodified":
			w.WriteHeader(http.StatusNotModified)
		}
		_, _ = io.WriteString(w, "hello")
	})
	srv := serve(t, stats.Middleware("", "")(log.Middleware(h)))

	for _, c := range []struct{ method, path, want string }{
		{http.MethodHead, "/", `"HEAD / HTTP/1.1" 200 -`},
		{http.MethodGet, "/nocontent", `"GET /nocontent HTTP/1.1" 204 -`},
		{http.MethodGet, "/notmodified", `"GET /notmodified HTTP/1.1" 304 -`},
	} {
		req, err := http.NewRequestWithContext(t.Context(), c.method, srv.URL+c.path, nil)
		require.NoError(t, err)
		require.NoError(t, fetch(srv.Client(), req).err)
		line := receive(t, out, "the access log line")
		assert.True(t, strings.Contains(line, c.want), "%s %s logged %q", c.method, c.path, line)
	}
	assert.EqualValues(t, 0, stats.Snapshot().Total.BytesWritten)

	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+"/", nil)
	require.NoError(t, err)
	require.NoError(t, fetch(srv.Client(), req).err)
	assert.Contains(t, receive(t, out, "the access log line"), `"GET / HTTP/1.1" 200 5`)
	assert.EqualValues(t, 5, stats.Snapshot().Total.BytesWritten)
}
