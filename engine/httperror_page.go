package engine

import (
	"io"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"

	"github.com/seed-49a6713b/cherrygo/internal/contentheaders"
)

// DefaultErrorPage writes the plain-text page used when Tree.ErrorPage is
// nil: the status line, the message, and the traceback when there is one.
func DefaultErrorPage(w http.ResponseWriter, _ *http.Request, e *HTTPError) {
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.Status)
	}
	var b strings.Builder
	b.WriteString(strconv.Itoa(e.Status))
	b.WriteByte(' ')
	b.WriteString(http.StatusText(e.Status))
	b.WriteString("\n\n")
	b.WriteString(msg)
	b.WriteByte('\n')
	if e.Traceback != "" {
		b.WriteString("\n")
		b.WriteString(e.Traceback)
	}
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Length", strconv.Itoa(b.Len()))
	w.WriteHeader(e.Status)
	io.WriteString(w, b.String()) //nolint:errcheck // the client may be gone
}

// writeErrorPage writes he with the tree's page; a page that panics or
// writes nothing is replaced by a plain-text 500 when still possible.
func (r *Request) writeErrorPage(he *HTTPError) {
	page := r.tree.ErrorPage
	if page == nil {
		page = DefaultErrorPage
	}
	if p := r.safePage(page, he); p != nil || !r.rw.wroteHeader {
		if p != nil {
			r.tree.logger().Error("error page failed", "request", r.ID, "status", he.Status, "panic", p)
		}
		if r.rw.wroteHeader {
			r.abort = true
			return
		}
		w := r.rw.engine()
		contentheaders.Clear(w.Header(), http.StatusInternalServerError)
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusInternalServerError)
		io.WriteString(w, "500 Internal Server Error\n") //nolint:errcheck // the client may be gone
	}
}

func (r *Request) safePage(page func(http.ResponseWriter, *http.Request, *HTTPError), he *HTTPError) (p any) {
	defer func() { p = recover() }()
	page(r.rw.engine(), &r.app, he)
	return nil
}

// writeRedirect answers with a redirect; a relative URL is resolved
// against the request's whole path.
func (r *Request) writeRedirect(hr *HTTPRedirect) {
	status := hr.Status
	if status == 0 {
		status = http.StatusFound
		if r.ResponseProtocol() == "HTTP/1.1" {
			status = http.StatusSeeOther
		}
	}
	target := hr.URL
	if !isAbsoluteOrRooted(target) {
		base := r.Path()
		if !strings.HasSuffix(base, "/") {
			base = path.Dir(base)
		}
		q := ""
		if i := strings.IndexByte(target, '?'); i >= 0 {
			target, q = target[:i], target[i:]
		}
		trailing := strings.HasSuffix(target, "/") || target == "" || target == "."
		target = path.Join(base, target)
		if trailing && !strings.HasSuffix(target, "/") {
			target += "/"
		}
		target += q
	}
	http.Redirect(r.rw.engine(), &r.app, target, status)
}

// isAbsoluteOrRooted reports whether a redirect target needs no resolving
// against the request's path: it has a scheme or a host ("https://x/",
// "//x/y"), or is a rooted path. A "://" further on, in a query
// ("login?next=https://x") say, does not count.
func isAbsoluteOrRooted(target string) bool {
	if strings.HasPrefix(target, "/") {
		return true
	}
	u, err := url.Parse(target)
	return err == nil && (u.Scheme != "" || u.Host != "")
}
