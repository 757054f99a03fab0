package gateway_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/seed-49a6713b/cherrygo/gateway"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// echo answers 200 with the request body, or 400 when reading it fails.
type echo struct{}

func (echo) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, "read: "+err.Error(), http.StatusBadRequest)
		return
	}
	_, _ = w.Write(body)
}

// post sends body to url; chunked hides the length so that the client
// sends the body with chunked transfer encoding.
func post(t *testing.T, client *http.Client, url, body string, chunked bool) result {
	t.Helper()
	var r io.Reader = strings.NewReader(body)
	if chunked {
		r = io.MultiReader(r) // a reader of unknown length
	}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, url, r)
	require.NoError(t, err)
	if chunked {
		req.ContentLength = -1
	}
	res := fetch(client, req)
	require.NoError(t, res.err)
	return res
}

func TestMaxBodySizeContentLengthOverLimit(t *testing.T) {
	var ran atomic.Bool
	h := gateway.MaxBodySize(10)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ran.Store(true)
	}))
	srv := serve(t, h)

	res := post(t, srv.Client(), srv.URL, strings.Repeat("x", 100), false)
	assert.Equal(t, http.StatusRequestEntityTooLarge, res.status)
	assert.True(t, res.close, "the connection must close")
	assert.False(t, ran.Load(), "the handler must not run")
}

// Over HTTP/2 the 413 must not carry "Connection: close", which would
// make net/http end the whole connection (GOAWAY), not just the stream.
func TestMaxBodySizeClosesOnlyHTTP1Connections(t *testing.T) {
	h := gateway.MaxBodySize(10)(echo{})
	for _, proto := range []struct {
		major int
		close string
	}{{1, "close"}, {2, ""}} {
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(strings.Repeat("x", 100)))
		req.ProtoMajor, req.ProtoMinor = proto.major, 0
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		assert.Equal(t, http.StatusRequestEntityTooLarge, rec.Code)
		assert.Equal(t, proto.close, rec.Header().Get("Connection"), "HTTP/%d", proto.major)
	}
}

func TestMaxBodySizeContentLengthWithinLimit(t *testing.T) {
	srv := serve(t, gateway.MaxBodySize(10)(echo{}))

	res := post(t, srv.Client(), srv.URL, "0123456789", false)
	assert.Equal(t, http.StatusOK, res.status)
	assert.Equal(t, "0123456789", res.body)
}

func TestMaxBodySizeChunkedWithinLimit(t *testing.T) {
	srv := serve(t, gateway.MaxBodySize(10)(echo{}))

	res := post(t, srv.Client(), srv.URL, "hello", true)
	assert.Equal(t, http.StatusOK, res.status)
	assert.Equal(t, "hello", res.body)
}

func TestMaxBodySizeChunkedExplicit413(t *testing.T) {
	errs := make(chan error, 1)
	h := gateway.MaxBodySize(10)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, err := io.ReadAll(r.Body)
		errs <- err
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			http.Error(w, "explicit", http.StatusRequestEntityTooLarge)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	srv := serve(t, h)

	res := post(t, srv.Client(), srv.URL, strings.Repeat("x", 1000), true)
	assert.Equal(t, http.StatusRequestEntityTooLarge, res.status)
	assert.Equal(t, "explicit\n", res.body)
	assert.True(t, res.close, "the connection must close")
	var tooBig *http.MaxBytesError
	require.ErrorAs(t, receive(t, errs, "the handler's read error"), &tooBig)
	assert.EqualValues(t, 10, tooBig.Limit)
}

func TestMaxBodySizeChunkedAutomatic413(t *testing.T) {
	h := gateway.MaxBodySize(10)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body) // fails; the handler answers nothing
	}))
	srv := serve(t, h)

	res := post(t, srv.Client(), srv.URL, strings.Repeat("x", 1000), true)
	assert.Equal(t, http.StatusRequestEntityTooLarge, res.status)
	assert.True(t, res.close, "the connection must close")
}

// The automatic 413 also works behind another policy's writer wrapper.
func TestMaxBodySizeChunkedAutomatic413Wrapped(t *testing.T) {
	stats := gateway.NewStatistics()
	h := stats.Middleware("s", "a")(gateway.MaxBodySize(10)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body)
	})))
	srv := serve(t, h)

	res := post(t, srv.Client(), srv.URL, strings.Repeat("x", 1000), true)
	assert.Equal(t, http.StatusRequestEntityTooLarge, res.status)
	assert.True(t, res.close, "the connection must close")
	assert.EqualValues(t, 1, stats.Snapshot().Total.Status.ClientError)
}

func TestMaxBodySizeChunkedHandlerAnswerStands(t *testing.T) {
	srv := serve(t, gateway.MaxBodySize(10)(echo{}))

	res := post(t, srv.Client(), srv.URL, strings.Repeat("x", 1000), true)
	assert.Equal(t, http.StatusBadRequest, res.status)
	assert.Contains(t, res.body, "request body too large")
}

// ptrHandler is a comparable handler, to check a middleware returned next
// unchanged.
type ptrHandler struct{ _ int }

func (*ptrHandler) ServeHTTP(http.ResponseWriter, *http.Request) {}

func TestMaxBodySizeNoLimitReturnsNext(t *testing.T) {
	next := &ptrHandler{}
	assert.Same(t, next, gateway.MaxBodySize(0)(next))
	assert.Same(t, next, gateway.MaxBodySize(-1)(next))
}
