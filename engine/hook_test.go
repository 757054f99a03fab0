package engine_test

import (
	"errors"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-49a6713b/cherrygo/engine"
	"github.com/seed-49a6713b/cherrygo/engine/enginetest"
)

// trace records hook calls; safe for the concurrent use of one request.
type trace struct {
	mu    sync.Mutex
	calls []string
}

func (tr *trace) add(s string) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.calls = append(tr.calls, s)
}

func (tr *trace) hook(name string) engine.Hook {
	return func(http.ResponseWriter, *http.Request) error { tr.add(name); return nil }
}

func (tr *trace) all(t *testing.T, tree *engine.Tree, app *engine.App) {
	t.Helper()
	for p := engine.OnStartResource; p <= engine.OnEndRequest; p++ {
		tree.Hook(p, engine.DefaultPriority, tr.hook(p.String()))
		if app != nil {
			app.Hook(p, engine.DefaultPriority, tr.hook("app."+p.String()))
		}
	}
}

func TestHookOrderOnSuccess(t *testing.T) {
	tree := engine.NewTree()
	tr := &trace{}
	app := tree.Mount("/app", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		tr.add("handler")
		io.WriteString(w, "ok")
		tr.add("handler wrote")
	}))
	tr.all(t, tree, app)
	resp := enginetest.New(tree).Get("/app")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, []string{
		"on_start_resource", "app.on_start_resource",
		"before_request_body", "app.before_request_body",
		"before_handler", "app.before_handler",
		"handler",
		"before_finalize", "app.before_finalize", // on the first Write
		"handler wrote",
		"on_end_resource", "app.on_end_resource",
		"on_end_request", "app.on_end_request",
	}, tr.calls)
}

func TestHookOrderOnError(t *testing.T) {
	tree := engine.NewTree()
	tr := &trace{}
	app := tree.Mount("/app", http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		tr.add("handler")
		engine.RaiseStatus(http.StatusForbidden, "no")
	}))
	tr.all(t, tree, app)
	resp := enginetest.New(tree).Get("/app")
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	assert.Equal(t, []string{
		"on_start_resource", "app.on_start_resource",
		"before_request_body", "app.before_request_body",
		"before_handler", "app.before_handler",
		"handler",
		"before_error_response", "app.before_error_response",
		"after_error_response", "app.after_error_response",
		"on_end_resource", "app.on_end_resource",
		"on_end_request", "app.on_end_request",
	}, tr.calls)
}

// Without an app only the tree's error and end hooks run.
func TestHookOrderOn404(t *testing.T) {
	tree := engine.NewTree()
	tr := &trace{}
	tr.all(t, tree, tree.Mount("/app", echoApp("app")))
	resp := enginetest.New(tree).Get("/other")
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	assert.Equal(t, []string{"before_error_response", "after_error_response", "on_end_request"}, tr.calls)
}

func TestHookPriorities(t *testing.T) {
	tree := engine.NewTree()
	tr := &trace{}
	app := tree.Mount("/", echoApp("root"))
	app.Hook(engine.BeforeHandler, 10, tr.hook("app10"))
	tree.Hook(engine.BeforeHandler, 50, tr.hook("tree50a"))
	app.Hook(engine.BeforeHandler, 50, tr.hook("app50"))
	tree.Hook(engine.BeforeHandler, 50, tr.hook("tree50b"))
	tree.Hook(engine.BeforeHandler, 5, tr.hook("tree5"))
	enginetest.New(tree).Get("/")
	assert.Equal(t, []string{"tree5", "app10", "tree50a", "app50", "tree50b"}, tr.calls)
	assert.Equal(t, "before_handler", engine.BeforeHandler.String())
	assert.Equal(t, "HookPoint(99)", engine.HookPoint(99).String())
}

func TestHookAnswersInsteadOfHandler(t *testing.T) {
	tree := engine.NewTree()
	called := false
	app := tree.Mount("/", http.HandlerFunc(func(http.ResponseWriter, *http.Request) { called = true }))
	app.Hook(engine.BeforeHandler, 50, func(http.ResponseWriter, *http.Request) error {
		return &engine.HTTPError{Status: http.StatusUnauthorized, Message: "log in first"}
	})
	resp := enginetest.New(tree).Get("/")
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.Contains(t, body(t, resp), "log in first")
	assert.False(t, called)
}

func TestHookPanicAndPlainErrorAre500(t *testing.T) {
	tree := engine.NewTree()
	tree.Logger = discardLogger()
	tree.Mount("/panic", echoApp("p")).Hook(engine.OnStartResource, 50, func(http.ResponseWriter, *http.Request) error { panic("boom") })
	tree.Mount("/err", echoApp("e")).Hook(engine.BeforeRequestBody, 50, func(http.ResponseWriter, *http.Request) error { return errors.New("bad") })
	c := enginetest.New(tree)
	assert.Equal(t, http.StatusInternalServerError, c.Get("/panic").StatusCode)
	assert.Equal(t, http.StatusInternalServerError, c.Get("/err").StatusCode)
}

// Priorities at the ends of int's range still sort in order (no
// overflowing subtraction).
func TestHookExtremePriorities(t *testing.T) {
	tree := engine.NewTree()
	tr := &trace{}
	tree.Mount("/", echoApp("root"))
	tree.Hook(engine.BeforeHandler, math.MaxInt, tr.hook("max"))
	tree.Hook(engine.BeforeHandler, math.MinInt, tr.hook("min"))
	tree.Hook(engine.BeforeHandler, 0, tr.hook("zero"))
	enginetest.New(tree).Get("/")
	assert.Equal(t, []string{"min", "zero", "max"}, tr.calls)
}

