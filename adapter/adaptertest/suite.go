package adaptertest

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/seed-49a6713b/cherrygo/adapter"
	"go.uber.org/goleak"
)

// RunConformanceTests checks that the servers h makes keep the
// adapter.Server contract. Each check is a subtest; they run one after
// the other, as the leak check counts the process's file descriptors.
func RunConformanceTests(t *testing.T, h Harness) {
	t.Helper()
	if h.New == nil || h.NewAt == nil {
		t.Fatal("adaptertest: Harness.New and Harness.NewAt are required")
	}
	checks := []struct {
		name string
		fn   func(*testing.T, *Harness)
	}{
		{"ServesWhenReady", testServesWhenReady},
		{"BindFailureFromStart", testBindFailure},
		{"StopIdempotent", testStopIdempotent},
		{"Restart", testRestart},
		{"AddressFreeAfterStop", testAddressFree},
		{"InFlightRequestCompletes", testInFlight},
		{"IdleConnectionsDoNotDelayStop", testIdleConns},
		{"StuckRequestCutOff", testCutOff},
		{"HijackedConnectionClosed", testHijacked},
		{"NoLeaksAfterCycles", testCycles},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			ignore := goleak.IgnoreCurrent() // what ran before this check
			t.Cleanup(func() { goleak.VerifyNone(t, ignore) })
			c.fn(t, &h)
		})
	}
}

// hello answers every request with "hello".
var hello = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
	_, _ = io.WriteString(w, "hello")
})

// get fetches the base URL through each target and checks the answer.
func (h *Harness) getEach(t *testing.T, srv adapter.Server) {
	t.Helper()
	network, targets := h.targets(t, srv)
	for _, target := range targets {
		c, base := h.client(t, srv, network, target)
		resp, err := c.Get(base + "/")
		if err != nil {
			t.Fatalf("%s: GET via %s: %v", h.Name, target, err)
		}
		body, err := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK || string(body) != "hello" {
			t.Fatalf("%s: GET via %s: %d %q %v, want 200 \"hello\"", h.Name, target, resp.StatusCode, body, err)
		}
	}
}

func testServesWhenReady(t *testing.T, h *Harness) {
	srv := h.New(t, hello)
	r := start(t, srv)
	h.getEach(t, srv)
	if err := r.stop(t); err != nil {
		t.Errorf("Stop: %v", err)
	}
}

func testBindFailure(t *testing.T, h *Harness) {
	first := h.New(t, hello)
	start(t, first)
	second := h.NewAt(t, hello, addrOf(t, first))
	r := launch(second)
	select {
	case <-r.done:
	case <-time.After(waitTimeout):
		_ = second.Stop(context.Background())
		<-r.done
		t.Fatalf("%s: Start on a taken address did not return within %v", h.Name, waitTimeout)
	}
	if r.err == nil {
		t.Fatalf("%s: Start on a taken address returned nil", h.Name)
	}
	if !errors.Is(r.err, syscall.EADDRINUSE) {
		t.Errorf("%s: Start error %q does not match syscall.EADDRINUSE", h.Name, r.err)
	}
	if rn, ok := second.(adapter.ReadyNotifier); ok && isClosed(rn.Ready()) {
		t.Errorf("%s: Ready closed although the bind failed", h.Name)
	}
	if err := second.Stop(context.Background()); err != nil {
		t.Errorf("%s: Stop after a failed Start: %v", h.Name, err)
	}
	h.getEach(t, first) // the first server is unharmed
}

func testStopIdempotent(t *testing.T, h *Harness) {
	srv := h.New(t, hello)
	if err := srv.Stop(context.Background()); err != nil {
		t.Errorf("Stop before Start: %v", err)
	}
	r := start(t, srv)
	if err := r.stop(t); err != nil {
		t.Errorf("first Stop: %v", err)
	}
	if err := srv.Stop(context.Background()); err != nil {
		t.Errorf("second Stop: %v", err)
	}
}

func testRestart(t *testing.T, h *Harness) {
	srv := h.New(t, hello)
	for i := range 3 {
		r := start(t, srv)
		h.getEach(t, srv)
		if err := r.stop(t); err != nil {
			t.Fatalf("run %d: Stop: %v", i, err)
		}
		if rn, ok := srv.(adapter.ReadyNotifier); ok && isClosed(rn.Ready()) {
			t.Fatalf("run %d: Ready still closed after Stop: want a new channel", i)
		}
	}
}

