package engine_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"
	"weak"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-49a6713b/cherrygo/engine"
)

type keptKey struct{}

// kept is what a handler kept of its request.
type kept struct {
	r   *http.Request
	w   http.ResponseWriter
	req *engine.Request
}

// keeper is a tree whose app, mounted at script, keeps every request it
// serves, and answers with the target of the request.
func keeper(script string) (*engine.Tree, *[]kept) {
	var all []kept
	tree := engine.NewTree()
	tree.Logger = discardLogger()
	tree.Mount(script, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		all = append(all, kept{r: r, w: w, req: engine.RequestFrom(r)})
		fmt.Fprint(w, r.Context().Value(keptKey{}))
	}))
	return tree, &all
}

// serveTarget runs a request for target, with target as a context value
// and as the X-Target header.
func serveTarget(tree *engine.Tree, target string) *httptest.ResponseRecorder {
	req := engine.NewRequest(http.MethodGet, target, nil)
	req.Header.Set("X-Target", target)
	req.SetContext(context.WithValue(context.Background(), keptKey{}, target))
	rec := httptest.NewRecorder()
	req.Run(tree, rec)
	return rec
}

// Everything a handler kept of its request stays its own, however many
// requests follow: URL, header, context values, the engine request.
func TestKeptRequestStaysItsOwn(t *testing.T) {
	for _, script := range []string{"", "/app"} {
		tree, all := keeper(script)
		const n = 50
		for i := range n {
			serveTarget(tree, fmt.Sprintf("%s/r%d?i=%d", script, i, i))
		}
		require.Len(t, *all, n)
		for i, k := range *all {
			target := fmt.Sprintf("%s/r%d?i=%d", script, i, i)
			assert.Equal(t, fmt.Sprintf("/r%d", i), k.r.URL.Path, script)
			assert.Equal(t, fmt.Sprint(i), k.r.URL.Query().Get("i"), script)
			assert.Equal(t, target, k.r.Header.Get("X-Target"), script)
			assert.Equal(t, target, k.r.Context().Value(keptKey{}), script)
			assert.Same(t, k.req, engine.RequestFrom(k.r), "%s: RequestFrom stays the request's", script)
			assert.Equal(t, k.r.URL.Path, k.req.PathInfo, script)
			assert.Equal(t, script == "/app", engine.ScriptName(k.r) == "/app", script)
			for j := range i {
				assert.NotSame(t, (*all)[j].r, k.r)
				assert.NotSame(t, (*all)[j].req, k.req)
			}
		}
	}
}

// A context whose parent can never be cancelled is done once Run has
// returned, and not before.
func TestContextDoneWhenRequestEnds(t *testing.T) {
	tree := engine.NewTree()
	var ctx context.Context
	tree.Mount("/", http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		ctx = r.Context()
		select {
		case <-ctx.Done():
			t.Error("Done is closed while the handler runs")
		default:
		}
		assert.NoError(t, ctx.Err())
	}))
	req := engine.NewRequest(http.MethodGet, "/", nil)
	req.Run(tree, httptest.NewRecorder())
	select {
	case <-ctx.Done():
	default:
		t.Fatal("Done is not closed once Run has returned")
	}
	assert.ErrorIs(t, ctx.Err(), context.Canceled)
	assert.ErrorIs(t, context.Cause(ctx), context.Canceled)

	// Done asked for only after the end is closed as well, and a context
	// derived later is done at once.
	req = engine.NewRequest(http.MethodGet, "/", nil)
	tree.Mount("/", http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { ctx = r.Context() }))
	req.Run(tree, httptest.NewRecorder())
	child, cancel := context.WithCancel(ctx)
	defer cancel()
	select {
	case <-child.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("a context derived after the end is not done")
	}
}

// A derived context (http.TimeoutHandler's, say) taken during the
// request is done once the request ends, through the engine's channel.
func TestDerivedContextDoneWhenRequestEnds(t *testing.T) {
	tree := engine.NewTree()
	var child context.Context
	tree.Mount("/", http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		var cancel context.CancelFunc
		child, cancel = context.WithCancel(r.Context())
		_ = cancel // left to the end of the request
	}))
	engine.NewRequest(http.MethodGet, "/", nil).Run(tree, httptest.NewRecorder())
	select {
	case <-child.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("a context derived during the request is not done after it")
	}
}

