package gatewaytest

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/seed-49a6713b/cherrygo/engine"
	"github.com/seed-49a6713b/cherrygo/gateway"
)

// testScriptName: the app mounted at /app sees its script name and the
// rest of the path, and the query.
func testScriptName(t *testing.T, h Harness) {
	tg := serve(t, h, gateway.Config{}, "/app", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req := engine.RequestFrom(r)
		fmt.Fprintf(w, "%s|%s|%s|%s", engine.ScriptName(r), r.URL.Path, r.URL.RawQuery, req.Scheme)
	}))
	status, body := get(t, tg, "/app/items/1?x=y")
	scheme := strings.SplitN(tg.URL, ":", 2)[0]
	if want := "/app|/items/1|x=y|" + scheme; status != http.StatusOK || body != want {
		t.Fatalf("got %d %q, want 200 %q", status, body, want)
	}
	if status, _ := get(t, tg, "/apple"); status != http.StatusNotFound {
		t.Fatalf("/apple: status %d, want 404", status)
	}
}

// testHeadHasNoBody: a HEAD response carries no body, so the response to
// the next request on the same connection parses.
func testHeadHasNoBody(t *testing.T, h Harness) {
	tg := serve(t, h, gateway.Config{}, "/", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, "the body of GET")
	}))
	c := dial(t, tg)
	c.send(t, "HEAD / HTTP/1.1\r\nHost: test\r\n\r\nGET /second HTTP/1.1\r\nHost: test\r\n\r\n")
	resp, body := c.response(t, http.MethodHead)
	if resp.StatusCode != http.StatusOK || body != "" {
		t.Fatalf("HEAD: %d %q", resp.StatusCode, body)
	}
	resp, body = c.response(t, http.MethodGet)
	if resp.StatusCode != http.StatusOK || body != "the body of GET" {
		t.Fatalf("GET after HEAD: %d %q", resp.StatusCode, body)
	}
}

// testHTTP10Client: an HTTP/1.0 request gets an HTTP/1.0 response, not
// chunked.
func testHTTP10Client(t *testing.T, h Harness) {
	tg := serve(t, h, gateway.Config{}, "/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "proto %s", engine.RequestFrom(r).Protocol)
		http.NewResponseController(w).Flush() //nolint:errcheck // would force chunking on HTTP/1.1
		io.WriteString(w, " streamed")
	}))
	c := dial(t, tg)
	c.send(t, "GET / HTTP/1.0\r\nHost: test\r\n\r\n")
	resp, body := c.response(t, http.MethodGet)
	if resp.Proto != "HTTP/1.0" {
		t.Errorf("response protocol %q, want HTTP/1.0", resp.Proto)
	}
	if len(resp.TransferEncoding) != 0 {
		t.Errorf("Transfer-Encoding %v on an HTTP/1.0 response", resp.TransferEncoding)
	}
	if body != "proto HTTP/1.0 streamed" {
		t.Errorf("body %q", body)
	}
}

// testHTTP10Server: a server set to HTTP/1.0 answers an HTTP/1.1 request
// as HTTP/1.0, and the engine request knows both protocols.
func testHTTP10Server(t *testing.T, h Harness) {
	tg := serve(t, h, gateway.Config{ProtocolVersion: "HTTP/1.0"}, "/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req := engine.RequestFrom(r)
		fmt.Fprintf(w, "server %s response %s", req.ServerProtocol, req.ResponseProtocol())
		http.NewResponseController(w).Flush() //nolint:errcheck // would force chunking on HTTP/1.1
	}))
	c := dial(t, tg)
	c.send(t, "GET / HTTP/1.1\r\nHost: test\r\n\r\n")
	resp, body := c.response(t, http.MethodGet)
	if resp.Proto != "HTTP/1.0" {
		t.Errorf("response protocol %q, want HTTP/1.0", resp.Proto)
	}
	if len(resp.TransferEncoding) != 0 {
		t.Errorf("Transfer-Encoding %v on an HTTP/1.0 response", resp.TransferEncoding)
	}
	if body != "server HTTP/1.0 response HTTP/1.0" {
		t.Errorf("body %q", body)
	}
}
