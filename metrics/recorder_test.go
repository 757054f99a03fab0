package metrics

import (
	"bufio"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// discard takes everything.
type discard struct{}

func (discard) Header() http.Header         { return http.Header{} }
func (discard) Write(p []byte) (int, error) { return len(p), nil }
func (discard) WriteHeader(int)             {}

// hijackable is a ResponseRecorder that can also be hijacked.
type hijackable struct{ *httptest.ResponseRecorder }

func (hijackable) Hijack() (net.Conn, *bufio.ReadWriter, error) { return nil, nil, nil }

func TestRecorderNotesStatusAndBytes(t *testing.T) {
	rec := &recorder{ResponseWriter: discard{}}
	rec.WriteHeader(http.StatusEarlyHints)
	assert.Equal(t, 0, rec.status, "an informational status is not the final one")
	rec.WriteHeader(http.StatusTeapot)
	_, _ = rec.Write([]byte("abc"))
	_, _ = rec.WriteString("de")
	n, err := rec.ReadFrom(strings.NewReader("fgh"))
	require.NoError(t, err)
	assert.Equal(t, int64(3), n)
	assert.Equal(t, "4xx", rec.class())
	assert.Equal(t, int64(8), rec.sentBytes(http.MethodGet))
	assert.Equal(t, int64(0), rec.sentBytes(http.MethodHead))
}

func TestRecorderKeepsOptionalInterfaces(t *testing.T) {
	under := httptest.NewRecorder()
	rec := &recorder{ResponseWriter: hijackable{under}}
	rc := http.NewResponseController(rec)
	require.NoError(t, rc.Flush())
	assert.True(t, under.Flushed)
	assert.Equal(t, "2xx", rec.class(), "flushing sends the header")

	rec = &recorder{ResponseWriter: hijackable{httptest.NewRecorder()}}
	_, _, err := http.NewResponseController(rec).Hijack()
	require.NoError(t, err)
	assert.Equal(t, "hijacked", rec.class())
	assert.Equal(t, int64(0), rec.sentBytes(http.MethodGet))

	rec = &recorder{ResponseWriter: httptest.NewRecorder()}
	_, _, err = rec.Hijack()
	assert.ErrorIs(t, err, http.ErrNotSupported)
	assert.Equal(t, "2xx", rec.class(), "nothing written, not hijacked")
	assert.Same(t, rec.ResponseWriter, rec.Unwrap())
}
