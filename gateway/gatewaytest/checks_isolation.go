package gatewaytest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
	"weak"

	"github.com/go-chi/chi/v5"

	"github.com/seed-49a6713b/cherrygo/engine"
	"github.com/seed-49a6713b/cherrygo/gateway"
)

// The isolation checks: a handler behind the gateway gets net/http's
// contract whole. What it keeps of its request stays its own, a late
// write reaches no other response, and a kept context pins no other
// request.

// idKey is the context key of the value the server side (in front of the
// gateway) puts into every request's context: its X-Id header.
type idKey struct{}

// withID puts the X-Id header into the request's context before the
// gateway sees it, as a tracing or session middleware would.
func withID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), idKey{}, r.Header.Get("X-Id"))))
	})
}

// serveTree serves tree through gateway.New with cfg, behind withID.
func serveTree(t *testing.T, h Harness, cfg gateway.Config, tree *engine.Tree) Target {
	t.Helper()
	tree.Logger = discard()
	if cfg.Logger == nil {
		cfg.Logger = discard()
	}
	return withDial(t, h.Serve(t, withID(gateway.New(tree, cfg))))
}

// getID sends a GET of path with X-Id id and checks for 200 and want.
func getID(t *testing.T, tg Target, path, id, want string) {
	t.Helper()
	if status, body := getWith(t, tg, path, http.Header{"X-Id": {id}}); status != http.StatusOK || body != want {
		t.Fatalf("GET %s: %d %q, want 200 %q", path, status, body, want)
	}
}

// keptApp is one way an application may sit in the tree. Its handler
// calls keep with the request it got, and answers with its path.
type keptApp struct {
	name string
	// mount mounts the app at "/app" with handle as its handler for
	// "/app/items/{id}"; the handler's r.URL.Path is then "/items/{id}".
	mount func(tree *engine.Tree, handle http.HandlerFunc)
}

var keptApps = []keptApp{
	{"Handler", func(tree *engine.Tree, handle http.HandlerFunc) {
		tree.Mount("/app", handle)
	}},
	{"ServeMux", func(tree *engine.Tree, handle http.HandlerFunc) {
		mux := http.NewServeMux()
		mux.Handle("/items/", handle)
		tree.Mount("/app", mux)
	}},
	{"WithContextMiddleware", func(tree *engine.Tree, handle http.HandlerFunc) {
		type mwKey struct{}
		tree.Mount("/app", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			handle(w, r.WithContext(context.WithValue(r.Context(), mwKey{}, "mw")))
		}))
	}},
	{"ChiSubRouter", func(tree *engine.Tree, handle http.HandlerFunc) {
		sub := chi.NewRouter()
		sub.Get("/{id}", handle)
		router := chi.NewRouter()
		router.Mount("/items", sub)
		tree.Mount("/app", router)
	}},
}

// testKeptRequest: a handler keeps its *http.Request and a goroutine reads
// it while 50 further requests are served on the same client: its URL,
// header, a context value, its engine request and script name stay its
// own, and its context is done once the request has ended. Sharing shows
// up under -race, and as wrong values without it.
func testKeptRequest(t *testing.T, h Harness) {
	for _, app := range keptApps {
		for _, policies := range []struct {
			name string
			cfg  gateway.Config
		}{{"Default", gateway.Config{}}, {"AllPolicies", fullStack()}} {
			t.Run(app.name+"/"+policies.name, func(t *testing.T) {
				kept := make(chan *http.Request, 1)
				tree := engine.NewTree()
				app.mount(tree, func(w http.ResponseWriter, r *http.Request) {
					if r.URL.Query().Has("keep") {
						kept <- r
					}
					io.WriteString(w, r.URL.Path)
				})
				tg := serveTree(t, h, policies.cfg, tree)
				getID(t, tg, "/app/items/kept?keep", "kept", "/items/kept")
				r := wait(t, kept, "the kept request")

				const further = 50
				next, stop, report := make(chan struct{}, further), make(chan struct{}), make(chan error, 1)
				go func() { report <- watchKept(r, next, stop) }()
				for i := range further {
					id := fmt.Sprintf("next%d", i)
					next <- struct{}{} // read the kept request again, during this one
					getID(t, tg, "/app/items/"+id+"?i="+id, id, "/items/"+id)
				}
				close(stop)
				if err := wait(t, report, "the goroutine reading the kept request"); err != nil {
					t.Fatal(err)
				}
			})
		}
	}
}

