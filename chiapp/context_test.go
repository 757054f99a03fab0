package chiapp_test

import (
	"context"
	"net/http"

	"github.com/go-chi/chi/v5"
)

func contextWith(r *http.Request, rctx *chi.Context) context.Context {
	return context.WithValue(r.Context(), chi.RouteCtxKey, rctx)
}
