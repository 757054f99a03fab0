package engine

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// Request is one HTTP request as the engine sees it, independent of the
// server that received it. A front end fills its fields and calls Run; the
// gateway does so for every net/http call, an in-process client (package
// enginetest) or a test can do so from plain values.
//
// A Request serves one request: Run is called once, and the Request is
// never reused afterwards, so whoever keeps it, or the *http.Request and
// context the application was given, keeps that request's own values (see
// "What a handler may keep" in the package documentation). A Request is
// not safe for concurrent use while Run runs.
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

	// What the application is handed lives here, so that a request costs
	// one allocation: its *http.Request, its context and its
	// ResponseWriter (its URL, when it is not Source's, is a second one;
	// see prepare). None of it is ever reused.
	app    http.Request
	appCtx requestCtx
	rw     responseWriter
	end    ending // the Done channel of appCtx when its parent has none

	tree     *Tree
	hooks    *hookSet
	failure  error // the error being answered, for the error hooks
	answered bool  // fail ran: a later failure is only logged
	abort    bool  // abort the connection once Run is done
	ended    bool  // Run has returned; guarded by end.mu
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

// Context returns the request's context: the one given to SetContext,
// else Source's, else context.Background.
func (r *Request) Context() context.Context {
	if c := r.appCtx.Context; c != nil {
		return c
	}
	if r.Source != nil {
		return r.Source.Context()
	}
	return context.Background()
}

// SetContext sets the request's context; the application's request
// carries a context derived from it, so its cancellation reaches the
// handler, and its Done channel closes the app's context once the request
// has ended (a context that is never cancelled, such as one from
// context.WithValue on Background, leaves that to the engine). It must be
// called before Run: calling it once Run has begun panics, since the app
// may already hold a context derived from the one it would replace.
func (r *Request) SetContext(ctx context.Context) {
	if r.tree != nil {
		panic("engine: Request.SetContext called after Run began")
	}
	r.appCtx.Context = ctx
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
// *http.Request, or nil when r did not come through Run. It keeps
// returning the same Request for as long as anyone holds r (or a request
// or context derived from it), also after the request has ended.
func RequestFrom(r *http.Request) *Request { return FromContext(r.Context()) }

// FromContext returns the engine request whose context ctx is or derives
// from, or nil.
func FromContext(ctx context.Context) *Request {
	req, _ := ctx.Value(requestKey{}).(*Request)
	return req
}

// ScriptName returns the mount point of the app serving r ("" for the root
// app, or when r did not come through Run): Request.ScriptName as it was
// when the tree chose the app.
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

// requestCtx is the application's context: the request's own context
// plus the engine request and its script name as values.
//
// Its Done channel is its parent's when the parent has one (net/http
// cancels a request's context once the handler has returned). A parent
// that can never be cancelled (context.Background, as for a request built
// with NewRequest or converted from net/http/fcgi) gets a channel of the
// Request's own, closed when Run returns, so that Done is closed once the
// request has ended whichever front end served it.
type requestCtx struct {
	context.Context
	req    *Request
	script string
}

func (c *requestCtx) Value(key any) any {
	switch key.(type) {
	case requestKey:
		return c.req
	case scriptNameKey:
		return c.script
	}
	return c.Context.Value(key)
}

func (c *requestCtx) Done() <-chan struct{} {
	if d := c.Context.Done(); d != nil {
		return d
	}
	return c.req.done()
}

func (c *requestCtx) Err() error {
	if err := c.Context.Err(); err != nil {
		return err
	}
	if c.Context.Done() == nil && c.req.over() {
		return context.Canceled
	}
	return nil
}

func (c *requestCtx) String() string { return "engine.Request context" }

// ending is the end of a request as its context sees it: the Done channel
// of a context whose parent has none, made when first asked for and
// closed when Run returns (Request.ended, which end.mu guards too, says
// whether it has; it sits with the Request's other flags to keep the
// Request in a smaller size class).
type ending struct {
	mu sync.Mutex
	ch chan struct{} // nil until asked for
}

// done returns the Done channel, closed if the request has ended.
func (r *Request) done() <-chan struct{} {
	r.end.mu.Lock()
	defer r.end.mu.Unlock()
	if r.end.ch == nil {
		r.end.ch = make(chan struct{})
		if r.ended {
			close(r.end.ch)
		}
	}
	return r.end.ch
}

// over reports whether the request has ended.
func (r *Request) over() bool {
	r.end.mu.Lock()
	defer r.end.mu.Unlock()
	return r.ended
}

// endContext marks the request ended and closes the Done channel, if
// somebody asked for it.
func (r *Request) endContext() {
	r.end.mu.Lock()
	r.ended = true
	if r.end.ch != nil {
		close(r.end.ch)
	}
	r.end.mu.Unlock()
}
