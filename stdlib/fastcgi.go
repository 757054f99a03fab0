package stdlib

import (
	"net/http"
	"sync"
)

// FastCGI: with WithFastCGI a server speaks FastCGI (net/http/fcgi, the
// responder role) on its TCP or unix socket, for a web server in front
// (nginx's fastcgi_pass, Apache's mod_proxy_fcgi). net/http/fcgi has no
// shutdown and no connection states, so the server counts the requests
// its handler is running: Stop closes the listeners, waits until that
// count drops to zero (within ctx and SHUTDOWN_TIMEOUT), then closes every
// connection. The web server's keep-alive connections therefore never
// delay Stop. FastCGI does not speak TLS, so New refuses certificates
// together with WithFastCGI.

// inflight counts the requests a handler is running.
type inflight struct {
	mu      sync.Mutex      // guards the fields below
	n       int             // requests running
	waiters []chan struct{} // closed when n drops to zero
}

// wrap counts h's requests.
func (f *inflight) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.add(1)
		defer f.add(-1)
		h.ServeHTTP(w, r)
	})
}

func (f *inflight) add(d int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n += d
	if f.n == 0 {
		for _, ch := range f.waiters {
			close(ch)
		}
		f.waiters = nil
	}
}

// idle returns a channel closed once no request is running.
func (f *inflight) idle() <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	ch := make(chan struct{})
	if f.n == 0 {
		close(ch)
	} else {
		f.waiters = append(f.waiters, ch)
	}
	return ch
}
