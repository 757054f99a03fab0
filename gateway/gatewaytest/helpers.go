package gatewaytest

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/seed-49a6713b/cherrygo/internal/testwait"
)

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// get sends a GET of path and returns the status and body.
func get(t *testing.T, tg Target, path string) (int, string) {
	t.Helper()
	return getWith(t, tg, path, nil)
}

// getWith is get with the given request headers.
func getWith(t *testing.T, tg Target, path string, header http.Header) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx(t), http.MethodGet, tg.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := tg.Client.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: reading the body: %v", path, err)
	}
	return resp.StatusCode, string(b)
}

// rawConn is a raw HTTP/1.x connection with a deadline of Timeout.
type rawConn struct {
	net.Conn
	r *bufio.Reader
}

func dial(t *testing.T, tg Target) *rawConn {
	t.Helper()
	c, err := tg.Dial(ctx(t))
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.SetDeadline(time.Now().Add(Timeout)); err != nil {
		t.Fatalf("set deadline: %v", err)
	}
	return &rawConn{Conn: c, r: bufio.NewReader(c)}
}

// send writes a raw request.
func (c *rawConn) send(t *testing.T, format string, args ...any) {
	t.Helper()
	if _, err := fmt.Fprintf(c, format, args...); err != nil {
		t.Fatalf("writing the request: %v", err)
	}
}

// response reads one response whose request had method, and its body.
func (c *rawConn) response(t *testing.T, method string) (*http.Response, string) {
	t.Helper()
	resp, err := http.ReadResponse(c.r, &http.Request{Method: method})
	if err != nil {
		t.Fatalf("reading the response: %v", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading the response body: %v", err)
	}
	return resp, string(b)
}

// wait receives from ch or fails the test after Timeout.
func wait[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	return testwait.Receive(t, ch, what)
}

// signal sends v on ch unless the test's wait runs out.
func signal[T any](t *testing.T, ch chan<- T, v T, what string) {
	t.Helper()
	select {
	case ch <- v:
	case <-time.After(Timeout):
		t.Fatalf("timed out handing over %s", what)
	}
}

// handlerCtx is what handlers block on: the request's context or, as a
// safety net, the suite's timeout.
func handlerWait(ctx context.Context, ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	case <-ctx.Done():
		return false
	case <-time.After(Timeout):
		return false
	}
}
