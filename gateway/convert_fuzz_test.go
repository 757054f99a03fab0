package gateway_test

import (
	"bufio"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"

	"github.com/seed-49a6713b/cherrygo/engine"
	"github.com/seed-49a6713b/cherrygo/gateway"
)

// FuzzConvert feeds raw requests through net/http's parser and Convert,
// and checks that the engine request says what the *http.Request says.
func FuzzConvert(f *testing.F) {
	for _, s := range []struct{ raw, remote string }{
		{"GET / HTTP/1.1\r\nHost: h\r\n\r\n", "127.0.0.1:1"},
		{"POST /a/b?c=d HTTP/1.0\r\nContent-Length: 2\r\n\r\nhi", "[::1]:65535"},
		{"GET /%2F%20x?%zz HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n", "@"},
		{"OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n", ""},
		{"GET http://other/abs?q HTTP/1.1\r\nHost: h\r\n\r\n", "10.0.0.1:80"},
		{"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n", "1.2.3.4:5"},
	} {
		f.Add(s.raw, s.remote)
	}
	f.Fuzz(func(t *testing.T, raw, remote string) {
		r, err := http.ReadRequest(bufio.NewReader(strings.NewReader(raw)))
		if err != nil {
			return
		}
		r.RemoteAddr = remote
		req := new(engine.Request)
		gateway.Convert(req, r, "HTTP/1.1")
		if req.Method != r.Method || req.PathInfo != r.URL.Path || req.QueryString != r.URL.RawQuery ||
			req.Protocol != r.Proto || req.Host != r.Host || req.ContentLength != r.ContentLength {
			t.Fatalf("Convert(%q) = %+v", raw, req)
		}
		if req.Source != r || req.ScriptName != "" {
			t.Fatalf("Convert(%q): source or script name wrong", raw)
		}
		if ap, err := netip.ParseAddrPort(remote); err == nil && ap.Addr().Unmap() != req.Remote().Addr() {
			t.Fatalf("remote %q became %v", remote, req.Remote())
		}
		if p := req.ResponseProtocol(); p != "HTTP/1.1" && p != r.Proto {
			t.Fatalf("response protocol %q for %q", p, r.Proto)
		}
	})
}

// FuzzGatewayTwoRequests serves two raw requests, one after the other,
// through one gateway and checks what each app saw: its script name and
// path make up the request's path, and what the first kept (its URL, its
// context) still says the same after the second.
func FuzzGatewayTwoRequests(f *testing.F) {
	f.Add("GET /a/b?x HTTP/1.1\r\nHost: h\r\n\r\n", "GET / HTTP/1.1\r\nHost: h\r\n\r\n")
	f.Add("GET /a%2Fb/c HTTP/1.1\r\nHost: h\r\n\r\n", "GET /a/%20 HTTP/1.1\r\nHost: h\r\n\r\n")
	f.Add("GET /ab HTTP/1.1\r\nHost: h\r\n\r\n", "POST /a HTTP/1.0\r\nContent-Length: 1\r\n\r\nx")
	type seen struct {
		script, path string
		url          *url.URL
		ctx          context.Context
	}
	f.Fuzz(func(t *testing.T, raw1, raw2 string) {
		var got []seen
		app := http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
			got = append(got, seen{engine.ScriptName(r), r.URL.Path, r.URL, r.Context()})
		})
		tree := engine.NewTree()
		tree.Logger = slog.New(slog.DiscardHandler)
		tree.Mount("/", app)
		tree.Mount("/a", app)
		h := gateway.New(tree, gateway.Config{})
		var paths []string
		for _, raw := range []string{raw1, raw2} {
			r, err := http.ReadRequest(bufio.NewReader(strings.NewReader(raw)))
			if err != nil {
				continue
			}
			r = r.WithContext(context.WithValue(r.Context(), fuzzKey{}, len(paths)))
			before := len(got)
			h.ServeHTTP(httptest.NewRecorder(), r)
			if len(got) == before {
				continue // not served by the app (a 400, say)
			}
			paths = append(paths, r.URL.Path)
		}
		if len(got) != len(paths) {
			t.Fatalf("%d requests served, %d paths", len(got), len(paths))
		}
		for i, s := range got {
			whole := s.script + s.path
			if s.path == "/" && s.script+"/" != paths[i] {
				whole = s.script // the app's "/" stands for an empty path info
			}
			if whole != paths[i] {
				t.Fatalf("request %d: script %q + path %q for %q", i, s.script, s.path, paths[i])
			}
			if s.url.Path != s.path || s.ctx.Value(fuzzKey{}) != i {
				t.Fatalf("request %d: what the app kept changed: %q, %v", i, s.url.Path, s.ctx.Value(fuzzKey{}))
			}
		}
	})
}

type fuzzKey struct{}
