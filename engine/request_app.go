package engine

import (
	"net/http"
	"net/url"
	"strings"
)

// prepare builds the *http.Request the application sees, inside r: a
// shallow copy of Source (or a request built from r's fields), with
// URL.Path set to PathInfo and a context that carries r. An app at the
// root of a converted request shares Source's URL, as a copy made by
// r.WithContext would; any other app gets a URL of its own, a second
// allocation. (Keeping that URL inside the Request would save the
// allocation but cost every request its 144 bytes: the Request would no
// longer fit the 768-byte size class, and the extra bytes cost the common
// case, an app at the root behind net/http, more than the allocation costs
// an app below it.)
//
// Path values set by a ServeMux in front of the engine are not carried
// over (the engine is the router from here on).
func (r *Request) prepare() {
	r.appCtx = requestCtx{Context: r.Context(), req: r, script: r.ScriptName}
	// http.Request's context can only be set through WithContext; the
	// copy it makes stays on the stack, and its value becomes r.app.
	r.app = *new(http.Request).WithContext(&r.appCtx)
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
		a.Response = src.Response
		if src.URL != nil && src.URL.Path == r.PathInfo && r.ScriptName == "" && r.PathInfo != "" {
			// The root app of a request whose path is unchanged: Source's
			// URL is already the app's, escaped path included.
			a.URL = src.URL
			return
		}
		u = new(url.URL)
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
		u = new(url.URL)
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
