package engine_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-49a6713b/cherrygo/engine"
	"github.com/seed-49a6713b/cherrygo/engine/enginetest"
)

func raising(fn func()) http.Handler {
	return http.HandlerFunc(func(http.ResponseWriter, *http.Request) { fn() })
}

func TestHTTPErrorForms(t *testing.T) {
	tree := engine.NewTree()
	tree.Logger = discardLogger()
	tree.Mount("/ptr", raising(func() { engine.Raise(&engine.HTTPError{Status: 418, Message: "teapot"}) }))
	tree.Mount("/value", raising(func() { panic(engine.HTTPError{Status: 409}) }))
	tree.Mount("/wrapped", raising(func() {
		engine.Raise(fmt.Errorf("loading: %w", &engine.HTTPError{Status: 404, Message: "no post"}))
	}))
	tree.Mount("/bad-status", raising(func() { engine.RaiseStatus(200, "not an error") }))
	tree.Mount("/nil", raising(func() { engine.Raise(nil) }))
	c := enginetest.New(tree)
	for path, want := range map[string]struct {
		status int
		text   string
	}{
		"/ptr":        {418, "teapot"},
		"/value":      {409, "Conflict"},
		"/wrapped":    {404, "no post"},
		"/bad-status": {500, "not an error"},
		"/nil":        {200, ""},
	} {
		resp := c.Get(path)
		assert.Equal(t, want.status, resp.StatusCode, path)
		assert.Contains(t, body(t, resp), want.text, path)
	}
}

// A body over its http.MaxBytesReader limit, raised or returned (also
// wrapped), is answered 413, not 500.
func TestMaxBytesErrorIs413(t *testing.T) {
	tree := engine.NewTree()
	tree.Logger = discardLogger()
	read := func(w http.ResponseWriter, r *http.Request) error {
		_, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 2))
		return err
	}
	tree.Mount("/raise", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { engine.Raise(read(w, r)) }))
	tree.Mount("/panic", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { panic(read(w, r)) }))
	tree.Mount("/hook", echoApp("hook")).Hook(engine.BeforeRequestBody, 50, func(w http.ResponseWriter, r *http.Request) error {
		return fmt.Errorf("decoding: %w", read(w, r))
	})
	c := enginetest.New(tree)
	for _, path := range []string{"/raise", "/panic", "/hook"} {
		resp := c.Do(c.NewRequest(http.MethodPost, path, strings.NewReader("too long")))
		assert.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode, path)
	}
}

func TestRedirects(t *testing.T) {
	tree := engine.NewTree()
	tree.Mount("/blog", http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		engine.Raise(&engine.HTTPRedirect{URL: r.URL.Query().Get("to"), Status: 0})
	}))
	tree.Mount("/perm", raising(func() { engine.RaiseRedirect("https://example.org/", http.StatusMovedPermanently) }))
	tree.Mount("/bad", raising(func() { engine.RaiseRedirect("/x", 200) }))
	tree.Logger = discardLogger()
	c := enginetest.New(tree)
	for target, want := range map[string]string{
		"/blog/posts/1?to=/abs":    "/abs",
		"/blog/posts/1?to=2":       "/blog/posts/2",
		"/blog/posts/?to=2":        "/blog/posts/2",
		"/blog/posts/1?to=../tags": "/blog/tags",
		"/blog/posts/1?to=x/?a=b":  "/blog/posts/x/?a=b",
		// A "://" in the query does not make a relative URL absolute.
		"/blog/posts/1?to=login%3Fnext%3Dhttps://x": "/blog/posts/login?next=https://x",
		"/blog/posts/1?to=https://example.org/a":    "https://example.org/a",
		"/blog/posts/1?to=//cdn.example.org/a":      "//cdn.example.org/a",
	} {
		resp := c.Get(target)
		assert.Equal(t, http.StatusSeeOther, resp.StatusCode, target)
		assert.Equal(t, want, resp.Header.Get("Location"), target)
	}
	req := c.NewRequest(http.MethodGet, "/blog/1?to=/y", nil)
	req.Protocol = "HTTP/1.0"
	assert.Equal(t, http.StatusFound, c.Do(req).StatusCode)

	resp := c.Get("/perm")
	assert.Equal(t, http.StatusMovedPermanently, resp.StatusCode)
	assert.Equal(t, "https://example.org/", resp.Header.Get("Location"))
	assert.Equal(t, http.StatusInternalServerError, c.Get("/bad").StatusCode)
}