func testAddressFree(t *testing.T, h *Harness) {
	srv := h.New(t, hello)
	r := start(t, srv)
	addr := addrOf(t, srv)
	if err := r.stop(t); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	network := addr.Network()
	if network == "unix" {
		if _, err := os.Lstat(addr.String()); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("socket file %s still there after Stop (%v)", addr, err)
		}
	} else if strings.HasPrefix(addr.String(), "0.0.0.0:") {
		network = "tcp4"
	}
	l, err := net.Listen(network, addr.String())
	if err != nil {
		t.Fatalf("%s: bind %s right after Stop: %v", h.Name, addr, err)
	}
	_ = l.Close()
}

// blocking is a handler whose "/slow" requests announce themselves on
// entered and wait for release or their context to end.
type blocking struct {
	entered chan struct{}
	release chan struct{}
}

func newBlocking(t *testing.T) *blocking {
	b := &blocking{entered: make(chan struct{}, 16), release: make(chan struct{})}
	t.Cleanup(func() {
		select {
		case <-b.release:
		default:
			close(b.release)
		}
	})
	return b
}

func (b *blocking) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/slow" {
		hello(w, r)
		return
	}
	b.entered <- struct{}{}
	select {
	case <-b.release:
		_, _ = io.WriteString(w, "done")
	case <-r.Context().Done():
	}
}

// fetch runs a GET in a goroutine and reports its outcome.
type fetched struct {
	status int
	body   string
	err    error
}

func fetch(c *http.Client, url string) <-chan fetched {
	out := make(chan fetched, 1)
	go func() {
		resp, err := c.Get(url)
		if err != nil {
			out <- fetched{err: err}
			return
		}
		body, err := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		out <- fetched{status: resp.StatusCode, body: string(body), err: err}
	}()
	return out
}

func waitEntered(t *testing.T, b *blocking) {
	t.Helper()
	select {
	case <-b.entered:
	case <-time.After(waitTimeout):
		t.Fatalf("the request did not reach the handler within %v", waitTimeout)
	}
}

// waitRefusing waits until the server no longer accepts connections: the
// sign that Stop has begun. Refusal cannot be waited on as an event, so
// this is a bounded poll.
func waitRefusing(t *testing.T, network, target string) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout(network, target, waitTimeout)
		if err != nil {
			return
		}
		_ = c.Close()
		time.Sleep(pollInterval) // a bounded retry of a probe
	}
	t.Fatalf("still accepting %v after Stop began", waitTimeout)
}

// slowRequest is a started server with one request blocked in its
// handler.
type slowRequest struct {
	b       *blocking      // release it to let the request finish
	srv     adapter.Server //
	r       *running       // the server's Start
	got     <-chan fetched // the request's outcome
	network string         // where the server listens
	target  string         //
}

// startSlowRequest starts a server whose handler blocks, and returns once
// a request is inside it.
func startSlowRequest(t *testing.T, h *Harness) slowRequest {
	t.Helper()
	b := newBlocking(t)
	srv := h.New(t, b)
	r := start(t, srv)
	network, targets := h.targets(t, srv)
	c, base := h.client(t, srv, network, targets[0])
	got := fetch(c, base+"/slow")
	waitEntered(t, b)
	return slowRequest{b: b, srv: srv, r: r, got: got, network: network, target: targets[0]}
}

func testInFlight(t *testing.T, h *Harness) {
	sr := startSlowRequest(t, h)
	b, srv, r, got := sr.b, sr.srv, sr.r, sr.got

	stopped := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		stopped <- srv.Stop(ctx)
	}()
	waitRefusing(t, sr.network, sr.target)
	select {
	case err := <-stopped:
		t.Fatalf("Stop returned (%v) while a request was in flight", err)
	default:
	}
	close(b.release)

	select {
	case f := <-got:
		if f.err != nil || f.status != http.StatusOK || f.body != "done" {
			t.Errorf("in-flight request: %d %q %v, want 200 \"done\"", f.status, f.body, f.err)
		}
	case <-time.After(waitTimeout):
		t.Fatal("in-flight request got no answer")
	}
	select {
	case err := <-stopped:
		if err != nil {
			t.Errorf("Stop after a drained request: %v, want nil", err)
		}
	case <-time.After(waitTimeout):
		t.Fatal("Stop did not return after the request finished")
	}
	if err := r.wait(t); err != nil {
		t.Errorf("Start returned %v after Stop, want nil", err)
	}
}

