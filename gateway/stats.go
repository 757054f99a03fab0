package gateway

import (
	"encoding/json"
	"errors"
	"expvar"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// ErrPublished is returned (wrapped) by Statistics.Publish when the expvar
// name is already taken.
var ErrPublished = errors.New("expvar name already published")

// Statistics counts requests per server and per mounted app, CherryPy's
// server statistics: requests served, requests in flight, body bytes
// received and sent, and final statuses by class. Give each server (or
// each app of a server) its own Middleware; read the counts with Snapshot,
// serve them as JSON (Statistics is an http.Handler) or export them with
// expvar (Publish).
//
// Counters are atomic and each (server, app) pair gets its entry when its
// Middleware is built, so counting a request takes no lock and no
// allocation. A Statistics is safe for concurrent use.
type Statistics struct {
	since time.Time

	mu      sync.Mutex   // guards entries
	entries []*statEntry // in creation order, one per (server, app)
}

// NewStatistics returns a Statistics with no entries, counting from now.
func NewStatistics() *Statistics {
	return &Statistics{since: time.Now()}
}

// StatsSnapshot is a copy of the counts at one moment, ready for JSON.
type StatsSnapshot struct {
	// Since is when counting began (NewStatistics).
	Since time.Time `json:"since"`
	// Total sums every entry.
	Total StatsCounters `json:"total"`
	// Apps has one entry per (server, app) pair, in the order their
	// middlewares were built.
	Apps []AppStats `json:"apps"`
}

// AppStats is the count for one app of one server.
type AppStats struct {
	Server string `json:"server"`
	App    string `json:"app"`
	StatsCounters
}

// StatsCounters are the counts of one entry or of all of them.
type StatsCounters struct {
	// Requests is the number of requests finished (answered or aborted).
	Requests uint64 `json:"requests"`
	// InFlight is the number of requests being handled now.
	InFlight int64 `json:"in_flight"`
	// Aborted counts requests whose handler panicked through the
	// middleware (a connection aborted with http.ErrAbortHandler, or a
	// panic no Recover caught).
	Aborted uint64 `json:"aborted"`
	// BytesRead sums the request bodies' declared lengths
	// (Content-Length); bodies of unknown length are not counted, which
	// keeps the count free of a body wrapper.
	BytesRead uint64 `json:"bytes_read"`
	// BytesWritten sums the response body bytes handed to the server.
	BytesWritten uint64 `json:"bytes_written"`
	// Status counts the final statuses by class. A hijacked connection
	// that never set a status is in no class.
	Status StatusClasses `json:"status"`
}

// StatusClasses counts responses by status class.
type StatusClasses struct {
	Informational uint64 `json:"1xx"`
	Success       uint64 `json:"2xx"`
	Redirection   uint64 `json:"3xx"`
	ClientError   uint64 `json:"4xx"`
	ServerError   uint64 `json:"5xx"`
}

// statEntry holds one (server, app) pair's counters.
type statEntry struct {
	server, app  string
	requests     atomic.Uint64
	inFlight     atomic.Int64
	aborted      atomic.Uint64
	bytesRead    atomic.Uint64
	bytesWritten atomic.Uint64
	status       [5]atomic.Uint64 // 1xx … 5xx
}

// Middleware returns a middleware that counts the requests it serves under
// (server, app). Calls with the same pair share one entry.
func (s *Statistics) Middleware(server, app string) func(http.Handler) http.Handler {
	e := s.entry(server, app)
	return func(next http.Handler) http.Handler {
		return &statHandler{entry: e, next: next}
	}
}

// entry finds or creates the (server, app) entry.
func (s *Statistics) entry(server, app string) *statEntry {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range s.entries {
		if e.server == server && e.app == app {
			return e
		}
	}
	e := &statEntry{server: server, app: app}
	s.entries = append(s.entries, e)
	return e
}

// statHandler is Statistics.Middleware's handler.
type statHandler struct {
	entry *statEntry
	next  http.Handler
}

func (h *statHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rw := wrap(w)
	e := h.entry
	e.inFlight.Add(1)
	if r.ContentLength > 0 {
		e.bytesRead.Add(uint64(r.ContentLength))
	}
	finished := false
	defer func() {
		e.inFlight.Add(-1)
		e.requests.Add(1)
		e.bytesWritten.Add(uint64(rw.sentBytes(r.Method)))
		if !finished {
			e.aborted.Add(1)
		}
		if class := rw.finalStatus() / 100; class >= 1 && class <= 5 {
			e.status[class-1].Add(1)
		}
	}()
	h.next.ServeHTTP(rw, r)
	finished = true
}

// Snapshot returns the counts now. Each counter is read atomically; the
// snapshot as a whole is not one instant (a request finishing meanwhile
// may show in one counter and not yet in another).
func (s *Statistics) Snapshot() StatsSnapshot {
	s.mu.Lock()
	entries := s.entries[:len(s.entries):len(s.entries)]
	s.mu.Unlock()

	snap := StatsSnapshot{Since: s.since, Apps: make([]AppStats, 0, len(entries))}
	for _, e := range entries {
		c := e.counters()
		snap.Apps = append(snap.Apps, AppStats{Server: e.server, App: e.app, StatsCounters: c})
		snap.Total.add(c)
	}
	return snap
}

func (e *statEntry) counters() StatsCounters {
	return StatsCounters{
		Requests:     e.requests.Load(),
		InFlight:     e.inFlight.Load(),
		Aborted:      e.aborted.Load(),
		BytesRead:    e.bytesRead.Load(),
		BytesWritten: e.bytesWritten.Load(),
		Status: StatusClasses{
			Informational: e.status[0].Load(),
			Success:       e.status[1].Load(),
			Redirection:   e.status[2].Load(),
			ClientError:   e.status[3].Load(),
			ServerError:   e.status[4].Load(),
		},
	}
}

func (c *StatsCounters) add(o StatsCounters) {
	c.Requests += o.Requests
	c.InFlight += o.InFlight
	c.Aborted += o.Aborted
	c.BytesRead += o.BytesRead
	c.BytesWritten += o.BytesWritten
	c.Status.Informational += o.Status.Informational
	c.Status.Success += o.Status.Success
	c.Status.Redirection += o.Status.Redirection
	c.Status.ClientError += o.Status.ClientError
	c.Status.ServerError += o.Status.ServerError
}

// ServeHTTP serves the Snapshot as JSON. Mount it where only operators
// can reach it.
func (s *Statistics) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := json.Marshal(s.Snapshot())
	if err != nil { // not reached: the snapshot is plain data
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(body)
}

// Publish exports the statistics with expvar under name (served at
// /debug/vars by expvar's handler), as a value that takes a fresh
// Snapshot whenever it is read. expvar names are global to the process
// and cannot be removed: a name already taken gives an error wrapping
// ErrPublished instead of expvar's panic. (Two Publish calls racing for
// the same new name can still reach expvar's panic; publish once, from
// main.)
func (s *Statistics) Publish(name string) error {
	if expvar.Get(name) != nil {
		return fmt.Errorf("gateway: publish statistics as %q: %w", name, ErrPublished)
	}
	expvar.Publish(name, expvar.Func(func() any { return s.Snapshot() }))
	return nil
}
