package engine_test

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"weak"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-49a6713b/cherrygo/engine"
)

type keptKey struct{}

// keeper is a tree whose app keeps the context of every request (and asks
// for the engine request when the query has "ask").
type keeper struct {
	tree *engine.Tree
	kept []context.Context
}

func newKeeper() *keeper {
	k := &keeper{tree: engine.NewTree()}
	k.tree.Mount("/", http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		k.kept = append(k.kept, r.Context())
		if r.URL.Query().Has("ask") {
			_ = engine.RequestFrom(r)
		}
	}))
	return k
}

// serve fills req for target (with target as a context value) and runs it.
func (k *keeper) serve(req *engine.Request, w http.ResponseWriter, target string) context.Context {
	src := httptest.NewRequest(http.MethodGet, target, nil)
	req.Method, req.PathInfo, req.QueryString, req.Protocol, req.Host = src.Method, src.URL.Path, src.URL.RawQuery, src.Proto, src.Host
	req.Header, req.Body, req.Source = src.Header, src.Body, src
	req.SetContext(context.WithValue(src.Context(), keptKey{}, target))
	req.Run(k.tree, w)
	return k.kept[len(k.kept)-1]
}

// A released Request serves again; the context its app kept still holds
// its own values and script name, and reaches no engine request.
func TestReleaseReusesAndCutsKeptContexts(t *testing.T) {
	k := newKeeper()
	req := new(engine.Request)
	kept := k.serve(req, httptest.NewRecorder(), "/x")
	require.Same(t, req, req.Release(), "nothing held it: reused")
	assert.Empty(t, req.PathInfo, "Release resets the request")
	assert.Nil(t, engine.FromContext(kept))
	assert.Equal(t, "/x", kept.Value(keptKey{}))

	next := k.serve(req, httptest.NewRecorder(), "/y")
	assert.Equal(t, "/x", kept.Value(keptKey{}), "the next request does not change a kept context")
	assert.Equal(t, "/y", next.Value(keptKey{}))
}

// A Request somebody asked for while it ran is not reused: Release hands
// out a new one, which takes over its spare contexts, and whoever got the
// old one may go on reading it.
func TestReleaseKeepsAClaimedRequest(t *testing.T) {
	k := newKeeper()
	req := new(engine.Request)
	kept := k.serve(req, httptest.NewRecorder(), "/y?ask")
	next := req.Release()
	require.NotSame(t, req, next)
	assert.Equal(t, "/y", req.PathInfo, "left alone")
	assert.Same(t, req, engine.FromContext(kept))
	k.serve(next, httptest.NewRecorder(), "/z")
	assert.Equal(t, "/y", req.PathInfo)
	assert.Equal(t, "/y?ask", kept.Value(keptKey{}))
}

// A bus listener on the request channels gets the Request: it is not
// reused either.
func TestReleaseKeepsARequestPublished(t *testing.T) {
	k := newKeeper()
	k.tree.Bus = engine.New(engine.WithLogger(discardLogger()))
	k.tree.Bus.Subscribe(engine.ChannelAfterRequest, func(context.Context, any) (any, error) { return nil, nil }, 0)
	req := new(engine.Request)
	kept := k.serve(req, httptest.NewRecorder(), "/z")
	assert.False(t, req.End())
	assert.NotSame(t, req, req.Release())
	assert.Same(t, req, engine.FromContext(kept))
}

