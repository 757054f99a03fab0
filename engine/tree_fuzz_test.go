package engine_test

import (
	"strings"
	"testing"

	"github.com/seed-49a6713b/cherrygo/engine"
)

// FuzzSplitPath checks the tree's split of a path into script name and
// path info: they add up to the path, the script name is a mount point on
// a segment boundary, and no longer mount point would have matched.
func FuzzSplitPath(f *testing.F) {
	mounts := []string{"/blog", "/blog/admin", "/a", "/a/b/c", "/x y", "/ünï"}
	for _, s := range []string{"", "/", "/blog", "/blog/", "/blogger", "/blog/admin/x",
		"/a/b", "/a/b/c/d", "//", "/a//b", "/x y/z", "/ünï/ö", "blog", "/blog%2Fadmin"} {
		f.Add(s, true)
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, path string, withRoot bool) {
		tree := engine.NewTree()
		for _, m := range mounts {
			tree.Mount(m, nil)
		}
		if withRoot {
			tree.Mount("/", nil)
		}
		script, info, ok := tree.SplitForTest(path)
		if !ok {
			if withRoot {
				t.Fatalf("Split(%q): no match with a root app", path)
			}
			if script != "" || info != path {
				t.Fatalf("Split(%q) = %q, %q on no match", path, script, info)
			}
			return
		}
		if script+info != path {
			t.Fatalf("Split(%q) = %q + %q", path, script, info)
		}
		if info != "" && info[0] != '/' && script != "" {
			t.Fatalf("Split(%q): path info %q does not start a segment", path, info)
		}
		for _, m := range mounts {
			if len(m) > len(script) && (path == m || strings.HasPrefix(path, m+"/")) {
				t.Fatalf("Split(%q) = %q, but %q is longer and matches", path, script, m)
			}
		}
	})
}
