package engine

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync/atomic"
	"time"
)

// Request is one HTTP request as the engine sees it, independent of the
// server that received it. A front end fills its fields and calls Run; the
// gateway does so for every net/http call, an in-process client (package
// enginetest) or a test can do so from plain values.
//
// A Request is not safe for concurrent use. A front end may serve many
// requests with one Request, as the gateway does with a pool: once Run has
// returned, Release ends the request and says which Request serves the
// next one. What the application may keep of a request, and what it must
// not, is told in the package documentation under "Reusing requests".
type Request struct {
	// Method is the request method ("GET", "POST", …).
	Method string
	// ScriptName is the part of the path that leads to the mounted app. A
	// front end that is itself mounted under a prefix sets it to that
	// prefix (usually it is ""); Run appends the mount point it selects.
	ScriptName string
	// PathInfo is the rest of the path, as decoded by url.URL: the whole
	// path when the front end calls Run, the part after the app's mount
	// point once the tree has chosen the app.
	PathInfo string
	// QueryString is the raw query, without the '?'.
	QueryString string
	// Protocol is the request's protocol, "HTTP/1.1" for example.
	Protocol string
	// ServerProtocol is the highest protocol the server speaks (CherryPy's
	// protocol_version); empty means "HTTP/1.1".
	ServerProtocol string
	// Scheme is "http" or "https".
	Scheme string
	// Host is the requested host (the Host header or the URL's authority).
	Host string
	// Header holds the request headers. Front ends hand over their own map;
	// it is never copied.
	Header http.Header
	// Body is the request body; nil means no body.
	Body io.ReadCloser
	// ContentLength is the body's length, -1 when unknown.
	ContentLength int64
	// RemoteAddr is the client's "ip:port", as net/http gives it; "" or
	// "@" over a unix socket. Remote parses it.
	RemoteAddr string
	// LocalAddr is the address the request came in on; nil means unknown,
	// or, for a request converted from net/http, to be read from Source's
	// context (http.LocalAddrContextKey) when asked. Local parses it.
	LocalAddr net.Addr
	// RemoteHost is the client's host name when reverse DNS is on and the
	// lookup succeeded in time; empty otherwise.
	RemoteHost string
	// ID identifies the request in logs; Run numbers requests that come
	// without one, uniquely within the tree (requests served at the same
	// time are not numbered in the order they arrived, and numbers may be
	// skipped).
	ID uint64
	// Start is when the request arrived; Run sets it when it is zero.
	Start time.Time
	// Source is the *http.Request this request was converted from, if any.
	// Run passes its other fields (TLS, Trailer, RequestURI, Form, …)
	// through to the application, and lets net/http handle what only
	// net/http can (an aborted response is turned into a panic with
	// http.ErrAbortHandler only when Source is set).
	Source *http.Request

	ctx    context.Context
	lease  lease // which contexts still reach this Request
	spares spares
	app    http.Request // the request handed to the application

	rw       responseWriter
	tree     *Tree
	hooks    *hookSet
	failure  error // the error being answered, for the error hooks
	answered bool  // fail ran: a later failure is only logged
	abort    bool  // abort the connection once Run is done
}

// NewRequest returns a request for method and target ("/path?query") from
// plain values, the way httptest.NewRequest does for net/http: HTTP/1.1,
// scheme http, host "localhost", an empty header, and body (nil for none).
// The context is context.Background; see SetContext.
//
// The target is read as a request line's target (url.ParseRequestURI):
// everything up to '?' is the path, decoded, so "//x/y" is the path
// "//x/y", not a host. An absolute target ("https://example.org/x") also
// sets Scheme and Host. An empty target leaves PathInfo empty; any other
// target that is not valid there ("%zz", "rel/ative") makes NewRequest
// panic, as httptest.NewRequest does.
func NewRequest(method, target string, body io.Reader) *Request {
	r := &Request{
		Method:        method,
		Protocol:      "HTTP/1.1",
		Scheme:        "http",
		Host:          "localhost",
		Header:        make(http.Header),
		ContentLength: -1,
	}
	if target != "" {
		u, err := url.ParseRequestURI(target)
		if err != nil {
			panic("engine.NewRequest: invalid target: " + err.Error())
		}
		r.PathInfo, r.QueryString = u.Path, u.RawQuery
		if u.Host != "" {
			r.Host = u.Host
		}
		if u.Scheme == "https" {
			r.Scheme = "https"
		}
	}
	if body != nil {
		rc, ok := body.(io.ReadCloser)
		if !ok {
			rc = io.NopCloser(body)
		}
		r.Body = rc
		if l, ok := body.(interface{ Len() int }); ok {
			r.ContentLength = int64(l.Len())
		}
	} else {
		r.ContentLength = 0
	}
	return r
}