func testIdleConns(t *testing.T, h *Harness) {
	srv := h.New(t, hello)
	r := start(t, srv)
	silent := h.dialTCPOnly(t, srv) // never sends a byte
	// A keep-alive connection, idle after one request. The server accepts
	// in order, so once this answers, silent has been accepted too.
	network, targets := h.targets(t, srv)
	c, base := h.client(t, srv, network, targets[0])
	resp, err := c.Get(base + "/")
	if err != nil {
		t.Fatalf("GET: %v", err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()

	began := time.Now()
	err = r.stop(t)
	took := time.Since(began)
	if err != nil {
		t.Errorf("Stop: %v, want nil: no request was in flight", err)
	}
	if took > quickStop {
		t.Errorf("%s: Stop took %v with only idle and silent connections open, want < %v", h.Name, took, quickStop)
	}
	t.Logf("%s: Stop took %v", h.Name, took)
	expectClosed(t, silent)
}

// expectClosed checks that the server closed c: a read ends with EOF or
// a reset, not with the deadline.
func expectClosed(t *testing.T, c net.Conn) {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(waitTimeout))
	_, err := io.Copy(io.Discard, c)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Errorf("connection still open %v after Stop", waitTimeout)
	}
}

func testCutOff(t *testing.T, h *Harness) {
	sr := startSlowRequest(t, h)
	srv, r, got := sr.srv, sr.r, sr.got

	ctx, cancel := context.WithTimeout(context.Background(), cutOffAfter)
	defer cancel()
	began := time.Now()
	err := srv.Stop(ctx)
	took := time.Since(began)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Stop with a stuck request: %v, want context.DeadlineExceeded", err)
	}
	if took > waitTimeout/2 {
		t.Errorf("Stop took %v with a %v context", took, cutOffAfter)
	}
	select {
	case f := <-got:
		if f.err == nil && f.body == "done" {
			t.Errorf("the stuck request was answered, want it cut off")
		}
	case <-time.After(waitTimeout):
		t.Fatal("the client of the cut-off request did not notice")
	}
	if err := r.wait(t); err != nil {
		t.Errorf("Start returned %v after Stop, want nil", err)
	}
}

func testHijacked(t *testing.T, h *Harness) {
	released := make(chan error, 1)
	handler := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		conn, rw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			released <- err
			return
		}
		_, _ = rw.WriteString("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: test\r\n\r\nhijacked\n")
		_ = rw.Flush()
		_, err = io.Copy(io.Discard, conn) // until the server closes it
		released <- err
	})
	srv := h.New(t, handler)
	r := start(t, srv)
	conn := h.dialRaw(t, srv)
	if _, err := io.WriteString(conn, "GET /ws HTTP/1.1\r\nHost: backend\r\nConnection: Upgrade\r\nUpgrade: test\r\n\r\n"); err != nil {
		t.Fatalf("write request: %v", err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(waitTimeout))
	br := bufio.NewReader(conn)
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatalf("reading the hijacked answer: %v", err)
		}
		if line == "hijacked\n" {
			break
		}
	}
	began := time.Now()
	if err := r.stop(t); err != nil {
		t.Errorf("Stop with a hijacked connection: %v, want nil", err)
	}
	if took := time.Since(began); took > quickStop {
		t.Errorf("Stop took %v with a hijacked connection, want < %v", took, quickStop)
	}
	select {
	case <-released:
	case <-time.After(waitTimeout):
		t.Fatal("the hijacked connection was not closed by Stop")
	}
	expectClosed(t, conn)
}

func testCycles(t *testing.T, h *Harness) {
	n := h.Cycles
	if n <= 0 {
		n = 1000
		if testing.Short() {
			n = 100
		}
	}
	srv := h.New(t, hello)
	cycle := func(i int) {
		r := launch(srv)
		r.waitReady(t)
		if i%100 == 0 {
			h.getEach(t, srv)
		}
		if err := r.stop(t); err != nil {
			t.Fatalf("cycle %d: Stop: %v", i, err)
		}
	}
	cycle(0) // lets the runtime open its own descriptors (poller) first
	before, countable := countFDs()
	began := time.Now()
	for i := 1; i <= n && !t.Failed(); i++ {
		cycle(i)
	}
	t.Logf("%s: %d start/stop cycles in %v", h.Name, n, time.Since(began))
	if after, ok := countFDs(); countable && ok && after > before+fdSlack {
		t.Errorf("%s: %d open file descriptors after %d cycles, %d before", h.Name, after, n, before)
	}
}