// watchKept reads r once for each value on next (sent as each further
// request starts, so that the read overlaps it) until stop, then checks
// that its context is done, and reports what differed from the kept
// request's own.
func watchKept(r *http.Request, next, stop <-chan struct{}) error {
	req := engine.RequestFrom(r)
	if req == nil {
		return errors.New("RequestFrom of the kept request is nil")
	}
	check := func() error {
		got := []string{
			r.URL.Path, r.URL.RawQuery, r.Header.Get("X-Id"), fmt.Sprint(r.Context().Value(idKey{})),
			engine.ScriptName(r), req.ScriptName + req.PathInfo, req.Header.Get("X-Id"),
		}
		want := []string{"/items/kept", "keep", "kept", "kept", "/app", "/app/items/kept", "kept"}
		if strings.Join(got, "|") != strings.Join(want, "|") {
			return fmt.Errorf("the kept request shows %q, want %q", got, want)
		}
		if engine.RequestFrom(r) != req {
			return errors.New("RequestFrom of the kept request changed")
		}
		return nil
	}
	for {
		if err := check(); err != nil {
			return err
		}
		select {
		case <-next:
		case <-stop:
			select {
			case <-r.Context().Done():
				return check()
			case <-time.After(Timeout):
				return errors.New("the kept request's context is not done after the request ended")
			}
		}
	}
}

// testLateWrite: a handler keeps its ResponseWriter; writes on it after
// the handler returned, made while the next request on the same
// keep-alive connection is being answered, are refused and reach no
// response, and the connection serves on.
func testLateWrite(t *testing.T, h Harness) {
	for _, policies := range []struct {
		name string
		cfg  gateway.Config
	}{{"Default", gateway.Config{}}, {"AllPolicies", fullStack()}} {
		t.Run(policies.name, func(t *testing.T) {
			keptW := make(chan http.ResponseWriter, 1)
			inNext, lateDone := make(chan struct{}), make(chan struct{})
			tree := engine.NewTree()
			tree.Mount("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				switch r.URL.Path {
				case "/keep":
					keptW <- w
					io.WriteString(w, "first")
				case "/next":
					w.Header().Set("Content-Type", "text/plain")
					close(inNext)
					if !handlerWait(r.Context(), lateDone) {
						return
					}
					io.WriteString(w, "second")
				default:
					io.WriteString(w, "third")
				}
			}))
			tg := serveTree(t, h, policies.cfg, tree)
			conns := make(chan bool, 3) // whether each request reused a connection
			traced := func(path string) *http.Request {
				req, err := http.NewRequestWithContext(httptrace.WithClientTrace(ctx(t), &httptrace.ClientTrace{
					GotConn: func(info httptrace.GotConnInfo) { conns <- info.Reused },
				}), http.MethodGet, tg.URL+path, nil)
				if err != nil {
					t.Fatal(err)
				}
				return req
			}
			do := func(req *http.Request) (*http.Response, string, error) {
				resp, err := tg.Client.Do(req)
				if err != nil {
					return nil, "", err
				}
				defer resp.Body.Close()
				b, err := io.ReadAll(resp.Body)
				return resp, string(b), err
			}
			if resp, body, err := do(traced("/keep")); err != nil || resp.StatusCode != http.StatusOK || body != "first" {
				t.Fatalf("first response: %v %v %q", err, resp, body)
			}
			w := wait(t, keptW, "the kept writer")

			type result struct {
				resp *http.Response
				body string
				err  error
			}
			next := make(chan result, 1)
			go func() {
				resp, body, err := do(traced("/next"))
				next <- result{resp, body, err}
			}()
			wait(t, inNext, "the next request's handler")
			var errs []error
			w.Header().Set("X-Late", "leak")
			w.WriteHeader(http.StatusTeapot)
			if _, err := io.WriteString(w, "LEAK"); err == nil {
				errs = append(errs, errors.New("a late WriteString succeeded"))
			}
			if _, err := w.Write([]byte("LEAK")); err == nil {
				errs = append(errs, errors.New("a late Write succeeded"))
			}
			if err := http.NewResponseController(w).Flush(); err == nil {
				errs = append(errs, errors.New("a late Flush succeeded"))
			}
			close(lateDone)
			res := wait(t, next, "the next response")
			if res.err != nil || res.resp.StatusCode != http.StatusOK || res.body != "second" || res.resp.Header.Get("X-Late") != "" {
				t.Fatalf("the next response got the late writes: %v %v %q", res.err, res.resp, res.body)
			}
			if resp, body, err := do(traced("/third")); err != nil || resp.StatusCode != http.StatusOK || body != "third" {
				t.Fatalf("the connection after the late writes: %v %v %q", err, resp, body)
			}
			close(conns)
			var reused []bool
			for r := range conns {
				reused = append(reused, r)
			}
			if len(reused) == 3 && (!reused[1] || !reused[2]) { // a client that traces its connections
				t.Fatalf("the requests did not share one keep-alive connection: reused %v", reused)
			}
			if err := errors.Join(errs...); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// big is what a middleware may put into a request's context: a session,
// a span. Large enough to be seen, weakly referenced by the check.
type big [1 << 14]byte

type bigKey struct{}

// testKeptContextPinsNothing: a background job keeps one request's
// context; the values of the requests before and after it are collected.
func testKeptContextPinsNothing(t *testing.T, h Harness) {
	for _, policies := range []struct {
		name string
		cfg  gateway.Config
	}{{"Default", gateway.Config{}}, {"AllPolicies", fullStack()}} {
		t.Run(policies.name, func(t *testing.T) { keptContextPinsNothing(t, h, policies.cfg) })
	}
}

func keptContextPinsNothing(t *testing.T, h Harness, cfg gateway.Config) {
	var (
		ptrs  []weak.Pointer[big]
		kept  context.Context
		keepC = make(chan context.Context, 1)
	)
	tree := engine.NewTree()
	tree.Mount("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/keep" {
			keepC <- r.Context()
		}
		io.WriteString(w, "ok")
	}))
	bigs := make(chan weak.Pointer[big], 64)
	withBig := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/plain" {
				next.ServeHTTP(w, r)
				return
			}
			b := new(big)
			bigs <- weak.Make(b)
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), bigKey{}, b)))
		})
	}
	tree.Logger = discard()
	cfg.Logger = discard()
	tg := withDial(t, h.Serve(t, withBig(gateway.New(tree, cfg))))
	for i := range 41 {
		path := "/other"
		if i == 20 {
			path = "/keep"
		}
		getID(t, tg, path, "", "ok")
		p := wait(t, bigs, "the request's value")
		if i == 20 {
			kept = wait(t, keepC, "the kept context")
			continue
		}
		ptrs = append(ptrs, p)
	}
	// The server's connection remembers its latest request until the next
	// one: make that one carry nothing.
	for range 3 {
		getID(t, tg, "/plain", "", "ok")
	}
	runtime.GC()
	runtime.GC()
	alive := 0
	for _, p := range ptrs {
		if p.Value() != nil {
			alive++
		}
	}
	if alive != 0 {
		t.Errorf("%d of %d other requests' values are still alive while one context is kept", alive, len(ptrs))
	}
	if kept.Value(bigKey{}) == nil {
		t.Error("the kept context lost its own value")
	}
	runtime.KeepAlive(kept)
}

