package gateway_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/seed-49a6713b/cherrygo/engine"
	"github.com/seed-49a6713b/cherrygo/gateway"
)

// benchRouter is the app of the benchmarks: a small chi router.
func benchRouter() http.Handler {
	r := chi.NewRouter()
	hello := []byte("Hello, world!")
	r.Get("/", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Write(hello)
	})
	r.Get("/posts/{id}", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, chi.URLParam(r, "id"))
	})
	return r
}

// benchHandlers are the two contenders: chi called directly, and the same
// router mounted at the root of a tree behind gateway.New (default
// Config).
func benchHandlers() []struct {
	name string
	h    http.Handler
} {
	tree := engine.NewTree()
	tree.Mount("/", benchRouter())
	return []struct {
		name string
		h    http.Handler
	}{
		{"raw-chi", benchRouter()},
		{"gateway", gateway.New(tree, gateway.Config{})},
	}
}

// BenchmarkRecorder serves GET / through httptest.NewRecorder: the
// gateway's and the engine's own cost per request.
func BenchmarkRecorder(b *testing.B) {
	for _, c := range benchHandlers() {
		b.Run(c.name, func(b *testing.B) {
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			b.ReportAllocs()
			for b.Loop() {
				c.h.ServeHTTP(httptest.NewRecorder(), req)
			}
		})
	}
}

// BenchmarkLoopback serves GET / over real loopback connections with
// keep-alive, from parallel clients.
func BenchmarkLoopback(b *testing.B) {
	for _, c := range benchHandlers() {
		b.Run(c.name, func(b *testing.B) {
			srv := httptest.NewServer(c.h)
			defer srv.Close()
			tr := &http.Transport{MaxIdleConnsPerHost: 64, MaxConnsPerHost: 64}
			defer tr.CloseIdleConnections()
			client := &http.Client{Transport: tr}
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					resp, err := client.Get(srv.URL + "/")
					if err != nil {
						b.Error(err)
						return
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						b.Errorf("status %d", resp.StatusCode)
						return
					}
				}
			})
		})
	}
}

// BenchmarkRecorderRatio is BenchmarkRecorder with the two contenders
// interleaved in blocks of 256 requests (alternating which goes first),
// so that both see the same machine: on a shared VM, whose speed drifts
// by tens of percent between runs, the ratio it reports (gateway/raw) is
// steadier than the ratio of two separate benchmarks. ns/op counts one
// request of each.
func BenchmarkRecorderRatio(b *testing.B) {
	hs := benchHandlers()
	raw, gw := hs[0].h, hs[1].h
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	const block = 256
	var spent [2]time.Duration
	run := func(i int, h http.Handler) {
		start := time.Now()
		for range block {
			h.ServeHTTP(httptest.NewRecorder(), req)
		}
		spent[i] += time.Since(start)
	}
	b.ReportAllocs()
	blocks := 0
	for b.Loop() {
		if blocks%2 == 0 {
			run(0, raw)
			run(1, gw)
		} else {
			run(1, gw)
			run(0, raw)
		}
		blocks++
	}
	n := float64(blocks * block)
	b.ReportMetric(float64(spent[0].Nanoseconds())/n, "raw-ns/req")
	b.ReportMetric(float64(spent[1].Nanoseconds())/n, "gateway-ns/req")
	b.ReportMetric(float64(spent[1])/float64(spent[0]), "gateway/raw")
}
