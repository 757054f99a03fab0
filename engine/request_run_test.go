package engine_test

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-49a6713b/cherrygo/engine"
	"github.com/seed-49a6713b/cherrygo/engine/enginetest"
)

const reqWait = 10 * time.Second

func TestRequestFromPlainFields(t *testing.T) {
	tree := engine.NewTree()
	var got *engine.Request
	var app *http.Request
	tree.Mount("/api", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = engine.RequestFrom(r)
		app = r
		b, _ := io.ReadAll(r.Body)
		w.Write(b)
	}))
	req := &engine.Request{
		Method:        http.MethodPost,
		PathInfo:      "/api/items/7",
		QueryString:   "full=1",
		Protocol:      "HTTP/1.1",
		Scheme:        "https",
		Host:          "shop.example",
		Header:        http.Header{"X-Test": {"1"}},
		Body:          io.NopCloser(strings.NewReader("payload")),
		ContentLength: 7,
		RemoteAddr:    "192.0.2.1:5555",
		LocalAddr:     &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8080},
	}
	rec := httptest.NewRecorder()
	req.Run(tree, rec)
	assert.Equal(t, "payload", rec.Body.String())
	assert.Equal(t, "/api", got.ScriptName)
	assert.Equal(t, "/items/7", got.PathInfo)
	assert.Equal(t, "full=1", got.QueryString)
	assert.NotZero(t, got.ID)
	assert.False(t, got.Start.IsZero())
	assert.Equal(t, "HTTP/1.1", got.ResponseProtocol())
	assert.Equal(t, netip.MustParseAddrPort("192.0.2.1:5555"), got.Remote())
	assert.Equal(t, netip.MustParseAddrPort("127.0.0.1:8080"), got.Local())

	assert.Equal(t, "/items/7", app.URL.Path)
	assert.Equal(t, "full=1", app.URL.RawQuery)
	assert.Equal(t, "1", app.URL.Query().Get("full"))
	assert.Equal(t, "shop.example", app.Host)
	assert.Equal(t, "192.0.2.1:5555", app.RemoteAddr)
	assert.Equal(t, "/api/items/7?full=1", app.RequestURI)
	assert.Equal(t, 1, app.ProtoMajor)
	assert.Equal(t, 1, app.ProtoMinor)
	assert.Equal(t, "1", app.Header.Get("X-Test"))
}

func TestRequestIDsAreDistinct(t *testing.T) {
	tree := engine.NewTree()
	ids := map[uint64]bool{}
	tree.Mount("/", http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { ids[engine.RequestFrom(r).ID] = true }))
	c := enginetest.New(tree)
	for range 5 {
		c.Get("/")
	}
	assert.Len(t, ids, 5)
}

// IDs are numbered per tree in the order requests start, also when
// requests of several trees interleave.
func TestRequestIDsAreNumberedPerTree(t *testing.T) {
	trees := [2]*engine.Tree{engine.NewTree(), engine.NewTree()}
	w := &noopWriter{h: make(http.Header)}
	for _, tree := range trees {
		tree.Mount("/", http.NotFoundHandler())
	}
	for want := uint64(1); want <= 3; want++ {
		for _, tree := range trees {
			r := engine.NewRequest(http.MethodGet, "/", nil)
			r.Run(tree, w)
			assert.Equal(t, want, r.ID)
		}
	}
}

