package gateway

// The pool tests are internal: they watch the queue through the Pool's
// onQueue hook, which is how they wait for a request to be queued
// without sleeping.

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const poolWait = 10 * time.Second

// blocker is a handler that reports each entry on entered and then waits
// until release is closed.
type blocker struct {
	entered chan struct{}
	release chan struct{}
	runs    atomic.Int64
}

func newBlocker(t *testing.T) *blocker {
	b := &blocker{entered: make(chan struct{}, 16), release: make(chan struct{})}
	t.Cleanup(b.open)
	return b
}

func (b *blocker) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b.runs.Add(1)
	b.entered <- struct{}{}
	<-b.release
	_, _ = io.WriteString(w, "done")
}

// open releases every waiting handler; it may be called more than once.
func (b *blocker) open() {
	select {
	case <-b.release:
	default:
		close(b.release)
	}
}

// poolServer serves h through p on a loopback server that is closed after
// every blocked handler is released (cleanups run last-in first-out).
func poolServer(t *testing.T, p *Pool, h http.Handler) *httptest.Server {
	srv := httptest.NewServer(p.Middleware(h))
	t.Cleanup(srv.Close)
	return srv
}

type poolResult struct {
	status     int
	retryAfter string
	body       string
	err        error
}

func poolGet(ctx context.Context, client *http.Client, url string) <-chan poolResult {
	ch := make(chan poolResult, 1)
	go func() {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			ch <- poolResult{err: err}
			return
		}
		resp, err := client.Do(req)
		if err != nil {
			ch <- poolResult{err: err}
			return
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		ch <- poolResult{status: resp.StatusCode, retryAfter: resp.Header.Get("Retry-After"), body: string(body), err: err}
	}()
	return ch
}

func await[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(poolWait):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

// queueEvents returns a channel receiving the pool's queue joins (+1) and
// leaves (-1).
func queueEvents(p *Pool) <-chan int {
	ch := make(chan int, 64)
	p.onQueue = func(delta int) { ch <- delta }
	return ch
}

func TestPoolSaturationAnswers503WhileRunningRequestsComplete(t *testing.T) {
	p := NewPool(2, 0, 2500*time.Millisecond)
	b := newBlocker(t)
	srv := poolServer(t, p, b)
	ctx := t.Context()

	first := poolGet(ctx, srv.Client(), srv.URL)
	second := poolGet(ctx, srv.Client(), srv.URL)
	await(t, b.entered, "first handler")
	await(t, b.entered, "second handler")
	assert.Equal(t, 2, p.InFlight())

	over := await(t, poolGet(ctx, srv.Client(), srv.URL), "refused request")
	require.NoError(t, over.err)
	assert.Equal(t, http.StatusServiceUnavailable, over.status)
	assert.Equal(t, "3", over.retryAfter, "timeout rounded up to whole seconds")

	b.open()
	for _, ch := range []<-chan poolResult{first, second} {
		res := await(t, ch, "running request")
		require.NoError(t, res.err)
		assert.Equal(t, http.StatusOK, res.status)
		assert.Equal(t, "done", res.body)
	}
	after := await(t, poolGet(ctx, srv.Client(), srv.URL), "request after the load")
	require.NoError(t, after.err)
	assert.Equal(t, http.StatusOK, after.status)
	assert.Equal(t, 0, p.InFlight())
}

func TestPoolQueueBound(t *testing.T) {
	p := NewPool(1, 1, poolWait)
	events := queueEvents(p)
	b := newBlocker(t)
	srv := poolServer(t, p, b)
	ctx := t.Context()

	running := poolGet(ctx, srv.Client(), srv.URL)
	await(t, b.entered, "running handler")
	queued := poolGet(ctx, srv.Client(), srv.URL)
	assert.Equal(t, 1, await(t, events, "queued request"))
	assert.Equal(t, 1, p.Waiting())

	over := await(t, poolGet(ctx, srv.Client(), srv.URL), "request over the queue bound")
	require.NoError(t, over.err)
	assert.Equal(t, http.StatusServiceUnavailable, over.status)
	assert.NotEmpty(t, over.retryAfter)

	b.open()
	for _, ch := range []<-chan poolResult{running, queued} {
		res := await(t, ch, "admitted request")
		require.NoError(t, res.err)
		assert.Equal(t, http.StatusOK, res.status)
	}
	assert.Equal(t, -1, await(t, events, "queue leave"))
	assert.EqualValues(t, 2, b.runs.Load())
}

func TestPoolQueueTimeout(t *testing.T) {
	p := NewPool(1, -1, 20*time.Millisecond)
	b := newBlocker(t)
	srv := poolServer(t, p, b)
	ctx := t.Context()

	running := poolGet(ctx, srv.Client(), srv.URL)
	await(t, b.entered, "running handler")

	late := await(t, poolGet(ctx, srv.Client(), srv.URL), "timed-out request")
	require.NoError(t, late.err)
	assert.Equal(t, http.StatusServiceUnavailable, late.status)
	assert.Equal(t, "1", late.retryAfter, "at least one second")
	assert.Equal(t, 0, p.Waiting())

	b.open()
	res := await(t, running, "running request")
	require.NoError(t, res.err)
	assert.Equal(t, http.StatusOK, res.status)
}

func TestPoolWaitingClientGoesAway(t *testing.T) {
	p := NewPool(1, -1, poolWait)
	events := queueEvents(p)
	b := newBlocker(t)
	srv := poolServer(t, p, b)

	running := poolGet(t.Context(), srv.Client(), srv.URL)
	await(t, b.entered, "running handler")

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	gone := poolGet(ctx, srv.Client(), srv.URL)
	assert.Equal(t, 1, await(t, events, "queued request"))
	cancel()
	res := await(t, gone, "cancelled request")
	assert.ErrorIs(t, res.err, context.Canceled)
	assert.Equal(t, -1, await(t, events, "queue leave"), "the request leaves the queue while the slot is still taken")
	assert.Equal(t, 0, p.Waiting())
	assert.Equal(t, 1, p.InFlight())

	b.open()
	res = await(t, running, "running request")
	require.NoError(t, res.err)
	assert.Equal(t, http.StatusOK, res.status)
	assert.EqualValues(t, 1, b.runs.Load(), "the departed request never ran")
}

func TestPoolSlotReleasedAfterPanic(t *testing.T) {
	p := NewPool(1, 0, time.Second)
	var calls atomic.Int64
	srv := poolServer(t, p, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			panic(http.ErrAbortHandler)
		}
	}))

	first := await(t, poolGet(t.Context(), srv.Client(), srv.URL), "aborted request")
	assert.Error(t, first.err)
	second := await(t, poolGet(t.Context(), srv.Client(), srv.URL), "next request")
	require.NoError(t, second.err)
	assert.Equal(t, http.StatusOK, second.status)
	assert.Equal(t, 0, p.InFlight())
}

type samePtr struct{ _ int }

func (*samePtr) ServeHTTP(http.ResponseWriter, *http.Request) {}

func TestPoolNoLimitReturnsNext(t *testing.T) {
	next := &samePtr{}
	assert.Same(t, next, ThreadPool(0, 5, time.Second)(next))
	assert.Same(t, next, NewPool(-1, 0, 0).Middleware(next))
}
