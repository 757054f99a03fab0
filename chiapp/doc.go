// Package chiapp joins chi routers and the engine, both ways.
//
// # A chi router inside the tree
//
// Mount puts a chi router on an engine.Tree at a script name. The router
// routes on the path info only: mounted at "/blog", it sees "/posts/42" for
// "/blog/posts/42", its URL parameters work, and engine.ScriptName(r) tells
// it where it is mounted. Mount is needed over plain Tree.Mount only when
// the tree itself sits behind another chi router (see below), whose routing
// context the inner router would otherwise reuse; it costs nothing when
// there is none.
//
// # The tree inside a chi router
//
// Handler is the gateway for a tree that is mounted in an existing chi
// router with r.Mount("/app", chiapp.Handler(tree, cfg)). The part of the
// path chi consumed becomes the engine request's script name, so an app
// mounted in the tree at "/blog" sees script name "/app/blog" and routes on
// the rest. MountPoint is the function that reads it from chi, for a
// gateway.Config built by hand.
//
// # Order of middleware and hooks
//
// For a request that goes through an outer chi router, the tree and an inner
// chi router, things run in this order:
//
//  1. the outer router's middleware (r.Use), outermost first;
//  2. the gateway's policies (protocol, statistics, access log, thread
//     pool, body limit), as gateway.Config switches them on;
//  3. the bus's before_request, then the engine's on_start_resource,
//     before_request_body and before_handler hooks, tree-wide before the
//     app's own;
//  4. the inner router's middleware, then its handler;
//  5. before_finalize when the handler first writes, then on_end_resource,
//     on_end_request and the bus's after_request once it returned.
//
// So chi middleware in front of the tree sees every request, the tree's 404s
// too, while engine hooks see only what reaches the tree, and the inner
// router's middleware runs after the hooks have had their say (a hook that
// raises an HTTPError keeps the request from reaching it).
package chiapp
