package engine_test

import (
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-49a6713b/cherrygo/engine"
	"github.com/seed-49a6713b/cherrygo/engine/enginetest"
)

// echoApp answers "<name> script=<script name> path=<URL.Path>".
func echoApp(name string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%s script=%s path=%s", name, engine.ScriptName(r), r.URL.Path)
	})
}

func body(t *testing.T, resp *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return string(b)
}

func TestTreeLongestMatchOnSegments(t *testing.T) {
	tree := engine.NewTree()
	tree.Mount("/", echoApp("root"))
	tree.Mount("/blog", echoApp("blog"))
	tree.Mount("/blog/admin/", echoApp("admin"))
	c := enginetest.New(tree)

	for _, tc := range []struct{ path, want string }{
		{"/", "root script= path=/"},
		{"/blogger", "root script= path=/blogger"},
		{"/blog", "blog script=/blog path=/"},
		{"/blog/", "blog script=/blog path=/"},
		{"/blog/posts/1", "blog script=/blog path=/posts/1"},
		{"/blog/administrator", "blog script=/blog path=/administrator"},
		{"/blog/admin", "admin script=/blog/admin path=/"},
		{"/blog/admin/users", "admin script=/blog/admin path=/users"},
	} {
		t.Run(tc.path, func(t *testing.T) {
			resp := c.Get(tc.path)
			assert.Equal(t, http.StatusOK, resp.StatusCode)
			assert.Equal(t, tc.want, body(t, resp))
		})
	}
}

func TestTreeNoMatchIs404(t *testing.T) {
	tree := engine.NewTree()
	tree.Mount("/blog", echoApp("blog"))
	resp := enginetest.New(tree).Get("/shop")
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	assert.Contains(t, body(t, resp), "404 Not Found")

	var empty engine.Tree // the zero value is an empty tree
	assert.Equal(t, http.StatusNotFound, enginetest.New(&empty).Get("/").StatusCode)
}

func TestTreeMountReplacesAndNormalises(t *testing.T) {
	tree := engine.NewTree()
	tree.Mount("blog/", echoApp("old"))
	a := tree.Mount("/blog", echoApp("new"))
	assert.Equal(t, "/blog", a.ScriptName())
	assert.Equal(t, []string{"/blog"}, tree.ScriptNames())
	assert.Equal(t, "new script=/blog path=/x", body(t, enginetest.New(tree).Get("/blog/x")))

	for in, want := range map[string]string{"": "", "/": "", "//": "", "a": "/a", "/a/b//": "/a/b"} {
		assert.Equal(t, want, engine.CleanScriptNameForTest(in), "CleanScriptName(%q)", in)
	}
}

func TestTreeSplit(t *testing.T) {
	tree := engine.NewTree()
	tree.Mount("/api", echoApp("api"))
	script, info, ok := tree.SplitForTest("/api/v1")
	assert.True(t, ok)
	assert.Equal(t, "/api", script)
	assert.Equal(t, "/v1", info)
	_, info, ok = tree.SplitForTest("/apis")
	assert.False(t, ok)
	assert.Equal(t, "/apis", info)
}

// A front end mounted under a prefix passes it as ScriptName; the tree's
// mount point is appended.
func TestRunKeepsFrontEndScriptName(t *testing.T) {
	tree := engine.NewTree()
	tree.Mount("/blog", echoApp("blog"))
	req := engine.NewRequest(http.MethodGet, "/blog/1", nil)
	req.ScriptName = "/site"
	resp := enginetest.New(tree).Do(req)
	assert.Equal(t, "blog script=/site/blog path=/1", body(t, resp))
	assert.Equal(t, "/site/blog", req.ScriptName)
	assert.Equal(t, "/1", req.PathInfo)
}

func TestTreeMountWhileServing(t *testing.T) {
	tree := engine.NewTree()
	tree.Mount("/", echoApp("root"))
	c := enginetest.New(tree)
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 50 {
				if i == 0 {
					tree.Mount(fmt.Sprintf("/m%d", j), echoApp("m"))
					tree.Hook(engine.OnEndRequest, j, func(http.ResponseWriter, *http.Request) error { return nil })
					continue
				}
				if resp := c.Get("/x"); resp.StatusCode != http.StatusOK {
					errs <- fmt.Errorf("status %d", resp.StatusCode)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	assert.Len(t, tree.ScriptNames(), 51)
}