// testTimeoutHandler: behind http.TimeoutHandler, a handler that runs past
// the timeout goes on reading its own request while the next requests are
// served, and its writes after the 503 reach nobody.
func testTimeoutHandler(t *testing.T, h Harness) {
	release, stopReading := make(chan struct{}), make(chan struct{})
	report := make(chan error, 1)
	slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/slow" {
			io.WriteString(w, r.URL.Path)
			return
		}
		if !handlerWait(context.Background(), release) {
			report <- errors.New("never released")
			return
		}
		err := func() error {
			for {
				got := r.URL.Path + "|" + r.Header.Get("X-Id") + "|" + fmt.Sprint(r.Context().Value(idKey{})) + "|" + engine.ScriptName(r)
				if got != "/slow|slow|slow|/app" {
					return fmt.Errorf("the timed-out handler sees %q", got)
				}
				select {
				case <-stopReading:
					return nil
				default:
					runtime.Gosched()
				}
			}
		}()
		if _, werr := io.WriteString(w, "late"); werr == nil && err == nil {
			err = errors.New("a write after the timeout succeeded")
		}
		report <- err
	})
	tree := engine.NewTree()
	tree.Mount("/app", http.TimeoutHandler(slow, 50*time.Millisecond, "too slow"))
	tg := serveTree(t, h, gateway.Config{}, tree)
	stop := sync.OnceFunc(func() { close(stopReading) })
	t.Cleanup(stop) // also when the check fails before the end
	req, err := http.NewRequestWithContext(ctx(t), http.MethodGet, tg.URL+"/app/slow", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Id", "slow")
	resp, err := tg.Client.Do(req)
	close(release) // the handler reads its request from now on
	if err != nil {
		t.Fatalf("GET /app/slow: %v", err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("GET /app/slow: %d, want 503 from the TimeoutHandler", resp.StatusCode)
	}
	for i := range 20 { // while the timed-out handler reads
		id := fmt.Sprintf("n%d", i)
		getID(t, tg, "/app/"+id, id, "/"+id)
	}
	stop()
	if err := wait(t, report, "the timed-out handler"); err != nil {
		t.Fatal(err)
	}
}
