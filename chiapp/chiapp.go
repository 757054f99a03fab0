package chiapp

import (
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/seed-49a6713b/cherrygo/engine"
	"github.com/seed-49a6713b/cherrygo/gateway"
)

// Mount mounts router on tree at scriptName, so that it routes on the path
// info even when the request already went through another chi router.
func Mount(tree *engine.Tree, scriptName string, router http.Handler) *engine.App {
	return tree.Mount(scriptName, Router(router))
}

// Router wraps a chi router mounted in an engine tree. When the request
// carries a chi routing context from a router in front of the tree, chi
// would route the inner router on that context's remaining path, which still
// includes the tree's script name; Router points it at the path info
// instead, as chi's own Mount does for sub-routers. Without such a context
// it calls router as it is.
func Router(router http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rctx := chi.RouteContext(r.Context())
		if rctx == nil {
			router.ServeHTTP(w, r)
			return
		}
		outer := rctx.RoutePath
		rctx.RoutePath = r.URL.EscapedPath()
		defer func() { rctx.RoutePath = outer }()
		router.ServeHTTP(w, r)
	})
}

// Handler returns the gateway for tree, to be mounted inside an existing chi
// router: r.Mount("/app", chiapp.Handler(tree, cfg)). The path chi matched
// becomes the script name of every engine request (see MountPoint).
func Handler(tree *engine.Tree, cfg gateway.Config) http.Handler {
	cfg.MountPoint = MountPoint
	return gateway.New(tree, cfg)
}

// MountPoint returns the part of r's path that chi routers in front have
// consumed: "/app" for "/app/blog/1" when the gateway is mounted at "/app".
// It returns "" when there is no chi routing context, or when chi routed an
// escaped path that does not end r.URL.Path as written.
func MountPoint(r *http.Request) string {
	rctx := chi.RouteContext(r.Context())
	if rctx == nil || rctx.RoutePath == "" {
		return ""
	}
	path, rest := r.URL.Path, rctx.RoutePath
	switch {
	case strings.HasSuffix(path, rest):
		path = path[:len(path)-len(rest)]
	case rest == "/":
		// "/app" matched by a Mount at "/app": chi routes it as "/".
	default:
		return ""
	}
	return strings.TrimSuffix(path, "/")
}