func TestRunRequiresHostOnHTTP11(t *testing.T) {
	tree := engine.NewTree()
	tree.Mount("/", echoApp("root"))
	c := enginetest.New(tree)

	req := engine.NewRequest(http.MethodGet, "/", nil)
	req.Host = ""
	assert.Equal(t, http.StatusBadRequest, c.Do(req).StatusCode)

	req = engine.NewRequest(http.MethodGet, "/", nil)
	req.Host = ""
	req.Header.Set("Host", "h")
	assert.Equal(t, http.StatusOK, c.Do(req).StatusCode)

	req = engine.NewRequest(http.MethodGet, "/", nil)
	req.Host, req.Protocol = "", "HTTP/1.0"
	assert.Equal(t, http.StatusOK, c.Do(req).StatusCode)

	// An HTTP/1.1 server answering at HTTP/1.0 does not require it either.
	req = engine.NewRequest(http.MethodGet, "/", nil)
	req.Host, req.ServerProtocol = "", "HTTP/1.0"
	assert.Equal(t, "HTTP/1.0", req.ResponseProtocol())
	assert.Equal(t, http.StatusOK, c.Do(req).StatusCode)
}

func TestHeadDropsBody(t *testing.T) {
	tree := engine.NewTree()
	tree.Mount("/", echoApp("root"))
	tree.Mount("/nc", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusNoContent)
		io.WriteString(w, "ignored")
	}))
	c := enginetest.New(tree)
	resp := c.Head("/")
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Empty(t, body(t, resp))
	assert.Empty(t, body(t, c.Get("/nc")))
}

func TestContextReachesHandler(t *testing.T) {
	tree := engine.NewTree()
	started := make(chan struct{})
	done := make(chan error, 1)
	tree.Mount("/", http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		close(started)
		select {
		case <-r.Context().Done():
			done <- nil
		case <-time.After(reqWait):
			done <- context.DeadlineExceeded
		}
	}))
	ctx, cancel := context.WithCancel(context.Background())
	req := engine.NewRequest(http.MethodGet, "/", nil)
	req.SetContext(ctx)
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		req.Run(tree, httptest.NewRecorder())
	}()
	select {
	case <-started:
	case <-time.After(reqWait):
		t.Fatal("handler did not start")
	}
	cancel()
	select {
	case err := <-done:
		assert.NoError(t, err)
	case <-time.After(reqWait):
		t.Fatal("handler did not see the cancellation")
	}
	<-finished
}

func TestSourcePassesThrough(t *testing.T) {
	tree := engine.NewTree()
	var app *http.Request
	tree.Mount("/files", http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { app = r }))
	src := httptest.NewRequest(http.MethodGet, "https://example.com/files/a%2Fb/c?x=1", nil)
	req := engine.NewRequest(http.MethodGet, "", nil)
	req.PathInfo, req.QueryString, req.Source = src.URL.Path, src.URL.RawQuery, src
	req.Run(tree, httptest.NewRecorder())
	require.NotNil(t, app)
	assert.Same(t, src.TLS, app.TLS)
	assert.Equal(t, src.RequestURI, app.RequestURI)
	assert.Equal(t, "/a/b/c", app.URL.Path)
	assert.Equal(t, "/a%2Fb/c", app.URL.EscapedPath())
	assert.Equal(t, "https", app.URL.Scheme)
	// The source is left as it was.
	assert.Equal(t, "/files/a/b/c", src.URL.Path)
}

// An escaped slash right at the mount point leaves the app a RawPath
// consistent with its Path, so that a router inside the app (which routes
// on RawPath when set) sees "/b", not "%2Fb".
func TestEscapedSlashAtMountBoundary(t *testing.T) {
	tree := engine.NewTree()
	type seen struct{ path, raw, escaped string }
	got := map[string]seen{}
	for _, m := range []string{"/a", "/c"} {
		tree.Mount(m, http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
			got[m] = seen{r.URL.Path, r.URL.RawPath, r.URL.EscapedPath()}
		}))
	}
	for _, target := range []string{"/a%2Fb", "/c/x%2Fy"} {
		src := httptest.NewRequest(http.MethodGet, target, nil)
		req := engine.NewRequest(http.MethodGet, "", nil)
		req.PathInfo, req.Source = src.URL.Path, src
		req.Run(tree, httptest.NewRecorder())
	}
	assert.Equal(t, seen{"/b", "", "/b"}, got["/a"])
	assert.Equal(t, seen{"/x/y", "/x%2Fy", "/x%2Fy"}, got["/c"])
}

