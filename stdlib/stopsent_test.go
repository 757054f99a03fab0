package stdlib

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// freshLoad is what a client that opens a new connection for every request
// (nginx without upstream keep-alive) saw across a stop.
type freshLoad struct {
	ok      atomic.Int64 // requests answered
	lost    atomic.Int64 // requests written, then a reset or EOF without a response
	refused atomic.Int64 // connections refused: nothing was sent
}

// driveFresh runs clients goroutines against addr, each opening a new
// connection per request, until stop is closed and a dial fails, or
// limit passes. begun is closed once warm requests were answered.
func driveFresh(addr string, clients, warm int, limit time.Duration, begun chan<- struct{}, stopped <-chan struct{}) *freshLoad {
	var load freshLoad
	var once sync.Once
	deadline := time.Now().Add(limit)
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				c, err := net.DialTimeout("tcp", addr, time.Second)
				if err != nil {
					load.refused.Add(1)
					select {
					case <-stopped:
						return // the server is gone, as it should be
					default:
						continue
					}
				}
				_ = c.SetDeadline(time.Now().Add(5 * time.Second))
				if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"); err != nil {
					_ = c.Close()
					if errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
						load.lost.Add(1)
					}
					continue
				}
				resp, err := http.ReadResponse(bufio.NewReader(c), nil)
				if err == nil {
					_, err = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				_ = c.Close()
				if err != nil {
					load.lost.Add(1)
					continue
				}
				if load.ok.Add(1) == int64(warm) {
					once.Do(func() { close(begun) })
				}
			}
		})
	}
	wg.Wait()
	once.Do(func() { close(begun) })
	return &load
}

// A stop drops nothing a client already sent: at 50 clients that each open
// a fresh connection per request, every request written before the stop
// (accepted, or still in the accept queue) is answered; the clients that
// come after it are refused, not reset. net/http's own Shutdown on the same
// load is measured beside it, for the record.
func TestStopDropsNothingAlreadySent(t *testing.T) {
	if testing.Short() {
		t.Skip("a load test")
	}
	const clients, warm = 50, 500
	hello := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "Hello") })

	run := func(name string, start func() (addr string, stop func())) *freshLoad {
		addr, stop := start()
		begun, stopped := make(chan struct{}), make(chan struct{})
		result := make(chan *freshLoad, 1)
		go func() { result <- driveFresh(addr, clients, warm, 10*time.Second, begun, stopped) }()
		select {
		case <-begun:
		case <-time.After(waitTimeout):
			t.Fatalf("%s: %d requests not answered in time", name, warm)
		}
		stop()
		close(stopped)
		load := <-result
		t.Logf("%s: %d answered, %d written and lost, %d refused", name, load.ok.Load(), load.lost.Load(), load.refused.Load())
		return load
	}

	kit := run("kit", func() (string, func()) {
		srv, err := New(testConfig(), hello)
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- srv.Start() }()
		<-srv.Ready()
		return srv.Addr().String(), func() {
			if err := srv.Stop(context.Background()); err != nil {
				t.Errorf("Stop: %v", err)
			}
			if err := <-done; err != nil {
				t.Errorf("Start: %v", err)
			}
		}
	})
	if n := kit.lost.Load(); n != 0 {
		t.Errorf("the kit lost %d requests that were written before its stop", n)
	}

	run("net/http Shutdown", func() (string, func()) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		srv := &http.Server{Handler: hello}
		done := make(chan error, 1)
		go func() { done <- srv.Serve(l) }()
		return l.Addr().String(), func() {
			ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
			defer cancel()
			_ = srv.Shutdown(ctx)
			<-done
		}
	})
}

