package engine

import (
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/seed-49a6713b/cherrygo/internal/contentheaders"
)

// Run serves the request with the app of t that its path selects and
// writes the response to w, the front end's writer. The response streams:
// Flush, Hijack, trailers and http.ResponseController reach w, and the
// handler's context is cancelled with the request's.
//
// In order, Run:
//
//  1. publishes ChannelBeforeRequest on t.Bus, if any listens;
//  2. answers 400 when an HTTP/1.1 request has no Host (requests converted
//     from net/http were checked by it already);
//  3. picks the app (none: 404), moving its script name from PathInfo to
//     ScriptName;
//  4. runs the hooks OnStartResource, BeforeRequestBody and BeforeHandler;
//  5. calls the app's handler with a request whose URL.Path is PathInfo
//     ("/" when empty) and whose context carries this Request;
//  6. runs BeforeFinalize just before the header goes out (or once the
//     handler returns, if it wrote nothing), then OnEndResource (always,
//     once step 4 began);
//  7. on an error raised by a handler or a hook in steps 2–6 (an
//     *HTTPError, *HTTPRedirect, or any other panic or error, which becomes
//     a 500): runs BeforeErrorResponse, writes the error page or the
//     redirect if the header was not sent yet, runs AfterErrorResponse;
//  8. runs OnEndRequest and publishes ChannelAfterRequest, then removes
//     the temporary files of a multipart form parsed on the request Run
//     handed the app (as net/http does for the requests it hands out,
//     unless the connection was hijacked). A form parsed on a copy of it
//     (chi's, say) is as much out of reach as it is for net/http;
//  9. ends the request: the app's context is done once its parent is
//     (net/http cancels it right after), or at once when the parent can
//     never be cancelled.
//
// The ResponseWriter the app was given refuses every call
// (ErrRequestEnded) from the moment its handler returns; the hooks and
// the error page that still write go through a view of their own.
//
// Run serves r once: calling it again panics. Nothing of r is reused, so
// whatever the app keeps of its request stays its own.
//
// A failure after the header was sent cannot change the response: it is
// logged, and for a request converted from net/http (Source set) the
// connection is cut by panicking with http.ErrAbortHandler once step 8 is
// done, so the client cannot mistake the truncated response for a whole
// one. A handler that panics with http.ErrAbortHandler gets the same.
func (r *Request) Run(t *Tree, w http.ResponseWriter) {
	if r.tree != nil {
		panic("engine: Request.Run called twice; a Request serves one request")
	}
	// Run itself is kept small: the handler runs below its frame, and
	// over HTTP/2 every request runs on a goroutine of its own, whose
	// stack is copied to a larger one when the chain in front of the
	// application is deep.
	defer r.finish()
	if h, ok := r.begin(t, w); ok {
		err := r.beforeHandler()
		if err == nil {
			err = r.callHandler(h)
		}
		r.afterHandler(err)
	}
	r.conclude()
}

// begin runs steps 1 to 3 and returns the app's handler; ok is false when
// the request was answered already (400, 404).
func (r *Request) begin(t *Tree, w http.ResponseWriter) (h http.Handler, ok bool) {
	if r.Start.IsZero() {
		r.Start = time.Now()
	}
	if r.ID == 0 {
		r.ID = t.ids.Add(1)
	}
	r.tree = t
	r.rw.w, r.rw.req = w, r
	st := t.load()
	if t.perRequest(ChannelBeforeRequest) {
		r.publish(ChannelBeforeRequest)
	}
	if r.Source == nil && r.Host == "" && r.Header.Get("Host") == "" && r.ResponseProtocol() == "HTTP/1.1" {
		r.hooks = st.hooks
		r.prepare()
		r.fail(&HTTPError{Status: http.StatusBadRequest, Message: "HTTP/1.1 requires a Host header."})
		return nil, false
	}
	m := st.lookup(r.PathInfo)
	if m == nil {
		r.hooks = st.hooks
		r.prepare()
		r.fail(&HTTPError{Status: http.StatusNotFound, Message: "Nothing matches the given URI."})
		return nil, false
	}
	r.hooks = m.hooks
	if s := m.app.script; s != "" {
		r.ScriptName += s
		r.PathInfo = r.PathInfo[len(s):]
	}
	r.prepare()
	return m.app.handler, true
}

// conclude runs step 8 and, for a response cut off behind net/http, aborts
// the connection.
func (r *Request) conclude() {
	if !r.hooks.empty(OnEndRequest) {
		if err := r.runHooks(OnEndRequest); err != nil {
			r.logFailure(OnEndRequest, err)
		}
	}
	if r.tree.perRequest(ChannelAfterRequest) {
		r.publish(ChannelAfterRequest)
	}
	if mf := r.app.MultipartForm; mf != nil && !r.rw.hijacked && (r.Source == nil || mf != r.Source.MultipartForm) {
		// A form the app parsed on its request: net/http only removes the
		// temporary files of its own request's form (and, like it, the
		// engine leaves them to a handler that hijacked the connection).
		mf.RemoveAll() //nolint:errcheck // nothing to do about it here
	}
	if r.abort && r.Source != nil {
		panic(http.ErrAbortHandler)
	}
}

// beforeHandler runs the hooks of step 4 and returns the first failure.
func (r *Request) beforeHandler() error {
	for _, p := range [...]HookPoint{OnStartResource, BeforeRequestBody, BeforeHandler} {
		if err := r.runHooks(p); err != nil {
			return err
		}
	}
	return nil
}

