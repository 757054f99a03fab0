package engine

import (
	"cmp"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// Tree is the set of mounted apps (CherryPy's cherrypy.tree): any
// http.Handler mounted at a script name. Run gives each request to the app
// with the longest script name that prefixes its path on a segment
// boundary.
//
// The zero value is an empty tree, ready to use. Mount and Hook are safe
// for concurrent use, also while requests are served; the exported fields
// must be set before the first request and not changed afterwards.
type Tree struct {
	// ErrorPage writes the response for an HTTP error (a status of 400 or
	// more). Nil means a short plain-text page. If it panics, or fails
	// before writing, the client gets a plain-text 500.
	ErrorPage func(w http.ResponseWriter, r *http.Request, e *HTTPError)
	// Tracebacks puts the stack of a panic into the 500 page
	// (HTTPError.Traceback). Keep it off in production.
	Tracebacks bool
	// Logger receives panics and failures of hooks and error pages. Nil
	// means slog.Default().
	Logger *slog.Logger
	// Bus, when set, has ChannelBeforeRequest and ChannelAfterRequest
	// published for every request, with the *Request as the argument.
	// With no listener on them this costs nothing.
	Bus *Bus

	mu    sync.Mutex // serialises Mount and Hook
	seq   uint64     // hook registration counter; guarded by mu
	state atomic.Pointer[treeState]
	ids   atomic.Uint64 // the last request ID handed out
}

// treeState is an immutable snapshot of the tree, replaced on every change.
type treeState struct {
	hooks  *hookSet // the tree-wide hooks
	mounts []*mount // longest script name first
}

type mount struct {
	app   *App
	hooks *hookSet // the tree's hooks and the app's, merged
}

// App is an http.Handler mounted on a Tree.
type App struct {
	tree    *Tree
	script  string
	handler http.Handler
	hooks   *hookSet // guarded by tree.mu
}

// NewTree returns an empty tree; it is the same as new(Tree).
func NewTree() *Tree { return new(Tree) }

// Mount mounts h at scriptName and returns the mounted app, to which hooks
// can be added. The script name is normalised: a leading '/' is added and
// trailing ones are removed, so "", "/" and "/blog/" mean the root and
// "/blog". Mounting at a script name already in use replaces that app.
func (t *Tree) Mount(scriptName string, h http.Handler) *App {
	a := &App{tree: t, script: cleanScriptName(scriptName), handler: h, hooks: new(hookSet)}
	t.mu.Lock()
	defer t.mu.Unlock()
	old := t.load()
	mounts := slices.DeleteFunc(slices.Clone(old.mounts), func(m *mount) bool { return m.app.script == a.script })
	mounts = append(mounts, &mount{app: a})
	slices.SortStableFunc(mounts, func(x, y *mount) int {
		return cmp.Compare(len(y.app.script), len(x.app.script))
	})
	t.publish(old.hooks, mounts)
	return a
}

// Hook adds fn at point p for every request of the tree, including those
// no app matches. Lower priorities run first; equal ones run in the order
// they were added, tree-wide and per-app hooks alike.
func (t *Tree) Hook(p HookPoint, priority int, fn Hook) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.seq++
	old := t.load()
	t.publish(old.hooks.with(p, hookEntry{priority: priority, seq: t.seq, fn: fn}), old.mounts)
}

// Hook adds fn at point p for the requests of this app only; see
// Tree.Hook for the order.
func (a *App) Hook(p HookPoint, priority int, fn Hook) {
	t := a.tree
	t.mu.Lock()
	defer t.mu.Unlock()
	t.seq++
	a.hooks = a.hooks.with(p, hookEntry{priority: priority, seq: t.seq, fn: fn})
	old := t.load()
	t.publish(old.hooks, old.mounts)
}

// ScriptName returns the app's mount point ("" for the root).
func (a *App) ScriptName() string { return a.script }

// Handler returns the mounted handler.
func (a *App) Handler() http.Handler { return a.handler }

// ScriptNames lists the mount points, longest first.
func (t *Tree) ScriptNames() []string {
	st := t.load()
	out := make([]string, len(st.mounts))
	for i, m := range st.mounts {
		out[i] = m.app.script
	}
	return out
}

// split finds the app for path: it returns the app's script name and the
// rest of the path, or ok false when no app matches.
func (t *Tree) split(path string) (scriptName, pathInfo string, ok bool) {
	m := t.load().lookup(path)
	if m == nil {
		return "", path, false
	}
	return m.app.script, path[len(m.app.script):], true
}

// load returns the current snapshot (an empty one for a zero Tree).
func (t *Tree) load() *treeState {
	if st := t.state.Load(); st != nil {
		return st
	}
	return &treeState{hooks: new(hookSet)}
}

// publish stores a new snapshot; t.mu is held.
func (t *Tree) publish(hooks *hookSet, mounts []*mount) {
	next := &treeState{hooks: hooks, mounts: make([]*mount, len(mounts))}
	for i, m := range mounts {
		next.mounts[i] = &mount{app: m.app, hooks: merge(hooks, m.app.hooks)}
	}
	t.state.Store(next)
}

// lookup returns the mount with the longest script name that prefixes
// path on a segment boundary, or nil.
func (st *treeState) lookup(path string) *mount {
	for _, m := range st.mounts {
		if matchScript(m.app.script, path) {
			return m
		}
	}
	return nil
}

// matchScript reports whether path is script or lies below it: "/blog"
// matches "/blog" and "/blog/x", not "/blogger". The root "" matches all.
func matchScript(script, path string) bool {
	if !strings.HasPrefix(path, script) {
		return false
	}
	return len(path) == len(script) || path[len(script)] == '/' || script == ""
}

// cleanScriptName normalises a mount point: "" and "/" become "", and
// anything else gets one leading '/' and no trailing '/'.
func cleanScriptName(s string) string {
	s = strings.TrimRight(s, "/")
	if s != "" && s[0] != '/' {
		s = "/" + s
	}
	return s
}
