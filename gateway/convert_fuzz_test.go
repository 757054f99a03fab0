package gateway_test

import (
	"bufio"
	"net/http"
	"net/netip"
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
		var req engine.Request
		gateway.Convert(&req, r, "HTTP/1.1")
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
