package gatewaytest

import (
	"fmt"
	"io"
	"net/http"
	"testing"
)

// testFlushChunks: the handler writes and flushes ten chunks, and waits
// for the client to have read each one before it writes the next. Like
// the other streaming checks, it runs with every policy on.
func testFlushChunks(t *testing.T, h Harness) {
	const chunks = 10
	read := make(chan struct{})
	done := make(chan error, 1)
	tg := serve(t, h, fullStack(), "/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		for i := range chunks {
			if _, err := fmt.Fprintf(w, "chunk %02d;", i); err != nil {
				done <- err
				return
			}
			if err := rc.Flush(); err != nil {
				done <- fmt.Errorf("flush %d: %w", i, err)
				return
			}
			if !handlerWait(r.Context(), read) {
				done <- fmt.Errorf("chunk %d was not read by the client", i)
				return
			}
		}
		done <- nil
	}))
	req, err := http.NewRequestWithContext(ctx(t), http.MethodGet, tg.URL+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := tg.Client.Do(req)
	if err != nil {
		t.Fatalf("GET: %v", err)
	}
	defer resp.Body.Close()
	for i := range chunks {
		want := fmt.Sprintf("chunk %02d;", i)
		buf := make([]byte, len(want))
		if _, err := io.ReadFull(resp.Body, buf); err != nil {
			t.Fatalf("reading chunk %d: %v", i, err)
		}
		if string(buf) != want {
			t.Fatalf("chunk %d = %q, want %q", i, buf, want)
		}
		signal(t, read, struct{}{}, fmt.Sprintf("chunk %d", i))
	}
	if err := wait(t, done, "the handler"); err != nil {
		t.Fatal(err)
	}
	if rest, err := io.ReadAll(resp.Body); err != nil || len(rest) != 0 {
		t.Fatalf("after the chunks: %q, %v", rest, err)
	}
}

// testHijackEcho: the handler takes over the connection after a 101 and
// echoes what it reads.
func testHijackEcho(t *testing.T, h Harness) {
	tg := serve(t, h, fullStack(), "/", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		conn, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			http.Error(w, "hijack: "+err.Error(), http.StatusInternalServerError)
			return
		}
		defer conn.Close()
		brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n")
		if brw.Flush() != nil {
			return
		}
		for {
			line, err := brw.ReadString('\n')
			if err != nil {
				return
			}
			brw.WriteString("echo " + line)
			if brw.Flush() != nil {
				return
			}
		}
	}))
	c := dial(t, tg)
	c.send(t, "GET /ws HTTP/1.1\r\nHost: test\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n")
	resp, err := http.ReadResponse(c.r, nil)
	if err != nil {
		t.Fatalf("reading the upgrade response: %v", err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("status %d (%s), want 101", resp.StatusCode, b)
	}
	for i := range 5 {
		msg := fmt.Sprintf("message %d\n", i)
		c.send(t, "%s", msg)
		line, err := c.r.ReadString('\n')
		if err != nil {
			t.Fatalf("reading echo %d: %v", i, err)
		}
		if line != "echo "+msg {
			t.Fatalf("echo %d = %q", i, line)
		}
	}
}

// testTrailers: trailers declared before the body and set after it reach
// the client.
func testTrailers(t *testing.T, h Harness) {
	tg := serve(t, h, fullStack(), "/", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Trailer", "X-Checksum")
		io.WriteString(w, "some body")
		http.NewResponseController(w).Flush() //nolint:errcheck // the trailer must come after a streamed body
		w.Header().Set("X-Checksum", "abc123")
		w.Header().Set(http.TrailerPrefix+"X-Late", "late")
	}))
	req, err := http.NewRequestWithContext(ctx(t), http.MethodGet, tg.URL+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := tg.Client.Do(req)
	if err != nil {
		t.Fatalf("GET: %v", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || string(b) != "some body" {
		t.Fatalf("body %q, %v", b, err)
	}
	if got := resp.Trailer.Get("X-Checksum"); got != "abc123" {
		t.Errorf("trailer X-Checksum = %q, want abc123 (trailers %v)", got, resp.Trailer)
	}
	if got := resp.Trailer.Get("X-Late"); got != "late" {
		t.Errorf("trailer X-Late = %q, want late (trailers %v)", got, resp.Trailer)
	}
}

// testDisconnectCancels: a client that goes away cancels the context of
// the handler serving it.
func testDisconnectCancels(t *testing.T, h Harness) {
	started := make(chan struct{})
	cancelled := make(chan bool, 1)
	tg := serve(t, h, fullStack(), "/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
		http.NewResponseController(w).Flush() //nolint:errcheck // the client waits for the header
		close(started)
		cancelled <- !handlerWait(r.Context(), nil) && r.Context().Err() != nil
	}))
	reqCtx, cancel := contextWithCancel(t)
	req, err := http.NewRequestWithContext(reqCtx, http.MethodGet, tg.URL+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := tg.Client.Do(req)
	if err != nil {
		t.Fatalf("GET: %v", err)
	}
	wait(t, started, "the handler to start")
	cancel()
	resp.Body.Close()
	if !wait(t, cancelled, "the handler's context to end") {
		t.Fatal("the handler's context was not cancelled")
	}
}