func TestPanicIs500WithTracebackOnlyWhenOn(t *testing.T) {
	tree := engine.NewTree()
	logs := &syncBuffer{}
	tree.Logger = textLogger(logs)
	tree.Mount("/", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", "1000")
		panic("kaboom")
	}))
	c := enginetest.New(tree)

	resp := c.Get("/")
	assert.Equal(t, http.StatusInternalServerError, resp.StatusCode)
	b := body(t, resp)
	assert.NotContains(t, b, "goroutine")
	assert.Equal(t, "text/plain; charset=utf-8", resp.Header.Get("Content-Type"))
	assert.Contains(t, logs.String(), "kaboom")

	tree.Tracebacks = true
	resp = c.Get("/")
	assert.Equal(t, http.StatusInternalServerError, resp.StatusCode)
	b = body(t, resp)
	assert.Contains(t, b, "goroutine")
	assert.Contains(t, b, "httperror_test.go")
	// The server goes on serving.
	assert.Equal(t, http.StatusInternalServerError, c.Get("/").StatusCode)
}

func TestCustomErrorPage(t *testing.T) {
	tree := engine.NewTree()
	var seen *engine.HTTPError
	tree.ErrorPage = func(w http.ResponseWriter, r *http.Request, e *engine.HTTPError) {
		seen = e
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(e.Status)
		fmt.Fprintf(w, `{"status":%d,"path":%q}`, e.Status, r.URL.Path)
	}
	resp := enginetest.New(tree).Get("/missing")
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	assert.Equal(t, `{"status":404,"path":"/missing"}`, body(t, resp))
	require.NotNil(t, seen)
	assert.Equal(t, 404, seen.Status)
}

// The headers a failed handler set about the response it meant to send
// do not reach the error page; its other headers do, and so do the ones a
// BeforeErrorResponse hook sets for the error response.
func TestErrorResponseHeaders(t *testing.T) {
	tree := engine.NewTree()
	app := tree.Mount("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Type", "application/json")
		h.Set("Content-Encoding", "gzip")
		h.Set("Content-Range", "bytes */100")
		h.Set("ETag", `"v1"`)
		h.Set("Last-Modified", "Mon, 02 Jan 2006 15:04:05 GMT")
		h.Set("Cache-Control", "public, max-age=3600")
		h.Set("Vary", "Accept")
		h.Set("Set-Cookie", "session=1")
		h.Set("X-Request-Id", "42")
		switch r.URL.Path {
		case "/redirect":
			engine.Raise(&engine.HTTPRedirect{URL: "/elsewhere"})
		case "/range":
			engine.Raise(&engine.HTTPError{Status: http.StatusRequestedRangeNotSatisfiable})
		}
		engine.Raise(&engine.HTTPError{Status: http.StatusConflict})
	}))
	app.Hook(engine.BeforeErrorResponse, 0, func(w http.ResponseWriter, _ *http.Request) error {
		w.Header().Set("Cache-Control", "no-store")
		return nil
	})
	c := enginetest.New(tree)
	for _, target := range []string{"/", "/redirect", "/range"} {
		resp := c.Get(target)
		h := resp.Header
		switch target {
		case "/":
			assert.Equal(t, http.StatusConflict, resp.StatusCode)
			assert.Equal(t, "text/plain; charset=utf-8", h.Get("Content-Type"))
			assert.Contains(t, body(t, resp), "409 Conflict")
		case "/redirect":
			assert.Equal(t, http.StatusSeeOther, resp.StatusCode)
			assert.Equal(t, "/elsewhere", h.Get("Location"))
		}
		if target == "/range" {
			assert.Equal(t, "bytes */100", h.Get("Content-Range"), "a 416 keeps its Content-Range")
		} else {
			assert.Empty(t, h.Get("Content-Range"), target)
		}
		for _, k := range []string{"Content-Encoding", "ETag", "Last-Modified"} {
			assert.Empty(t, h.Get(k), "%s %s", target, k)
		}
		assert.Equal(t, "no-store", h.Get("Cache-Control"), "%s: set by the hook", target)
		assert.Equal(t, "Accept", h.Get("Vary"), target)
		assert.Equal(t, "session=1", h.Get("Set-Cookie"), target)
		assert.Equal(t, "42", h.Get("X-Request-Id"), target)
	}
}

