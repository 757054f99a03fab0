package gateway_test

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/seed-49a6713b/cherrygo/gateway"
)

// The policies composed by hand around an application, in the
// recommended order (outermost first).
func Example_policies() {
	app := http.NewServeMux()
	app.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "hello\n")
	})

	stats := gateway.NewStatistics()
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	var h http.Handler = app
	h = gateway.MaxBodySize(100 << 20)(h)
	h = gateway.ThreadPool(10, -1, 10*time.Second)(h)
	h = gateway.Recover(logger)(h)
	h = gateway.AccessLog(os.Stdout)(h)
	h = stats.Middleware("", "/")(h)
	h = gateway.Forwarded(gateway.Proxies{Prefixes: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}})(h)
	h = gateway.Protocol("HTTP/1.1")(h)

	srv := &http.Server{Addr: "127.0.0.1:8080", Handler: h}
	_ = srv // srv.ListenAndServe() in a real program
}

// Body limits per route: uploads may be large, comments may not. A
// comment declaring 5000 bytes is refused before its handler runs.
func ExampleMaxBodySize() {
	upload := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := io.Copy(io.Discard, r.Body)
		fmt.Fprintf(w, "stored %d bytes\n", n)
	})
	comment := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "thanks")
	})
	mux := http.NewServeMux()
	mux.Handle("POST /upload", gateway.MaxBodySize(64<<20)(upload))
	mux.Handle("POST /comment", gateway.MaxBodySize(4<<10)(comment))

	for _, path := range []string{"/upload", "/comment"} {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, path, strings.NewReader(strings.Repeat("x", 5000))))
		fmt.Printf("%s %d Connection=%q\n", path, rec.Code, rec.Header().Get("Connection"))
	}
	// Output:
	// /upload 200 Connection=""
	// /comment 413 Connection="close"
}

// A server that runs at most 10 handlers at once; up to 100 more requests
// wait at most 5 s for a turn, the rest get 503 with Retry-After: 5.
func ExampleThreadPool() {
	app := http.NotFoundHandler()
	srv := &http.Server{
		Addr:    "127.0.0.1:8080",
		Handler: gateway.ThreadPool(10, 100, 5*time.Second)(app),
	}
	_ = srv // srv.ListenAndServe() in a real program
}

// A Pool can be watched while it serves.
func ExamplePool() {
	pool := gateway.NewPool(2, 0, time.Second)
	h := pool.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Println("in flight:", pool.InFlight())
	}))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
	fmt.Println("after:", pool.InFlight(), "waiting:", pool.Waiting())
	// Output:
	// in flight: 1
	// after: 0 waiting: 0
}

// Behind a load balancer on 10.0.0.0/8: the application sees the
// client's address and scheme from X-Forwarded-For and X-Forwarded-Proto
// (or Forwarded), walking the list from the right past the trusted
// proxies. From any other peer the headers change nothing.
func ExampleForwarded() {
	trusted := gateway.Proxies{Prefixes: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}
	h := gateway.Forwarded(trusted)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Println(r.RemoteAddr, gateway.Scheme(r))
	}))

	for _, peer := range []string{"10.0.0.2:41000", "198.51.100.7:41000"} {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.RemoteAddr = peer
		req.Header.Set("X-Forwarded-For", "192.0.2.1, 203.0.113.9, 10.1.1.1")
		req.Header.Set("X-Forwarded-Proto", "https")
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
	// Output:
	// 203.0.113.9:0 https
	// 198.51.100.7:41000 http
}

// An HTTP/1.0 server: put Protocol before the router, which copies the
// request.
func ExampleProtocol() {
	mux := http.NewServeMux()
	srv := &http.Server{
		Addr:    "127.0.0.1:8080",
		Handler: gateway.Protocol("HTTP/1.0")(mux),
	}
	_ = srv // srv.ListenAndServe() in a real program
}

func ExampleRecover() {
	logger := slog.New(slog.DiscardHandler) // a real program logs the stack
	h := gateway.Recover(logger)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		panic("something broke")
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	fmt.Print(rec.Code, " ", rec.Body.String())
	// Output:
	// 500 500 Internal Server Error
}

// An AccessLogger with a fixed clock, as a test would use it.
func ExampleAccessLogger() {
	at := time.Date(2026, time.March, 1, 12, 30, 0, 0, time.UTC)
	log := &gateway.AccessLogger{Out: os.Stdout, Now: func() time.Time { return at }}
	h := log.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "hello")
	}))

	req := httptest.NewRequest(http.MethodGet, "/greet?name=ann", nil)
	req.RemoteAddr = "192.0.2.7:51234"
	req.Header.Set("User-Agent", "curl/8.0")
	h.ServeHTTP(httptest.NewRecorder(), req)
	// Output:
	// 192.0.2.7 - - [01/Mar/2026:12:30:00 +0000] "GET /greet?name=ann HTTP/1.1" 200 5 "-" "curl/8.0"
}

func ExampleStatistics() {
	stats := gateway.NewStatistics()
	mux := http.NewServeMux()
	mux.Handle("/shop/", stats.Middleware("", "shop")(http.NotFoundHandler()))
	mux.Handle("/stats", stats) // JSON; stats.Publish("cherrygo") exports it with expvar

	for range 3 {
		mux.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/shop/missing", nil))
	}
	snap := stats.Snapshot()
	fmt.Println("requests:", snap.Total.Requests, "4xx:", snap.Total.Status.ClientError)
	fmt.Println("app:", snap.Apps[0].App, "bytes:", snap.Apps[0].BytesWritten)
	// Output:
	// requests: 3 4xx: 3
	// app: shop bytes: 57
}