func TestBeforeFinalizeSetsHeaders(t *testing.T) {
	tree := engine.NewTree()
	tree.Hook(engine.BeforeFinalize, 50, func(w http.ResponseWriter, _ *http.Request) error {
		w.Header().Set("X-Finalized", "yes")
		return nil
	})
	tree.Mount("/write", echoApp("w"))
	tree.Mount("/status", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusAccepted) }))
	tree.Mount("/silent", http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	c := enginetest.New(tree)
	for _, p := range []string{"/write", "/status", "/silent"} {
		assert.Equal(t, "yes", c.Get(p).Header.Get("X-Finalized"), p)
	}
	// Error responses do not go through BeforeFinalize.
	assert.Empty(t, c.Get("/none").Header.Get("X-Finalized"))
}

func TestBeforeFinalizeErrorReplacesResponse(t *testing.T) {
	tree := engine.NewTree()
	writeErr := make(chan error, 1)
	app := tree.Mount("/", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, err := io.WriteString(w, `{"secret":1}`)
		writeErr <- err
	}))
	app.Hook(engine.BeforeFinalize, 50, func(http.ResponseWriter, *http.Request) error {
		return &engine.HTTPError{Status: http.StatusNotAcceptable}
	})
	resp := enginetest.New(tree).Get("/")
	assert.Equal(t, http.StatusNotAcceptable, resp.StatusCode)
	b := body(t, resp)
	assert.NotContains(t, b, "secret")
	assert.True(t, strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain"))
	assert.Error(t, <-writeErr)
}

func TestErrorHooksSeeTheError(t *testing.T) {
	tree := engine.NewTree()
	var got []error
	tree.Hook(engine.BeforeErrorResponse, 50, func(_ http.ResponseWriter, r *http.Request) error {
		got = append(got, engine.RequestFrom(r).Err())
		return nil
	})
	tree.Mount("/", http.HandlerFunc(func(http.ResponseWriter, *http.Request) { engine.RaiseRedirect("/else", 0) }))
	enginetest.New(tree).Get("/x")
	require.Len(t, got, 1)
	var hr *engine.HTTPRedirect
	assert.True(t, errors.As(got[0], &hr))
	assert.True(t, slices.Contains([]int{0}, hr.Status))
}

// Hooks failing where the response is already decided are only logged.
func TestLateHookFailuresAreLogged(t *testing.T) {
	tree := engine.NewTree()
	logs := &syncBuffer{}
	tree.Logger = textLogger(logs)
	tree.Mount("/", echoApp("a")).Hook(engine.OnEndResource, 50, func(http.ResponseWriter, *http.Request) error { return errors.New("late") })
	tree.Hook(engine.OnEndRequest, 50, func(http.ResponseWriter, *http.Request) error { panic("later") })
	resp := enginetest.New(tree).Get("/")
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, logs.String(), "on_end_resource")
	assert.Contains(t, logs.String(), "on_end_request")
}

// A BeforeErrorResponse hook may write the error response itself (as JSON,
// say): the engine then writes no page of its own and, behind net/http,
// does not cut the connection.
func TestBeforeErrorResponseHookMayAnswer(t *testing.T) {
	tree := engine.NewTree()
	tree.Logger = discardLogger()
	tree.Hook(engine.BeforeErrorResponse, 50, func(w http.ResponseWriter, r *http.Request) error {
		var he *engine.HTTPError
		if errors.As(engine.RequestFrom(r).Err(), &he) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(he.Status)
			io.WriteString(w, `{"error":"teapot"}`)
		}
		return nil
	})
	tree.Mount("/", raising(func() { engine.RaiseStatus(http.StatusTeapot, "short and stout") }))
	src := httptest.NewRequest(http.MethodGet, "/", nil)
	req := engine.NewRequest(http.MethodGet, "/", nil)
	req.Source = src
	rec := httptest.NewRecorder()
	require.NotPanics(t, func() { req.Run(tree, rec) })
	assert.Equal(t, http.StatusTeapot, rec.Code)
	assert.Equal(t, `{"error":"teapot"}`, rec.Body.String())
	assert.Equal(t, "application/json", rec.Header().Get("Content-Type"))
}

// Once an error response went out whole, a later failure of the same
// request (here the handler panicking after its BeforeFinalize hook failed)
// is only logged: it neither runs the error hooks again nor cuts the
// connection.
func TestSecondFailureIsOnlyLogged(t *testing.T) {
	tree := engine.NewTree()
	logs := &syncBuffer{}
	tree.Logger = textLogger(logs)
	var errHooks int
	tree.Hook(engine.BeforeErrorResponse, 50, func(http.ResponseWriter, *http.Request) error { errHooks++; return nil })
	app := tree.Mount("/", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusOK)
		panic("after the replaced response")
	}))
	app.Hook(engine.BeforeFinalize, 50, func(http.ResponseWriter, *http.Request) error {
		return &engine.HTTPError{Status: http.StatusNotAcceptable}
	})
	src := httptest.NewRequest(http.MethodGet, "/", nil)
	req := engine.NewRequest(http.MethodGet, "/", nil)
	req.Source = src
	rec := httptest.NewRecorder()
	require.NotPanics(t, func() { req.Run(tree, rec) })
	assert.Equal(t, http.StatusNotAcceptable, rec.Code)
	assert.Contains(t, rec.Body.String(), "406")
	assert.Equal(t, 1, errHooks)
	assert.Contains(t, logs.String(), "after the replaced response")
}