func TestFailingErrorPageGivesPlain500(t *testing.T) {
	tree := engine.NewTree()
	tree.Logger = discardLogger()
	tree.ErrorPage = func(http.ResponseWriter, *http.Request, *engine.HTTPError) { panic("page broken") }
	resp := enginetest.New(tree).Get("/missing")
	assert.Equal(t, http.StatusInternalServerError, resp.StatusCode)
	assert.Equal(t, "500 Internal Server Error\n", body(t, resp))

	tree.ErrorPage = func(http.ResponseWriter, *http.Request, *engine.HTTPError) {} // writes nothing
	resp = enginetest.New(tree).Get("/missing")
	assert.Equal(t, http.StatusInternalServerError, resp.StatusCode)
}

// After the header went out, an error cannot change the response; the
// response is cut (its body fails with io.ErrUnexpectedEOF in enginetest).
func TestErrorAfterHeaderKeepsResponse(t *testing.T) {
	tree := engine.NewTree()
	tree.Logger = discardLogger()
	tree.Mount("/", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, "partial")
		engine.RaiseStatus(http.StatusTeapot, "too late")
	}))
	c := enginetest.New(tree)
	req := c.NewRequest(http.MethodGet, "/", nil)
	resp := c.Do(req)
	assert.True(t, req.Aborted())
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	b, err := io.ReadAll(resp.Body)
	assert.ErrorIs(t, err, io.ErrUnexpectedEOF)
	assert.Equal(t, "partial", string(b))
}

// Behind net/http (Source set) a failure after the header aborts the
// connection; a handler's own http.ErrAbortHandler does too.
func TestAbortPanicsOnlyBehindNetHTTP(t *testing.T) {
	tree := engine.NewTree()
	tree.Logger = discardLogger()
	tree.Mount("/late", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, "partial")
		panic("late")
	}))
	tree.Mount("/abort", raising(func() { panic(http.ErrAbortHandler) }))
	for _, path := range []string{"/late", "/abort"} {
		req := engine.NewRequest(http.MethodGet, path, nil)
		assert.NotPanics(t, func() { req.Run(tree, httptest.NewRecorder()) }, path)

		src := httptest.NewRequest(http.MethodGet, path, nil)
		req = engine.NewRequest(http.MethodGet, path, nil)
		req.Source = src
		assert.PanicsWithValue(t, http.ErrAbortHandler, func() { req.Run(tree, httptest.NewRecorder()) }, path)
	}
}

func TestErrorTypes(t *testing.T) {
	cause := errors.New("db down")
	he := &engine.HTTPError{Status: 503, Err: cause}
	assert.ErrorIs(t, he, cause)
	assert.Contains(t, he.Error(), "503")
	assert.Contains(t, he.Error(), "Service Unavailable")
	pe := &engine.PanicError{Value: cause}
	assert.ErrorIs(t, pe, cause)
	assert.Equal(t, "panic: db down", pe.Error())
	assert.Contains(t, (&engine.HTTPRedirect{URL: "/x", Status: 302}).Error(), "/x")
}