// afterHandler runs step 6 and, on err or a failed BeforeFinalize hook,
// step 7.
func (r *Request) afterHandler(err error) {
	if err == nil && !r.rw.finalized {
		r.rw.finalized = true
		err = r.runHooks(BeforeFinalize)
	}
	if err != nil {
		r.fail(err)
	}
	if !r.hooks.empty(OnEndResource) {
		if err := r.runHooks(OnEndResource); err != nil {
			r.logFailure(OnEndResource, err)
		}
	}
}

// callHandler calls h, turning a panic into an error. Once h has
// returned, the writer it was given refuses every call: the hooks and the
// error page that may still write go through the engine's view.
func (r *Request) callHandler(h http.Handler) (err error) {
	defer func() {
		r.rw.end()
		if p := recover(); p != nil {
			err = recovered(p, debug.Stack())
		}
	}()
	h.ServeHTTP(&r.rw, &r.app)
	return nil
}

// runHooks runs the hooks of p in order and stops at the first failure,
// a panic included. It is small enough to inline, so that a point without
// hooks costs no call.
func (r *Request) runHooks(p HookPoint) error {
	if len(r.hooks[p]) == 0 {
		return nil
	}
	return r.callHooks(r.hooks[p])
}

func (r *Request) callHooks(list []hookEntry) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = recovered(v, debug.Stack())
		}
	}()
	for _, h := range list {
		if err := h.fn(r.rw.engine(), &r.app); err != nil {
			return err
		}
	}
	return nil
}

// fail answers err (step 7).
func (r *Request) fail(err error) {
	if err == errAborted {
		r.abort = true
		return
	}
	if r.answered {
		// An error response went out already (or a hook wrote one): this
		// failure cannot change it any more.
		r.tree.logger().Error("error after the error response", "request", r.ID, "path", r.Path(), "err", err)
		return
	}
	r.answered = true
	// Whether the handler's header went out must be known before the
	// hooks run: a BeforeErrorResponse hook may write the response itself.
	sent := r.rw.wroteHeader
	he, redirect := classify(err)
	if he != nil && he.Status == http.StatusInternalServerError {
		var pe *PanicError
		if asPanic(err, &pe) {
			r.tree.logger().Error("panic serving request", "request", r.ID, "path", r.Path(), "panic", pe.Value, "stack", string(pe.Stack))
			if r.tree.Tracebacks && he.Traceback == "" {
				he.Traceback = string(pe.Stack)
			}
		} else if he.Err != nil {
			r.tree.logger().Error("error serving request", "request", r.ID, "path", r.Path(), "err", he.Err)
		}
	}
	if redirect != nil {
		r.failure = redirect
	} else {
		r.failure = he
	}
	r.rw.finalized = true // BeforeFinalize is for the handler's response only
	if !sent {
		// What the handler set about its own response does not apply to
		// the error response; what the hooks set next does.
		status := http.StatusFound // a redirect's, for this purpose
		if he != nil {
			status = he.Status
		}
		contentheaders.Clear(r.rw.engine().Header(), status)
	}
	if e := r.runHooks(BeforeErrorResponse); e != nil {
		r.logFailure(BeforeErrorResponse, e)
	}
	switch {
	case sent:
		r.tree.logger().Error("error after the response header was sent", "request", r.ID, "path", r.Path(), "err", err)
		r.abort = true
	case r.rw.wroteHeader:
		// A BeforeErrorResponse hook answered the error itself.
	case redirect != nil:
		r.writeRedirect(redirect)
	default:
		r.writeErrorPage(he)
	}
	if e := r.runHooks(AfterErrorResponse); e != nil {
		r.logFailure(AfterErrorResponse, e)
	}
}

// Aborted reports whether Run cut the response off: the handler panicked
// with http.ErrAbortHandler, or a failure came after the header was sent.
// Behind net/http (Source set) Run then panics with http.ErrAbortHandler
// to cut the connection; other front ends, such as package enginetest, ask
// Aborted once Run returns, so that the truncated response is not taken
// for a whole one.
func (r *Request) Aborted() bool { return r.abort }

func asPanic(err error, pe **PanicError) bool {
	p, ok := err.(*PanicError)
	if ok {
		*pe = p
		return true
	}
	if he, ok := err.(*HTTPError); ok {
		return asPanic(he.Err, pe)
	}
	return false
}

func (r *Request) logFailure(p HookPoint, err error) {
	r.tree.logger().Error("hook failed", "request", r.ID, "point", p.String(), "err", err)
}

func (r *Request) publish(channel string) {
	if _, err := r.tree.Bus.Publish(r.Context(), channel, r); err != nil {
		r.tree.logger().Error("request listener failed", "channel", channel, "request", r.ID, "err", err)
	}
}

// perRequest reports whether channel, one of the per-request channels,
// has a listener on t's bus; without one it costs an atomic load.
func (t *Tree) perRequest(channel string) bool {
	return t.Bus != nil && t.Bus.perRequest.Load() != 0 && t.Bus.Listeners(channel) > 0
}

func (t *Tree) logger() *slog.Logger {
	if t.Logger != nil {
		return t.Logger
	}
	return slog.Default()
}

// finish ends the request once Run is done: the application's
// ResponseWriter stays closed (see responseWriter.end; a request that
// never reached a handler closes it here), and a context whose parent
// cannot be cancelled sees Done closed.
func (r *Request) finish() {
	r.rw.end()
	// Let go of the front end's writer: a Request kept after its end
	// (through a context, say) does not keep it alive, nor what it holds
	// (net/http's holds its connection, and through it the next request).
	r.rw.w = nil
	r.endContext()
}