func TestBusRequestChannels(t *testing.T) {
	bus := engine.New()
	t.Cleanup(func() { _ = bus.Exit(context.Background()) })
	tree := engine.NewTree()
	tree.Bus = bus
	tree.Mount("/", echoApp("root"))
	var got []string
	for _, ch := range []string{engine.ChannelBeforeRequest, engine.ChannelAfterRequest} {
		bus.Subscribe(ch, func(_ context.Context, arg any) (any, error) {
			req := arg.(*engine.Request)
			got = append(got, ch+" "+req.ScriptName+req.PathInfo)
			return nil, nil
		}, engine.DefaultPriority)
	}
	enginetest.New(tree).Get("/x")
	assert.Equal(t, []string{"before_request /x", "after_request /x"}, got)
}

// noopWriter is the cheapest possible front end.
type noopWriter struct{ h http.Header }

func (w *noopWriter) Header() http.Header         { return w.h }
func (w *noopWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *noopWriter) WriteHeader(int)             {}

// A request costs Run one allocation, the Request itself, which holds
// everything the app is handed (its *http.Request, context and writer),
// with a bus that nobody listens to on the request channels; an app below
// the root, whose URL differs from the server's, costs a second one.
func TestRunAllocations(t *testing.T) {
	tree := engine.NewTree()
	tree.Bus = engine.New()
	hello := []byte("hello")
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if engine.RequestFrom(r) == nil {
			panic("no request")
		}
		w.Write(hello)
	})
	tree.Mount("/", app)
	tree.Mount("/app", app)
	w := &noopWriter{h: make(http.Header)}
	for target, want := range map[string]float64{"/x?q=1": 1, "/app/x?q=1": 2} {
		src := httptest.NewRequest(http.MethodGet, target, nil)
		allocs := testing.AllocsPerRun(100, func() {
			req := new(engine.Request)
			req.Method, req.PathInfo, req.QueryString, req.Protocol = src.Method, src.URL.Path, src.URL.RawQuery, src.Proto
			req.Header, req.Body, req.Source = src.Header, src.Body, src
			req.SetContext(src.Context())
			req.Run(tree, w)
		})
		assert.Equal(t, want, allocs, target)
	}
}

// The whole target up to '?' is the path: "//x/y" names no host, and a
// target that cannot be decoded is refused rather than kept as it was.
func TestNewRequestTargets(t *testing.T) {
	for target, want := range map[string][2]string{
		"//x/y":                    {"//x/y", ""},
		"//x/y?q=1":                {"//x/y", "q=1"},
		"/a%2Fb?x=%20":             {"/a/b", "x=%20"},
		"":                         {"", ""},
		"https://example.org/p?q":  {"/p", "q"},
		"/with://in/path?n=http:/": {"/with://in/path", "n=http:/"},
	} {
		req := engine.NewRequest(http.MethodGet, target, nil)
		assert.Equal(t, want, [2]string{req.PathInfo, req.QueryString}, target)
	}
	abs := engine.NewRequest(http.MethodGet, "https://example.org/p", nil)
	assert.Equal(t, "https", abs.Scheme)
	assert.Equal(t, "example.org", abs.Host)
	assert.Panics(t, func() { engine.NewRequest(http.MethodGet, "/%zz", nil) })
}

func TestNewRequest(t *testing.T) {
	req := engine.NewRequest(http.MethodPost, "/a%20b/c?x=1&y=2", strings.NewReader("abc"))
	assert.Equal(t, "/a b/c", req.PathInfo)
	assert.Equal(t, "x=1&y=2", req.QueryString)
	assert.Equal(t, int64(3), req.ContentLength)
	assert.Equal(t, "/a b/c", req.Path())
	assert.NotNil(t, req.Context())
	assert.Nil(t, engine.RequestFrom(httptest.NewRequest(http.MethodGet, "/", nil)))
	assert.Equal(t, "", engine.ScriptName(httptest.NewRequest(http.MethodGet, "/", nil)))
	req = engine.NewRequest(http.MethodGet, "/", nil)
	assert.Equal(t, int64(0), req.ContentLength)
}