// A keep-alive connection between two requests gets StopGrace: a request
// it sends while the stop begins is answered, with the connection closed
// after it, not reset.
func TestStopAnswersKeepAliveRequestSentDuringStop(t *testing.T) {
	srv, err := New(testConfig(), http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "Hello") }))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Start() }()
	<-srv.Ready()
	c := dial(t, "tcp", srv.Addr().String())
	br := bufio.NewReader(c)
	get := func() (*http.Response, error) {
		if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
			return nil, err
		}
		resp, err := http.ReadResponse(br, nil)
		if err == nil {
			_, err = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		return resp, err
	}
	if _, err := get(); err != nil {
		t.Fatal(err)
	}
	stopped := make(chan error, 1)
	go func() { stopped <- srv.Stop(context.Background()) }()
	resp, err := get() // before or during the stop: answered either way
	if err != nil {
		t.Fatalf("the request sent as the stop began: %v", err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Errorf("status %d", resp.StatusCode)
	}
	if err := <-stopped; err != nil {
		t.Errorf("Stop: %v", err)
	}
	if err := <-done; err != nil {
		t.Errorf("Start: %v", err)
	}
}

// keepAliveClient is one HTTP/1.1 connection to srv that sends GET /
// requests on demand.
type keepAliveClient struct {
	c  net.Conn
	br *bufio.Reader
}

func newKeepAliveClient(t *testing.T, srv *Server) *keepAliveClient {
	c := dial(t, "tcp", srv.Addr().String())
	return &keepAliveClient{c: c, br: bufio.NewReader(c)}
}

func (k *keepAliveClient) get() (*http.Response, error) {
	_ = k.c.SetDeadline(time.Now().Add(waitTimeout))
	if _, err := io.WriteString(k.c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		return nil, err
	}
	resp, err := http.ReadResponse(k.br, nil)
	if err == nil {
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	return resp, err
}

// servedKeepAlive starts a server that the test stops itself (done gets
// Start's result) and a keep-alive client that has had one answer.
func servedKeepAlive(t *testing.T) (*Server, <-chan error, *keepAliveClient) {
	t.Helper()
	srv, err := New(testConfig(), hello)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Start() }()
	<-srv.Ready()
	k := newKeepAliveClient(t, srv)
	if _, err := k.get(); err != nil {
		t.Fatal(err)
	}
	return srv, done, k
}

// startStop starts srv's Stop and returns a channel with its result.
func startStop(srv *Server) <-chan error {
	stopped := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		stopped <- srv.Stop(ctx)
	}()
	return stopped
}

// A client that got a keep-alive response just before the stop and is
// slow to send its next request (longer than StopGrace, within
// KeepAliveGrace) is answered, not reset: a load balancer's pooled
// connection on a busy machine.
func TestStopWaitsForAStalledKeepAliveClient(t *testing.T) {
	srv, done, k := servedKeepAlive(t)
	answered := time.Now()
	stopped := startStop(srv)
	<-time.After(2 * StopGrace) // the client's stall, not a synchronisation
	resp, err := k.get()
	if err != nil {
		t.Fatalf("the request sent %v after the last response, during the stop: %v", time.Since(answered), err)
	}
	if resp.StatusCode != http.StatusOK || !resp.Close {
		t.Errorf("got %d, close %v; want 200 served by the stopping server, closing the connection", resp.StatusCode, resp.Close)
	}
	if err := <-stopped; err != nil {
		t.Errorf("Stop: %v", err)
	}
	if err := <-done; err != nil {
		t.Errorf("Start: %v", err)
	}
}

// A keep-alive connection that has been idle for longer than
// KeepAliveGrace is closed StopGrace after the stop began: Stop does not
// wait a whole KeepAliveGrace for it.
func TestStopClosesAnIdleKeepAliveConnectionAfterStopGrace(t *testing.T) {
	srv, done, k := servedKeepAlive(t)
	<-time.After(KeepAliveGrace + StopGrace) // the connection's idleness, not a synchronisation
	began := time.Now()
	if err := <-startStop(srv); err != nil {
		t.Errorf("Stop: %v", err)
	}
	took := time.Since(began)
	if took >= KeepAliveGrace {
		t.Errorf("Stop took %v with a connection idle for longer than KeepAliveGrace (%v); want about StopGrace (%v)", took, KeepAliveGrace, StopGrace)
	}
	t.Logf("Stop took %v", took)
	_ = k.c.SetReadDeadline(time.Now().Add(waitTimeout))
	if n, err := k.c.Read(make([]byte, 1)); n != 0 || !errors.Is(err, io.EOF) {
		t.Errorf("the idle connection: read %d bytes, %v; want EOF", n, err)
	}
	if err := <-done; err != nil {
		t.Errorf("Start: %v", err)
	}
}