// With a parent that can be cancelled, the app's context is done exactly
// when the parent is, as a context derived with WithValue would be.
func TestContextFollowsACancellableParent(t *testing.T) {
	tree := engine.NewTree()
	var ctx context.Context
	tree.Mount("/", http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { ctx = r.Context() }))
	parent, cancel := context.WithCancel(context.Background())
	req := engine.NewRequest(http.MethodGet, "/", nil)
	req.SetContext(parent)
	req.Run(tree, httptest.NewRecorder())
	assert.Equal(t, parent.Done(), ctx.Done())
	assert.NoError(t, ctx.Err(), "not done before its parent")
	cancel()
	<-ctx.Done()
	assert.ErrorIs(t, ctx.Err(), context.Canceled)
}

// A write on a kept ResponseWriter after the request ended is refused
// and reaches nothing; it never panics.
func TestLateWritesAreRefused(t *testing.T) {
	tree, all := keeper("/")
	first := serveTarget(tree, "/first")
	require.Equal(t, "/first", first.Body.String())
	k := (*all)[0]

	n, err := k.w.Write([]byte("late"))
	assert.Zero(t, n)
	assert.ErrorIs(t, err, engine.ErrRequestEnded)
	n, err = fmt.Fprint(k.w, "late again") // WriteString
	assert.Zero(t, n)
	assert.ErrorIs(t, err, engine.ErrRequestEnded)
	rf, ok := k.w.(io.ReaderFrom)
	require.True(t, ok)
	n64, err := rf.ReadFrom(strings.NewReader("late"))
	assert.Zero(t, n64)
	assert.ErrorIs(t, err, engine.ErrRequestEnded)
	k.w.WriteHeader(http.StatusTeapot)
	k.w.Header().Set("X-Late", "1")
	rc := http.NewResponseController(k.w)
	assert.ErrorIs(t, rc.Flush(), engine.ErrRequestEnded)
	_, _, err = rc.Hijack()
	assert.ErrorIs(t, err, engine.ErrRequestEnded)
	assert.ErrorIs(t, rc.SetWriteDeadline(time.Now()), engine.ErrRequestEnded)
	assert.ErrorIs(t, rc.SetReadDeadline(time.Now()), engine.ErrRequestEnded)
	assert.ErrorIs(t, rc.EnableFullDuplex(), engine.ErrRequestEnded)
	assert.Nil(t, k.w.(interface{ Unwrap() http.ResponseWriter }).Unwrap().Header().Values("X-Late"), "Unwrap reaches nothing once the request ended")

	assert.Equal(t, "/first", first.Body.String())
	assert.Equal(t, http.StatusOK, first.Code)
	assert.Empty(t, first.Header().Get("X-Late"))

	second := serveTarget(tree, "/second")
	k.w.Write([]byte("late"))
	assert.Equal(t, "/second", second.Body.String())
}

// A goroutine that kept the writer and writes while the request ends
// either gets its write in before the end, or is refused: once Run has
// returned, nothing more reaches the front end's writer.
func TestLateWriterRacingTheEnd(t *testing.T) {
	for round := range 50 {
		tree := engine.NewTree()
		started := make(chan struct{})
		stop := make(chan struct{})
		done := make(chan error, 1)
		tree.Mount("/", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Write([]byte("own;"))
			go func() {
				close(started)
				for {
					if _, err := w.Write([]byte("x")); err != nil {
						if errors.Is(err, engine.ErrRequestEnded) {
							err = nil
						}
						done <- err
						return
					}
					select {
					case <-stop:
						done <- errors.New("the writer was never refused")
						return
					default:
					}
				}
			}()
			<-started
		}))
		rec := httptest.NewRecorder()
		engine.NewRequest(http.MethodGet, "/", nil).Run(tree, rec)
		after := rec.Body.Len() // read with no lock: -race checks the hand-over
		var err error
		select {
		case err = <-done:
		case <-time.After(5 * time.Second):
			close(stop)
			err = <-done
		}
		require.NoError(t, err, "round %d", round)
		assert.Equal(t, after, rec.Body.Len(), "round %d: a write reached the recorder after Run returned", round)
	}
}

// A Request serves one request.
func TestRunTwicePanics(t *testing.T) {
	tree, _ := keeper("/")
	req := engine.NewRequest(http.MethodGet, "/", nil)
	req.Run(tree, httptest.NewRecorder())
	assert.Panics(t, func() { req.Run(tree, httptest.NewRecorder()) })
}

