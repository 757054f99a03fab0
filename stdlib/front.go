package stdlib

import "net/http"

// front is what an http.Server of the stdlib backend runs in front of
// the handler it was given, in one frame: over HTTP/2 each request runs on
// a goroutine of its own, and every frame of the chain counts towards the
// size its stack must grow to. In order, for each request:
//
//  1. during a stop, an HTTP/1 response closes its connection (see
//     tracker.closeWhenStopping);
//  2. an HTTP/1 head over maxHead gets 431 (see headLimit);
//  3. the body's reads must each make progress within timeout (see
//     withBodyTimeout).
//
// A zero field switches its step off.
type front struct {
	next    http.Handler
	t       *tracker
	maxHead int64
	timeout timeoutPolicy
}

func (f *front) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if f.screen(w, r) {
		return
	}
	f.next.ServeHTTP(w, r)
}

// screen runs the three steps and reports whether it answered the request
// itself. It is kept out of line so that its frame, which the head count
// and the body wrapper make large, is gone before the handler runs.
//
//go:noinline
func (f *front) screen(w http.ResponseWriter, r *http.Request) (answered bool) {
	if f.t != nil && f.t.stopping.Load() && r.ProtoMajor == 1 {
		w.Header().Set("Connection", "close")
	}
	if f.maxHead > 0 && r.ProtoMajor == 1 && headSize(r) > f.maxHead {
		tooLargeHead(w)
		return true
	}
	f.timeout.wrapBody(w, r)
	return false
}