// Context returns the request's context: the one given to SetContext, or
// context.Background.
func (r *Request) Context() context.Context {
	if r.ctx == nil {
		return context.Background()
	}
	return r.ctx
}

// SetContext sets the request's context; the application's request carries
// a context derived from it, so its cancellation reaches the handler.
func (r *Request) SetContext(ctx context.Context) { r.ctx = ctx }

// Reset clears every field so that the Request can serve another request
// without allocating again; what it keeps is private and saves
// allocations. The contexts Run handed out so far stop reaching r:
// FromContext returns nil for them from now on.
//
// Reset reuses r whatever still holds it. A front end serving arbitrary
// handlers calls Release instead, which never reuses a Request somebody
// may still hold.
func (r *Request) Reset() {
	r.lease.renew()
	r.reset()
}

// End ends r's request, once Run has returned: the contexts handed out for
// it stop reaching r (FromContext returns nil for them), unless r was
// handed out while it ran — asked for through RequestFrom or FromContext,
// given to a bus listener — or the handler hijacked the connection (a
// WebSocket handler often goes on with its request). It reports whether
// nothing may still hold r, so that r may be Reset and reused. End leaves
// r's fields as they are.
func (r *Request) End() bool {
	if r.rw.hijacked {
		r.lease.claim(r.lease.gen())
		return false
	}
	return r.lease.retire()
}

// Release ends r's request (End) and returns a Request for the next one:
// r itself, Reset, when nothing may still hold it; otherwise a new Request
// that takes over what r kept to save allocations, while r stays as it is
// for whoever holds it. A front end that pools Requests puts back what
// Release returns.
func (r *Request) Release() *Request {
	if r.End() {
		r.reset()
		return r
	}
	next := new(Request)
	if r.spares.owner == r { // not those of the Request r is a copy of
		next.spares, r.spares = r.spares, spares{}
		next.spares.owner = next
	}
	return next
}

func (r *Request) reset() {
	r.Method, r.ScriptName, r.PathInfo, r.QueryString = "", "", "", ""
	r.Protocol, r.ServerProtocol, r.Scheme, r.Host = "", "", "", ""
	r.Header, r.Body, r.ContentLength = nil, nil, 0
	r.RemoteAddr, r.LocalAddr, r.RemoteHost = "", nil, ""
	r.ID, r.Start, r.Source = 0, time.Time{}, nil
	r.ctx = nil
	r.app = http.Request{} // its context, URL, header, body, form
	r.rw = responseWriter{}
	r.tree, r.hooks, r.failure, r.answered, r.abort = nil, nil, nil, false, false
}

// spares are what a Request keeps from one request to the next to save
// allocations: the contexts and URLs it gives each request's application,
// which are taken from batches (see slab), and request IDs reserved in
// runs (see idBlock). They belong to one Request, owner: a copy of the
// Request starts spares of its own.
//
// A batch stays alive while any context or URL taken from it does, and
// while its Request is pooled with it: a pooled Request keeps alive the
// contexts (and through them the values of the server's context) of up to
// contextBatch-1 requests it served, and the URLs of up to urlBatch-1.
type spares struct {
	owner *Request
	ctxs  slab[requestCtx]
	urls  slab[url.URL]
	ids   idBlock
}

// spare returns r's spares, starting them if r is new or a copy.
func (r *Request) spare() *spares {
	if r.spares.owner != r {
		r.spares = spares{owner: r}
	}
	return &r.spares
}

