package gateway

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"
)

// clfTime is the Common Log Format's date layout.
const clfTime = "02/Jan/2006:15:04:05 -0700"

// AccessLog returns a middleware that writes one Combined Log Format line
// per request to w, as CherryPy's access log does:
//
//	127.0.0.1 - alice [10/Oct/2000:13:55:36 -0700] "GET /a.gif?x=1 HTTP/1.1" 200 2326 "http://example.com/" "Mozilla/5.0"
//
// It is (&AccessLogger{Out: w}).Middleware; see AccessLogger.
func AccessLog(w io.Writer) func(http.Handler) http.Handler {
	return (&AccessLogger{Out: w}).Middleware
}

// AccessLogger writes one Combined Log Format line per request to Out:
// remote host, ident ("-"), the Basic-auth user name ("-" when none),
// [the time the request arrived], "the request line as received", the
// final status, the body bytes sent ("-" for none), "Referer" and
// "User-Agent" ("-" when absent). Quotes, backslashes and control
// characters inside the quoted fields are escaped (\", \\, \xHH), so a
// client cannot forge a line. A hijacked connection whose handler never
// set a status is logged with status "-".
//
// A response the server cut off (the handler, or the engine behind the
// gateway, aborted it with http.ErrAbortHandler, or it panicked) looks in
// Combined Log Format like a whole one with fewer bytes. Set Completion to
// end each line with one more field that tells them apart, like nginx's
// $request_completion: "-" when a panic went through the middleware, OK
// otherwise. OK does not tell whether the client received everything: a
// client that left mid-body is not seen here.
//
// The line is written after the handler returns, also when the handler
// panics, with a single Write call. Writes are serialised by the
// AccessLogger; two AccessLoggers sharing one Out need an Out that is
// itself safe for concurrent Writes (an *os.File is). Write errors are
// ignored: the access log never fails a request.
//
// Set the fields before the first request and do not copy an
// AccessLogger after that.
type AccessLogger struct {
	// Out receives the lines. Nil discards them.
	Out io.Writer
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Completion ends each line with OK, or "-" for a response cut off.
	Completion bool

	mu   sync.Mutex // serialises Writes to Out
	bufs sync.Pool  // of *[]byte, line buffers
}

// Middleware wraps next so that each request it serves is logged.
func (a *AccessLogger) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rw := wrap(w)
		// The request line is taken now: a handler below may change r
		// (Protocol lowers its protocol).
		start := a.now()
		method, uri, proto := r.Method, requestURI(r), r.Proto
		finished := false // stays false when a panic goes through
		defer func() {
			a.write(r, rw, start, method, uri, proto, finished)
		}()
		next.ServeHTTP(rw, r)
		finished = true
	})
}

func (a *AccessLogger) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

// write formats the line into a pooled buffer and writes it.
func (a *AccessLogger) write(r *http.Request, rw *responseWriter, start time.Time, method, uri, proto string, finished bool) {
	if a.Out == nil {
		return
	}
	bp, _ := a.bufs.Get().(*[]byte)
	if bp == nil {
		b := make([]byte, 0, 256)
		bp = &b
	}
	b := (*bp)[:0]

	b = appendDash(b, remoteHost(r.RemoteAddr))
	b = append(b, " - "...)
	b = appendDash(b, basicUser(r))
	b = append(b, " ["...)
	b = start.AppendFormat(b, clfTime)
	b = append(b, "] \""...)
	b = appendEscaped(b, method)
	b = append(b, ' ')
	b = appendEscaped(b, uri)
	b = append(b, ' ')
	b = appendEscaped(b, proto)
	b = append(b, "\" "...)
	if status := rw.finalStatus(); status != 0 {
		b = strconv.AppendInt(b, int64(status), 10)
	} else {
		b = append(b, '-')
	}
	b = append(b, ' ')
	if n := rw.sentBytes(method); n > 0 {
		b = strconv.AppendInt(b, n, 10)
	} else {
		b = append(b, '-')
	}
	b = append(b, " \""...)
	b = appendDash(b, r.Header.Get("Referer"))
	b = append(b, "\" \""...)
	b = appendDash(b, r.Header.Get("User-Agent"))
	b = append(b, '"')
	if a.Completion {
		if finished {
			b = append(b, " OK"...)
		} else {
			b = append(b, " -"...)
		}
	}
	b = append(b, '\n')

	a.mu.Lock()
	_, _ = a.Out.Write(b)
	a.mu.Unlock()

	*bp = b
	a.bufs.Put(bp)
}

// AccessLogSlog returns a middleware that logs each request on l at level
// Info, message "request", with the fields remote, user, method, uri,
// proto, status, bytes, duration, referer, user_agent and aborted (true
// for a response cut off; see AccessLogger). A nil l means slog.Default().
func AccessLogSlog(l *slog.Logger) func(http.Handler) http.Handler {
	if l == nil {
		l = slog.Default()
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			rw := wrap(w)
			start := time.Now()
			method, uri, proto := r.Method, requestURI(r), r.Proto
			finished := false
			defer func() {
				logRequest(r.Context(), l, r, rw, time.Since(start), method, uri, proto, !finished)
			}()
			next.ServeHTTP(rw, r)
			finished = true
		})
	}
}

func logRequest(ctx context.Context, l *slog.Logger, r *http.Request, rw *responseWriter, d time.Duration, method, uri, proto string, aborted bool) {
	if !l.Enabled(ctx, slog.LevelInfo) {
		return
	}
	l.LogAttrs(ctx, slog.LevelInfo, "request",
		slog.String("remote", remoteHost(r.RemoteAddr)),
		slog.String("user", basicUser(r)),
		slog.String("method", method),
		slog.String("uri", uri),
		slog.String("proto", proto),
		slog.Int("status", rw.finalStatus()),
		slog.Int64("bytes", rw.sentBytes(method)),
		slog.Duration("duration", d),
		slog.String("referer", r.Header.Get("Referer")),
		slog.String("user_agent", r.Header.Get("User-Agent")),
		slog.Bool("aborted", aborted),
	)
}

// requestURI is the request target as the client sent it.
func requestURI(r *http.Request) string {
	if r.RequestURI != "" {
		return r.RequestURI
	}
	if r.URL != nil {
		return r.URL.RequestURI()
	}
	return ""
}

// remoteHost is the host part of a RemoteAddr ("" for a unix socket's
// "@" or an empty address).
func remoteHost(addr string) string {
	if addr == "" || addr == "@" {
		return ""
	}
	if host, _, err := net.SplitHostPort(addr); err == nil {
		return host
	}
	return addr
}

// basicUser is the user name of a Basic Authorization header, or "".
func basicUser(r *http.Request) string {
	if r.Header.Get("Authorization") == "" {
		return ""
	}
	user, _, ok := r.BasicAuth()
	if !ok {
		return ""
	}
	return user
}

// appendDash appends s, or "-" when s is empty, escaped.
func appendDash(b []byte, s string) []byte {
	if s == "" {
		return append(b, '-')
	}
	return appendEscaped(b, s)
}

// appendEscaped appends s with '"' and '\\' backslash-escaped and control
// characters, DEL and invalid UTF-8 bytes as \xHH.
func appendEscaped(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c < 0x20 || c == 0x7f:
				b = append(b, '\\', 'x', hex[c>>4], hex[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, '\\', 'x', hex[c>>4], hex[c&0xf])
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return b
}
