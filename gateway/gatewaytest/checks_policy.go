package gatewaytest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/seed-49a6713b/cherrygo/gateway"
)

func contextWithCancel(t *testing.T) (context.Context, context.CancelFunc) {
	c, cancel := context.WithCancel(ctx(t))
	t.Cleanup(cancel)
	return c, cancel
}

// readAll is the app of the body-limit checks: it reads the whole body and
// answers 413 itself when the limit cut it.
func readAll(called *atomic.Bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		called.Store(true)
		b, err := io.ReadAll(r.Body)
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			http.Error(w, "too large", http.StatusRequestEntityTooLarge)
			return
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		io.WriteString(w, "read "+itoa(len(b)))
	})
}

func itoa(n int) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			return string(b[i:])
		}
	}
}

// testBodyLimitContentLength: a declared length over the limit gets 413
// before the app runs; one within it passes.
func testBodyLimitContentLength(t *testing.T, h Harness) {
	var called atomic.Bool
	tg := serve(t, h, gateway.Config{MaxBodySize: 1024}, "/", readAll(&called))
	post := func(n int) *http.Response {
		req, err := http.NewRequestWithContext(ctx(t), http.MethodPost, tg.URL+"/", bytes.NewReader(make([]byte, n)))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := tg.Client.Do(req)
		if err != nil {
			t.Fatalf("POST %d bytes: %v", n, err)
		}
		io.Copy(io.Discard, resp.Body) //nolint:errcheck // only the status matters
		resp.Body.Close()
		return resp
	}
	if resp := post(4096); resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("4096 bytes: status %d, want 413", resp.StatusCode)
	}
	if called.Load() {
		t.Fatal("the app ran for a body over the limit")
	}
	if resp := post(512); resp.StatusCode != http.StatusOK {
		t.Fatalf("512 bytes: status %d, want 200", resp.StatusCode)
	}
}

// testBodyLimitChunked: a body of unknown length that crosses the limit
// gets 413.
func testBodyLimitChunked(t *testing.T, h Harness) {
	var called atomic.Bool
	tg := serve(t, h, gateway.Config{MaxBodySize: 1024}, "/", readAll(&called))
	// A reader that is neither *bytes.Reader nor *strings.Reader has no
	// known length: the client sends it chunked.
	body := io.MultiReader(strings.NewReader(strings.Repeat("x", 3000)), strings.NewReader(strings.Repeat("y", 3000)))
	req, err := http.NewRequestWithContext(ctx(t), http.MethodPost, tg.URL+"/", body)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := tg.Client.Do(req)
	if err != nil {
		t.Fatalf("POST: %v", err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body) //nolint:errcheck // only the status matters
	if req.ContentLength != 0 && req.ContentLength != -1 {
		t.Fatalf("the request had a length (%d): not a chunked body", req.ContentLength)
	}
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d, want 413", resp.StatusCode)
	}
}

// testThreadPoolSaturation: with two slots and no queue, a third request
// gets 503 with Retry-After while the first two run; they then complete.
func testThreadPoolSaturation(t *testing.T, h Harness) {
	const size = 2
	entered := make(chan struct{}, size)
	release := make(chan struct{})
	tg := serve(t, h, gateway.Config{ThreadPool: size, QueueSize: 0, QueueTimeout: time.Second}, "/",
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/fast" {
				io.WriteString(w, "fast")
				return
			}
			entered <- struct{}{}
			if !handlerWait(r.Context(), release) {
				http.Error(w, "not released", http.StatusGatewayTimeout)
				return
			}
			io.WriteString(w, "slow done")
		}))
	type result struct {
		status int
		body   string
		err    error
	}
	results := make(chan result, size)
	for range size {
		go func() {
			req, err := http.NewRequestWithContext(ctx(t), http.MethodGet, tg.URL+"/slow", nil)
			if err != nil {
				results <- result{err: err}
				return
			}
			resp, err := tg.Client.Do(req)
			if err != nil {
				results <- result{err: err}
				return
			}
			defer resp.Body.Close()
			b, err := io.ReadAll(resp.Body)
			results <- result{status: resp.StatusCode, body: string(b), err: err}
		}()
	}
	for i := range size {
		wait(t, entered, "slow request "+itoa(i)+" to start")
	}
	req, err := http.NewRequestWithContext(ctx(t), http.MethodGet, tg.URL+"/fast", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := tg.Client.Do(req)
	if err != nil {
		close(release)
		t.Fatalf("GET while saturated: %v", err)
	}
	io.Copy(io.Discard, resp.Body) //nolint:errcheck // only the status matters
	resp.Body.Close()
	close(release)
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("while saturated: status %d, want 503", resp.StatusCode)
	}
	if resp.Header.Get("Retry-After") == "" {
		t.Error("503 without Retry-After")
	}
	for range size {
		r := wait(t, results, "a slow request to complete")
		if r.err != nil || r.status != http.StatusOK || r.body != "slow done" {
			t.Errorf("slow request: %d %q %v", r.status, r.body, r.err)
		}
	}
	if status, body := get(t, tg, "/fast"); status != http.StatusOK || body != "fast" {
		t.Errorf("after the load: %d %q", status, body)
	}
}

// testPanicThenNext: a panic is a 500 and the server goes on serving.
func testPanicThenNext(t *testing.T, h Harness) {
	tg := serve(t, h, gateway.Config{}, "/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/panic" {
			panic("conformance panic")
		}
		io.WriteString(w, "fine")
	}))
	if status, _ := get(t, tg, "/panic"); status != http.StatusInternalServerError {
		t.Fatalf("panic: status %d, want 500", status)
	}
	if status, body := get(t, tg, "/ok"); status != http.StatusOK || body != "fine" {
		t.Fatalf("after the panic: %d %q", status, body)
	}
}
