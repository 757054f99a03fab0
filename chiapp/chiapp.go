package chiapp

import (
	"net/http"
	"net/url"
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
		rctx.RoutePath = routePath(r)
		defer func() { rctx.RoutePath = outer }()
		router.ServeHTTP(w, r)
	})
}

// Handler returns the gateway for tree, to be mounted inside an existing chi
// router: r.Mount("/app", chiapp.Handler(tree, cfg)). The path chi matched
// becomes the script name of every engine request (see MountPoint).
//
// cfg.ProtocolVersion "HTTP/1.0" does not reach the wire here: the
// downgrade changes the server's own request, and chi hands the gateway a
// copy. Put gateway.Protocol in front of the chi router instead.
func Handler(tree *engine.Tree, cfg gateway.Config) http.Handler {
	cfg.MountPoint = MountPoint
	return gateway.New(tree, cfg)
}

// routePath is the path chi routes r on: the raw path when r has one,
// else the decoded path.
func routePath(r *http.Request) string {
	if r.URL.RawPath != "" {
		return r.URL.RawPath
	}
	return r.URL.Path
}

// MountPoint returns the part of r's path that chi routers in front have
// consumed, decoded: "/app" for "/app/blog/1" when the gateway is mounted
// at "/app". chi routes on the raw path when the request has one, so the
// match is made there and the prefix unescaped. It returns "" when there is
// no chi routing context or the route path does not end r's path.
func MountPoint(r *http.Request) string {
	rctx := chi.RouteContext(r.Context())
	if rctx == nil || rctx.RoutePath == "" {
		return ""
	}
	path, rest := routePath(r), rctx.RoutePath
	switch {
	case strings.HasSuffix(path, rest):
		path = path[:len(path)-len(rest)]
	case rest == "/":
		// "/app" matched by a Mount at "/app": chi routes it as "/".
	default:
		return ""
	}
	if r.URL.RawPath != "" {
		unescaped, err := url.PathUnescape(path)
		if err != nil {
			return ""
		}
		path = unescaped
	}
	return strings.TrimSuffix(path, "/")
}