// Err returns the error Run is answering (an *HTTPError or *HTTPRedirect),
// for hooks at BeforeErrorResponse and AfterErrorResponse; nil otherwise.
func (r *Request) Err() error { return r.failure }

// ResponseProtocol is the protocol of the response: the lower of Protocol
// and ServerProtocol.
func (r *Request) ResponseProtocol() string {
	server := r.ServerProtocol
	if server == "" {
		server = "HTTP/1.1"
	}
	rmaj, rmin, ok := http.ParseHTTPVersion(r.Protocol)
	if !ok {
		return server
	}
	smaj, smin, ok := http.ParseHTTPVersion(server)
	if !ok || rmaj < smaj || (rmaj == smaj && rmin < smin) {
		return r.Protocol
	}
	return server
}

// Path is the whole path: ScriptName followed by PathInfo.
func (r *Request) Path() string { return r.ScriptName + r.PathInfo }

// RequestFrom returns the engine request behind an application's
// *http.Request, or nil when r did not come through Run, or its request
// has ended (End, Release) without its Request being handed out; see
// "Reusing requests" in the package documentation.
func RequestFrom(r *http.Request) *Request { return FromContext(r.Context()) }

// FromContext returns the engine request whose context ctx is or derives
// from, or nil. A Request returned once is never reused by Release.
func FromContext(ctx context.Context) *Request {
	req, _ := ctx.Value(requestKey{}).(*Request)
	return req
}

// ScriptName returns the mount point of the app serving r ("" for the root
// app, or when r did not come through Run): Request.ScriptName as it was
// when the tree chose the app. It stays right after the request has ended,
// and asking does not keep the Request from reuse.
func ScriptName(r *http.Request) string {
	s, _ := r.Context().Value(scriptNameKey{}).(string)
	return s
}

// requestKey is the context key of the engine request; scriptNameKey the
// key of its script name.
type (
	requestKey    struct{}
	scriptNameKey struct{}
)

// requestCtx is the application's context: the request's own context plus
// the engine request and its script name as values. Each request gets its
// own (it is the only allocation of a reused Request), so that a context
// kept after the request still carries its own request's values.
type requestCtx struct {
	context.Context
	req    *Request
	gen    uint64 // the generation of req this context belongs to
	script string
}

func (c *requestCtx) Value(key any) any {
	switch key.(type) {
	case requestKey:
		if c.req.lease.claim(c.gen) {
			return c.req
		}
		return nil
	case scriptNameKey:
		return c.script
	}
	return c.Context.Value(key)
}

// lease tells which contexts may still reach a Request, and whether one
// did: a generation, bumped each time the Request is retired, and a
// "claimed" bit, set when a context of the current generation handed the
// Request out. Both live in one word, so that claiming and retiring
// cannot interleave: either the claim comes first and the Request is
// never reused, or the retirement does and the claim finds nothing.
//
// It is a plain word used through sync/atomic, not an atomic.Uint64, so
// that a Request can still be copied: a snapshot of its fields, which is
// not one of the requests the original served (see spares).
type lease struct{ word uint64 }

const claimedBit = 1

func (l *lease) gen() uint64 { return atomic.LoadUint64(&l.word) >> 1 }

// claim reports whether the Request is still in generation gen, marking it
// claimed if so.
func (l *lease) claim(gen uint64) bool {
	for {
		w := atomic.LoadUint64(&l.word)
		if w>>1 != gen {
			return false
		}
		if w&claimedBit != 0 || atomic.CompareAndSwapUint64(&l.word, w, w|claimedBit) {
			return true
		}
	}
}

// retire moves the Request to the next generation, unless it was claimed
// (then it reports false and stays as it is, for whoever claimed it).
func (l *lease) retire() bool {
	for {
		w := atomic.LoadUint64(&l.word)
		if w&claimedBit != 0 {
			return false
		}
		if atomic.CompareAndSwapUint64(&l.word, w, w+2) {
			return true
		}
	}
}

// renew moves the Request to the next generation, claimed or not.
func (l *lease) renew() {
	for {
		w := atomic.LoadUint64(&l.word)
		if atomic.CompareAndSwapUint64(&l.word, w, (w&^claimedBit)+2) {
			return
		}
	}
}