// multipartBody returns a form with one 64 KiB file, and its content type.
func multipartBody(t *testing.T) (*bytes.Buffer, string) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	part, err := mw.CreateFormFile("upload", "big.bin")
	require.NoError(t, err)
	_, err = part.Write(bytes.Repeat([]byte("x"), 64<<10))
	require.NoError(t, err)
	require.NoError(t, mw.Close())
	return &body, mw.FormDataContentType()
}

// uploadedFile returns the temporary file of r's parsed upload.
func uploadedFile(r *http.Request) string {
	f, err := r.MultipartForm.File["upload"][0].Open()
	if err != nil {
		panic(err)
	}
	defer f.Close()
	return f.(*os.File).Name()
}

// The temporary files of a multipart form the app parsed are removed once
// the request is done, as net/http removes those of its own requests; not
// those of a form the front end's request had parsed (net/http removes
// them), nor those of a handler that hijacked the connection.
func TestRunRemovesMultipartFiles(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	var files []string
	tree := engine.NewTree()
	tree.Mount("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseMultipartForm(1); err != nil { // everything to disk
			panic(err)
		}
		files = append(files, uploadedFile(r))
		if r.URL.Path == "/hijack" {
			if c, _, err := http.NewResponseController(w).Hijack(); err == nil {
				c.Close()
			}
		}
	}))
	exists := func(name string) bool {
		_, err := os.Stat(name)
		return err == nil
	}

	body, contentType := multipartBody(t)
	resp := enginetest.New(tree).Post("/", contentType, body)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Len(t, files, 1, "the upload went to a temporary file")
	assert.False(t, exists(files[0]), "the app's form is cleaned up")

	body, contentType = multipartBody(t)
	src := httptest.NewRequest(http.MethodPost, "/", body)
	src.Header.Set("Content-Type", contentType)
	require.NoError(t, src.ParseMultipartForm(1))
	t.Cleanup(func() { src.MultipartForm.RemoveAll() })
	req := new(engine.Request)
	req.Method, req.PathInfo, req.Protocol, req.Host = src.Method, src.URL.Path, src.Proto, src.Host
	req.Header, req.Body, req.Source = src.Header, src.Body, src
	req.Run(tree, httptest.NewRecorder())
	require.Len(t, files, 2)
	assert.True(t, exists(files[1]), "the front end's form is the front end's to clean up")

	body, contentType = multipartBody(t)
	hreq := engine.NewRequest(http.MethodPost, "/hijack", body)
	hreq.Header.Set("Content-Type", contentType)
	client, server := net.Pipe()
	defer client.Close()
	hreq.Run(tree, &hijackWriter{ResponseRecorder: httptest.NewRecorder(), conn: server})
	require.Len(t, files, 3)
	assert.True(t, exists(files[2]), "a hijacking handler keeps its files")
}

// TestRunNilHandlerIsAServerError: an app mounted without a handler still
// goes through its hooks, and the missing handler is a 500, not an empty
// 200.
func TestRunNilHandlerIsAServerError(t *testing.T) {
	tree := engine.NewTree()
	tree.Logger = discardLogger()
	tree.Mount("/", nil)
	var hooked bool
	tree.Hook(engine.BeforeHandler, engine.DefaultPriority, func(http.ResponseWriter, *http.Request) error {
		hooked = true
		return nil
	})
	rec := httptest.NewRecorder()
	engine.NewRequest(http.MethodGet, "/", nil).Run(tree, rec)
	assert.True(t, hooked, "the hooks before the handler ran")
	assert.Equal(t, http.StatusInternalServerError, rec.Code)
}
