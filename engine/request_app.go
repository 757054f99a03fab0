package engine

import (
	"net/http"
	"net/url"
	"strings"
)

// prepare builds the *http.Request the application sees, inside r so that
// a reused r costs no allocation for it: a shallow copy of Source (or a
// request built from r's fields), with URL.Path set to PathInfo and a
// context that carries r.
//
// Two things are new for every request, because a handler may keep them:
// the context (see requestCtx), and the URL when it differs from Source's
// (an app mounted below the root, or a request not converted from
// net/http); both come from slabs. An app at the root of a converted
// request shares Source's URL, as a copy made by r.WithContext would.
//
// Path values set by a ServeMux in front of the engine are not carried
// over (the engine is the router from here on).
func (r *Request) prepare() {
	ctx := r.spare().ctxs.next(contextBatch)
	*ctx = requestCtx{Context: r.parentContext(), req: r, gen: r.lease.gen(), script: r.ScriptName}
	// http.Request's context can only be set through WithContext; the
	// copy it makes stays on the stack, and its value becomes r.app.
	r.app = *new(http.Request).WithContext(ctx)
	a := &r.app
	var u *url.URL
	if src := r.Source; src != nil {
		// What the engine request also has comes from it, so that a front
		// end may still replace the header map or the body.
		a.Method, a.Header, a.Body, a.ContentLength, a.Host = r.Method, r.Header, r.Body, r.ContentLength, r.Host
		a.Proto, a.ProtoMajor, a.ProtoMinor = src.Proto, src.ProtoMajor, src.ProtoMinor
		a.GetBody = src.GetBody
		a.TransferEncoding = src.TransferEncoding
		a.Close = src.Close
		a.Form, a.PostForm, a.MultipartForm = src.Form, src.PostForm, src.MultipartForm
		a.Trailer = src.Trailer
		a.RemoteAddr = src.RemoteAddr
		a.RequestURI = src.RequestURI
		a.TLS = src.TLS
		a.Cancel = src.Cancel //nolint:staticcheck // passed through as it came
		a.Response = src.Response
		if src.URL != nil && src.URL.Path == r.PathInfo && r.ScriptName == "" && r.PathInfo != "" {
			// The root app of a request whose path is unchanged: Source's
			// URL is already the app's, escaped path included.
			a.URL = src.URL
			return
		}
		u = r.spare().urls.next(urlBatch)
		if src.URL != nil {
			*u = *src.URL
		} else {
			*u = url.URL{}
		}
	} else {
		a.Method = r.Method
		if a.Method == "" {
			a.Method = http.MethodGet
		}
		a.Proto = r.Protocol
		if maj, min, ok := http.ParseHTTPVersion(r.Protocol); ok {
			a.ProtoMajor, a.ProtoMinor = maj, min
		}
		if r.Header == nil {
			r.Header = make(http.Header)
		}
		a.Header = r.Header
		a.Body = r.Body
		if a.Body == nil {
			a.Body = http.NoBody
		}
		a.ContentLength = r.ContentLength
		a.Host = r.Host
		if a.Host == "" {
			a.Host = r.Header.Get("Host")
		}
		a.RemoteAddr = r.RemoteAddr
		a.RequestURI = r.Path()
		if r.QueryString != "" {
			a.RequestURI += "?" + r.QueryString
		}
		u = r.spare().urls.next(urlBatch)
		*u = url.URL{RawQuery: r.QueryString}
	}
	u.Path = r.PathInfo
	if u.Path == "" {
		u.Path = "/"
	}
	if raw := u.RawPath; raw != "" {
		// Cut the script name off the escaped path too; when it is
		// escaped differently there, let url.URL escape PathInfo itself.
		script := r.ScriptName
		if r.Source != nil && r.Source.URL != nil {
			script = strings.TrimSuffix(r.Source.URL.Path, r.PathInfo)
		}
		// What is left must be a valid encoding of PathInfo, starting with
		// "/" like it: an escaped slash at the mount point ("/a%2Fb" for
		// an app at "/a") leaves "%2Fb", which a router inside the app
		// would take for the whole path.
		u.RawPath = ""
		if rest, ok := strings.CutPrefix(raw, script); ok && strings.HasPrefix(rest, "/") {
			if p, err := url.PathUnescape(rest); err == nil && p == u.Path {
				u.RawPath = rest
			}
		}
	}
	a.URL = u
}

// slab hands out values of T, each only once, allocating them in batches
// that double in size up to max: a Request that serves a single request
// allocates one value, a Request reused for many makes one allocation per
// max requests for the context and the URL it gives each application. A
// batch stays alive as long as one of its values is kept.
type slab[T any] struct {
	free []T
	size int // of the last batch
}

func (s *slab[T]) next(max int) *T {
	if len(s.free) == 0 {
		s.size = min(2*s.size, max)
		if s.size == 0 {
			s.size = 1
		}
		s.free = make([]T, s.size)
	}
	p := &s.free[0]
	if s.free = s.free[1:]; len(s.free) == 0 {
		s.free = nil // an empty slice would still hold the batch
	}
	return p
}

// Batch sizes of the contexts (48 bytes each) and URLs (144 bytes).
const (
	contextBatch = 16
	urlBatch     = 8
)