// A handler that hijacked the connection may go on with its request (a
// WebSocket loop): the Request counts as handed out.
func TestReleaseKeepsAHijackedRequest(t *testing.T) {
	var kept context.Context
	tree := engine.NewTree()
	tree.Mount("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		kept = r.Context()
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
	assert.NotSame(t, req, req.Release())
	assert.Same(t, req, engine.FromContext(kept), "still reachable, as it is not reused")
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

// Reset cuts the contexts handed out so far, claimed ones too, and clears
// the claim, so that the Request can be released after its next request.
func TestResetCutsKeptContexts(t *testing.T) {
	k := newKeeper()
	req := new(engine.Request)
	first := k.serve(req, httptest.NewRecorder(), "/one?ask")
	require.Same(t, req, engine.FromContext(first))
	req.Reset()
	assert.Nil(t, engine.FromContext(first))
	k.serve(req, httptest.NewRecorder(), "/two")
	assert.Same(t, req, req.Release(), "no longer claimed")
}

// A copy of a Request (a snapshot of its fields) does not share what the
// original keeps to save allocations: both may run, and the contexts and
// IDs they hand out stay their own.
func TestCopiedRequestRunsOnItsOwn(t *testing.T) {
	k := newKeeper()
	req := new(engine.Request)
	k.serve(req, httptest.NewRecorder(), "/warm1")
	req = req.Release()
	k.serve(req, httptest.NewRecorder(), "/warm2") // a batch of 2, one left
	req = req.Release()

	snapshot := *req
	a := k.serve(req, httptest.NewRecorder(), "/a")
	b := k.serve(&snapshot, httptest.NewRecorder(), "/b")
	assert.Equal(t, "/a", a.Value(keptKey{}))
	assert.Equal(t, "/b", b.Value(keptKey{}))
	assert.NotEqual(t, req.ID, snapshot.ID)
}

// A released Request keeps nothing alive through the request it handed its
// app: a Request used once holds no context at all once released, and a
// Request reused many times holds the contexts of at most its last
// contextBatch requests (through its batch), not older ones.
func TestReleasedRequestHoldsNoOldContext(t *testing.T) {
	k := newKeeper()
	serveBig := func(req *engine.Request) weak.Pointer[[1 << 16]byte] {
		big := new([1 << 16]byte) // a session, a span: something a middleware put in the context
		src := httptest.NewRequest(http.MethodGet, "/", nil)
		req.Method, req.PathInfo, req.Protocol, req.Host, req.Source = src.Method, src.URL.Path, src.Proto, src.Host, src
		req.SetContext(context.WithValue(src.Context(), keptKey{}, big))
		req.Run(k.tree, httptest.NewRecorder())
		k.kept = nil // the app lets go of it too
		require.Same(t, req, req.Release())
		return weak.Make(big)
	}
	fresh := new(engine.Request)
	first := serveBig(fresh)
	runtime.GC()
	assert.Nil(t, first.Value(), "a Request used once keeps its request's context alive")
	runtime.KeepAlive(fresh)

	reused := new(engine.Request)
	for range 20 {
		k.serve(reused, httptest.NewRecorder(), "/")
		require.Same(t, reused, reused.Release())
	}
	old := serveBig(reused)
	for range 16 { // past the batch old's context came from
		k.serve(reused, httptest.NewRecorder(), "/")
		require.Same(t, reused, reused.Release())
	}
	k.kept = nil
	runtime.GC()
	assert.Nil(t, old.Value(), "a reused Request keeps a context from 16 requests ago alive")
	runtime.KeepAlive(reused)
}

// A Request that was handed out gives what it kept to save allocations to
// the new Request Release returns: if its owner resets and runs it again,
// the two never hand out the same context.
func TestReleaseOfAHandedOutRequestGivesUpItsSpares(t *testing.T) {
	k := newKeeper()
	req := new(engine.Request)
	for range 8 { // grow the batches
		k.serve(req, httptest.NewRecorder(), "/")
		req = req.Release()
	}
	k.serve(req, httptest.NewRecorder(), "/claimed?ask")
	next := req.Release()
	require.NotSame(t, req, next)
	req.Reset()
	var kept []context.Context
	for i := range 6 {
		target := "/" + strconv.Itoa(i)
		if i%2 == 0 {
			kept = append(kept, k.serve(req, httptest.NewRecorder(), target))
		} else {
			kept = append(kept, k.serve(next, httptest.NewRecorder(), target))
		}
	}
	for i, ctx := range kept {
		assert.Equal(t, "/"+strconv.Itoa(i), ctx.Value(keptKey{}))
	}
}

// Release never reuses a Request that a kept context handed out, even
// when the question and the release interleave: two goroutines ask over
// and over while Release runs.
func TestReleaseNeverReusesARequestHandedOutMeanwhile(t *testing.T) {
	k := newKeeper()
	bad := 0
	for range 2000 {
		req := new(engine.Request)
		ctx := k.serve(req, httptest.NewRecorder(), "/race")
		k.kept = k.kept[:0]
		start := make(chan struct{})
		got := make(chan bool, 2)
		for range 2 {
			go func() {
				<-start
				for range 50 {
					if engine.FromContext(ctx) != nil {
						got <- true
						return
					}
				}
				got <- false
			}()
		}
		close(start)
		reused := req.Release() == req
		if a, b := <-got, <-got; reused && (a || b) {
			bad++
		}
	}
	assert.Zero(t, bad, "Release reused a Request that a kept context handed out")
}

// Asking for a Request through a kept context races with its release:
// either the question comes first and the Request is not reused, or the
// release does and the question gets nil. Every other round gives the
// asking goroutine a head start, so both orders are seen.
func TestReleaseRacesWithAKeptContext(t *testing.T) {
	k := newKeeper()
	outcomes := map[bool]int{}
	for i := range 400 {
		req := new(engine.Request)
		ctx := k.serve(req, httptest.NewRecorder(), "/race")
		var started sync.WaitGroup
		started.Add(1)
		got := make(chan string, 1)
		go func() {
			started.Done()
			if er := engine.FromContext(ctx); er != nil {
				got <- er.PathInfo // only safe if er is never reused
				return
			}
			got <- ""
		}()
		if i%2 == 0 {
			started.Wait()
		}
		reused := req.Release() == req
		if reused {
			req.PathInfo = "reused" // as the next request would
		}
		seen := <-got
		started.Wait()
		outcomes[reused]++
		if reused {
			assert.Empty(t, seen, "a reused Request is not handed out")
		} else {
			assert.Equal(t, "/race", seen)
		}
	}
	t.Logf("reused %d times, asked for first %d times", outcomes[true], outcomes[false])
	assert.Positive(t, outcomes[true])
	assert.Positive(t, outcomes[false])
}
