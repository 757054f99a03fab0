package engine

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"
)

// Request is one HTTP request as the engine sees it, independent of the
// server that received it. A front end fills its fields and calls Run; the
// gateway does so for every net/http call, an in-process client (package
// enginetest) or a test can do so from plain values.
//
// A Request is not safe for concurrent use. The *http.Request that Run
// hands to the application, its URL and its context live inside the
// Request, so a handler may keep them after it returns (background work,
// context.WithoutCancel) for as long as the front end does not Reset and
// reuse the Request; the gateway and package enginetest never do.
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
	// without one.
	ID uint64
	// Start is when the request arrived; Run sets it when it is zero.
	Start time.Time
	// Source is the *http.Request this request was converted from, if any.
	// Run passes its other fields (TLS, Trailer, RequestURI, Form, …)
	// through to the application, and lets net/http handle what only
	// net/http can (an aborted response is turned into a panic with
	// http.ErrAbortHandler only when Source is set).
	Source *http.Request

	ctx  context.Context
	rctx requestCtx // the context the application sees: ctx + this request

	app    http.Request // the request handed to the application
	appURL url.URL      // app.URL points here

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
// without allocating again. What it keeps is private and saves
// allocations.
//
// Reset is only for callers that know nothing retains the request: the
// application's *http.Request, its URL and its context are the Request's
// own fields, so a handler (or a goroutine it started, or a context it
// derived) still holding them would see the next request's values, or nil
// ones. A front end serving arbitrary handlers, such as the gateway,
// allocates a new Request for each request instead of pooling them.
func (r *Request) Reset() {
	// Field by field: the private request copies are overwritten by Run
	// anyway, and clearing them would cost more than the rest together.
	r.Method, r.ScriptName, r.PathInfo, r.QueryString = "", "", "", ""
	r.Protocol, r.ServerProtocol, r.Scheme, r.Host = "", "", "", ""
	r.Header, r.Body, r.ContentLength = nil, nil, 0
	r.RemoteAddr, r.LocalAddr, r.RemoteHost = "", nil, ""
	r.ID, r.Start, r.Source = 0, time.Time{}, nil
	r.ctx, r.rctx = nil, requestCtx{}
	// Drop what the app request still points to, so the pool keeps no
	// request's data alive.
	a := &r.app
	a.Header, a.Body, a.GetBody, a.Trailer, a.TLS, a.Response = nil, nil, nil, nil, nil, nil
	a.Form, a.PostForm, a.MultipartForm = nil, nil, nil
	r.appURL = url.URL{}
	r.rw = responseWriter{}
	r.tree, r.hooks, r.failure, r.answered, r.abort = nil, nil, nil, false, false
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
// *http.Request, or nil when r did not come through Run.
func RequestFrom(r *http.Request) *Request { return FromContext(r.Context()) }

// FromContext returns the engine request whose context ctx is or derives
// from, or nil.
func FromContext(ctx context.Context) *Request {
	req, _ := ctx.Value(requestKey{}).(*Request)
	return req
}

// ScriptName returns the mount point of the app serving r ("" for the root
// app, or when r did not come through Run).
func ScriptName(r *http.Request) string {
	if req := RequestFrom(r); req != nil {
		return req.ScriptName
	}
	return ""
}

// requestKey is the context key of the engine request.
type requestKey struct{}

// requestCtx is the application's context: the request's own context plus
// the engine request as a value. It lives inside Request, so that handing
// the request to the application allocates no context.WithValue.
type requestCtx struct {
	context.Context
	req *Request
}

func (c *requestCtx) Value(key any) any {
	if _, ok := key.(requestKey); ok {
		return c.req
	}
	return c.Context.Value(key)
}
