package engine

import (
	"cmp"
	"net/http"
	"slices"
	"strconv"
)

// HookPoint is a point of Run where hooks are called.
type HookPoint int

// The hook points, in the order Run reaches them (see Request.Run).
const (
	// OnStartResource runs once the tree has chosen the app.
	OnStartResource HookPoint = iota
	// BeforeRequestBody runs before the handler may read the body: the
	// place to limit, decode or refuse it.
	BeforeRequestBody
	// BeforeHandler runs just before the app's handler.
	BeforeHandler
	// BeforeFinalize runs just before the response header is sent: when
	// the handler first calls WriteHeader, Write or Flush, or when it
	// returns without having written. Hooks may still change the header.
	BeforeFinalize
	// OnEndResource runs after the handler, whether it failed or not.
	OnEndResource
	// BeforeErrorResponse runs before an error response is written, once
	// the headers about the lost response's content are gone (the
	// Content-* headers, validators, caching, Location and Trailer, also
	// those middleware in front set; cookies, CORS, Vary and X-* stay):
	// headers set here go out with the error response.
	BeforeErrorResponse
	// AfterErrorResponse runs after an error response was written.
	AfterErrorResponse
	// OnEndRequest runs last, for every request, even one that failed
	// before an app was chosen.
	OnEndRequest

	numHookPoints
)

var hookPointNames = [...]string{
	OnStartResource:     "on_start_resource",
	BeforeRequestBody:   "before_request_body",
	BeforeHandler:       "before_handler",
	BeforeFinalize:      "before_finalize",
	OnEndResource:       "on_end_resource",
	BeforeErrorResponse: "before_error_response",
	AfterErrorResponse:  "after_error_response",
	OnEndRequest:        "on_end_request",
}

// String returns the point's CherryPy name, "before_handler" for example.
func (p HookPoint) String() string {
	if p >= 0 && p < numHookPoints {
		return hookPointNames[p]
	}
	return "HookPoint(" + strconv.Itoa(int(p)) + ")"
}

// A Hook is called at a hook point with the response writer and the
// application's request (engine.RequestFrom(r) reaches the engine request).
//
// A hook may answer the request itself by returning (or panicking with) an
// *HTTPError or *HTTPRedirect; any other error becomes a 500. Errors
// returned at OnEndResource, AfterErrorResponse and OnEndRequest can no
// longer change the response: they are logged.
type Hook func(w http.ResponseWriter, r *http.Request) error

type hookEntry struct {
	priority int
	seq      uint64
	fn       Hook
}

// hookSet holds the hooks of every point, each list in running order.
type hookSet [numHookPoints][]hookEntry

func (s *hookSet) empty(p HookPoint) bool { return len(s[p]) == 0 }

// with returns a copy of s with e added at p, ordered by priority and then
// by registration.
func (s *hookSet) with(p HookPoint, e hookEntry) *hookSet {
	next := *s
	list := slices.Clone(s[p])
	list = append(list, e)
	slices.SortStableFunc(list, compareHooks)
	next[p] = list
	return &next
}

// merge returns the tree's hooks and an app's hooks together, each point
// ordered by priority and then by registration.
func merge(tree, app *hookSet) *hookSet {
	var out hookSet
	for p := range numHookPoints {
		if len(app[p]) == 0 {
			out[p] = tree[p]
			continue
		}
		list := append(slices.Clone(tree[p]), app[p]...)
		slices.SortStableFunc(list, compareHooks)
		out[p] = list
	}
	return &out
}

func compareHooks(a, b hookEntry) int {
	if c := cmp.Compare(a.priority, b.priority); c != 0 {
		return c // not a subtraction: extreme priorities would overflow
	}
	return cmp.Compare(a.seq, b.seq)
}
