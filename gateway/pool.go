package gateway

import (
	"net/http"
	"strconv"
	"sync/atomic"
	"time"
)

// ThreadPool returns a middleware that lets at most size handlers run at
// once, CherryPy's thread_pool with accepted_queue_size and
// accepted_queue_timeout. It is NewPool(size, queue, timeout).Middleware;
// use NewPool directly to watch InFlight and Waiting. Size ≤ 0 means no
// limit: the middleware returns next unchanged.
func ThreadPool(size, queue int, timeout time.Duration) func(http.Handler) http.Handler {
	return NewPool(size, queue, timeout).Middleware
}

// Pool limits how many handlers run at once. A request that finds every
// slot taken waits in a queue for one to free; a request that cannot wait
// (the queue is full, or its wait ran out) gets 503 Service Unavailable
// with a Retry-After header, instead of the connection reset an
// overloaded server might otherwise give (the reference's pain point 6).
//
// Goroutines are not a scarce resource in Go, so the pool does not own
// worker goroutines: it is a counting semaphore in front of the handler.
// Waiting requests get slots in arrival order. The fast path (a free slot)
// is one non-blocking channel send and costs no allocation.
//
// A Pool is safe for concurrent use; one Pool may guard several handlers,
// which then share its slots.
type Pool struct {
	slots      chan struct{} // one token per running handler; nil: no limit
	queue      chan struct{} // one token per waiting request; nil: no bound
	queueSize  int           // as given: -1 no bound, 0 no waiting
	timeout    time.Duration // ≤ 0: wait until a slot or the client goes
	retryAfter string        // Retry-After value, whole seconds ≥ 1
	waiting    atomic.Int64

	// onQueue, when set (by tests), is called with +1 when a request
	// starts waiting and -1 when it stops.
	onQueue func(delta int)
}

// NewPool returns a Pool of size slots (≤ 0: no limit). Queue bounds the
// requests waiting for a slot: -1 (or any negative value) means no bound,
// 0 that none wait (a request finding no free slot gets 503 at once).
// Timeout is how long a request waits before it gets 503; ≤ 0 means it
// waits until a slot frees or its client goes away. Retry-After carries
// the timeout rounded up to whole seconds, at least 1.
func NewPool(size, queue int, timeout time.Duration) *Pool {
	p := &Pool{queueSize: queue, timeout: timeout}
	if size > 0 {
		p.slots = make(chan struct{}, size)
	}
	if queue > 0 {
		p.queue = make(chan struct{}, queue)
	}
	secs := int64((timeout + time.Second - 1) / time.Second)
	if secs < 1 {
		secs = 1
	}
	p.retryAfter = strconv.FormatInt(secs, 10)
	return p
}

// Middleware returns next guarded by the pool, or next itself when the
// pool has no limit.
//
// A request that waits for a slot leaves the queue as soon as its context
// ends (the client went away): it is answered 503, which a departed
// client never reads, and next never runs for it.
func (p *Pool) Middleware(next http.Handler) http.Handler {
	if p.slots == nil {
		return next
	}
	return &poolHandler{pool: p, next: next}
}

// InFlight is the number of handlers running under the pool now.
func (p *Pool) InFlight() int { return len(p.slots) }

// Waiting is the number of requests waiting for a slot now.
func (p *Pool) Waiting() int { return int(p.waiting.Load()) }

// poolHandler is Pool.Middleware's handler.
type poolHandler struct {
	pool *Pool
	next http.Handler
}

func (h *poolHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := h.pool
	select {
	case p.slots <- struct{}{}:
	default:
		if !p.wait(r) {
			p.reject(w)
			return
		}
	}
	defer p.release()
	h.next.ServeHTTP(w, r)
}

func (p *Pool) release() { <-p.slots }

// wait queues r for a slot and reports whether it got one.
func (p *Pool) wait(r *http.Request) bool {
	if p.queueSize == 0 {
		return false
	}
	if p.queue != nil {
		select {
		case p.queue <- struct{}{}:
			defer func() { <-p.queue }()
		default:
			return false
		}
	}
	p.waiting.Add(1)
	if p.onQueue != nil {
		p.onQueue(1)
	}
	defer func() {
		p.waiting.Add(-1)
		if p.onQueue != nil {
			p.onQueue(-1)
		}
	}()
	var expired <-chan time.Time
	if p.timeout > 0 {
		t := time.NewTimer(p.timeout)
		defer t.Stop()
		expired = t.C
	}
	select {
	case p.slots <- struct{}{}:
		return true
	case <-expired:
		return false
	case <-r.Context().Done():
		return false
	}
}

// reject answers 503 with Retry-After.
func (p *Pool) reject(w http.ResponseWriter) {
	w.Header().Set("Retry-After", p.retryAfter)
	http.Error(w, "503 Service Unavailable: the server is busy, try again later", http.StatusServiceUnavailable)
}
