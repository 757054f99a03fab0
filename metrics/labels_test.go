package metrics

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestMethodLabelIsBounded(t *testing.T) {
	for _, m := range []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE"} {
		assert.Equal(t, m, methodLabel(m))
	}
	for _, m := range []string{"get", "BREW", "PROPFIND", "", "X-" + string(make([]byte, 100))} {
		assert.Equal(t, "other", methodLabel(m), "%q", m)
	}
}

func TestStatusClass(t *testing.T) {
	for _, c := range []struct {
		status   int
		hijacked bool
		want     string
	}{
		{0, false, "2xx"}, // nothing written: net/http sends 200
		{0, true, "hijacked"},
		{http.StatusSwitchingProtocols, true, "1xx"},
		{http.StatusOK, false, "2xx"},
		{http.StatusNoContent, false, "2xx"},
		{http.StatusFound, false, "3xx"},
		{http.StatusNotFound, false, "4xx"},
		{http.StatusServiceUnavailable, false, "5xx"},
		{999, false, "9xx"},
	} {
		assert.Equal(t, c.want, statusClass(c.status, c.hijacked), "%d hijacked=%v", c.status, c.hijacked)
	}
}

func TestAppLabel(t *testing.T) {
	assert.Equal(t, "/", appLabel(""))
	assert.Equal(t, "/api", appLabel("/api"))
}

func TestServerLabel(t *testing.T) {
	assert.Equal(t, "default", serverLabel(""))
	assert.Equal(t, "admin", serverLabel("admin"))
}