// A context kept by a background job keeps alive its own request's values,
// and nothing of any other request.
func TestKeptContextPinsNoOtherRequest(t *testing.T) {
	tree := engine.NewTree()
	var keptCtx context.Context
	tree.Mount("/", http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/keep" {
			keptCtx = r.Context()
		}
	}))
	serveBig := func(path string) weak.Pointer[[1 << 16]byte] {
		big := new([1 << 16]byte) // a session, a span: what a middleware puts in a context
		req := engine.NewRequest(http.MethodGet, path, nil)
		req.SetContext(context.WithValue(context.Background(), keptKey{}, big))
		req.Run(tree, httptest.NewRecorder())
		return weak.Make(big)
	}
	var others []weak.Pointer[[1 << 16]byte]
	for range 20 {
		others = append(others, serveBig("/other"))
	}
	own := serveBig("/keep")
	for range 20 {
		others = append(others, serveBig("/other"))
	}
	runtime.GC()
	for i, w := range others {
		assert.Nil(t, w.Value(), "request %d is kept alive by another request's context", i)
	}
	assert.NotNil(t, own.Value(), "the kept context holds its own values")
	runtime.KeepAlive(keptCtx)
}

// A handler that hijacked the connection may go on with its request (a
// WebSocket loop): its context and engine request stay as they were.
func TestHijackedRequestStaysReachable(t *testing.T) {
	var keptR *http.Request
	tree := engine.NewTree()
	tree.Mount("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		keptR = r
		if c, _, err := http.NewResponseController(w).Hijack(); err == nil {
			c.Close()
		}
	}))
	client, server := net.Pipe()
	defer client.Close()
	w := &hijackWriter{ResponseRecorder: httptest.NewRecorder(), conn: server}
	req := engine.NewRequest(http.MethodGet, "/ws", nil)
	req.Run(tree, w)
	require.True(t, w.hijacked)
	assert.Same(t, req, engine.RequestFrom(keptR))
	assert.Equal(t, "/ws", keptR.URL.Path)
}

type hijackWriter struct {
	*httptest.ResponseRecorder
	conn     net.Conn
	hijacked bool
}

func (w *hijackWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	w.hijacked = true
	return w.conn, bufio.NewReadWriter(bufio.NewReader(w.conn), bufio.NewWriter(w.conn)), nil
}

// The writer is closed from the moment the handler returns, not only once
// Run has: a goroutine the handler left writing never meets the error
// page the engine writes after a panic (under -race, any sharing shows),
// and what the client gets is either the cut-off response the goroutine
// began or the clean 500.
func TestLateWriterRacingTheErrorPage(t *testing.T) {
	for round := range 50 {
		tree := engine.NewTree()
		tree.Logger = discardLogger()
		done := make(chan struct{})
		tree.Mount("/", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			go func() {
				defer close(done)
				for {
					// Only Write: a header map touched after the handler
					// returned races with whoever owns it then, as with
					// net/http itself (seen under -race in CI).
					if _, err := w.Write([]byte("x")); errors.Is(err, engine.ErrRequestEnded) {
						return
					}
				}
			}()
			panic("boom")
		}))
		rec := httptest.NewRecorder()
		req := engine.NewRequest(http.MethodGet, "/", nil)
		req.Run(tree, rec)
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatalf("round %d: the late writer was never refused", round)
		}
		if !req.Aborted() {
			assert.Equal(t, http.StatusInternalServerError, rec.Code, "round %d", round)
			assert.NotContains(t, rec.Body.String(), "x", "round %d: a late write reached the error page", round)
		}
	}
}

// SetContext once Run has begun would swap the parent of a context the
// app may hold: it panics instead.
func TestSetContextAfterRunPanics(t *testing.T) {
	tree := engine.NewTree()
	tree.Mount("/", http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	req := engine.NewRequest(http.MethodGet, "/", nil)
	req.Run(tree, httptest.NewRecorder())
	assert.Panics(t, func() { req.SetContext(context.Background()) })
}

// bigWriter is a front end's writer with something large inside, as
// net/http's holds its connection.
type bigWriter struct {
	*httptest.ResponseRecorder
	ballast [1 << 16]byte
}

// A context kept after the request does not keep the front end's writer
// alive.
func TestKeptContextLetsGoOfTheFrontEndWriter(t *testing.T) {
	tree := engine.NewTree()
	var kept context.Context
	tree.Mount("/", http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { kept = r.Context() }))
	w := &bigWriter{ResponseRecorder: httptest.NewRecorder()}
	w.ballast[0] = 1
	weakW := weak.Make(w)
	engine.NewRequest(http.MethodGet, "/", nil).Run(tree, w)
	w = nil
	runtime.GC()
	assert.Nil(t, weakW.Value(), "the kept context keeps the front end's writer alive")
	assert.NotNil(t, engine.FromContext(kept))
	runtime.KeepAlive(kept)
}
