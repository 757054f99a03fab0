package contentheaders

import (
	"net/http"
	"testing"
)

func TestClear(t *testing.T) {
	h := http.Header{}
	for _, k := range []string{"Content-Type", "Content-Length", "Etag", "Cache-Control", "Location", "Trailer", "Content-Range", "Set-Cookie", "Vary", "X-Trace", "Access-Control-Allow-Origin", "Retry-After"} {
		h.Set(k, "v")
	}
	Clear(h, http.StatusInternalServerError)
	for _, gone := range []string{"Content-Type", "Content-Length", "Etag", "Cache-Control", "Location", "Trailer", "Content-Range"} {
		if h.Get(gone) != "" {
			t.Errorf("%s kept", gone)
		}
	}
	for _, kept := range []string{"Set-Cookie", "Vary", "X-Trace", "Access-Control-Allow-Origin", "Retry-After"} {
		if h.Get(kept) == "" {
			t.Errorf("%s dropped", kept)
		}
	}
	h.Set("Content-Range", "bytes */10")
	Clear(h, http.StatusRequestedRangeNotSatisfiable)
	if h.Get("Content-Range") == "" {
		t.Error("Content-Range dropped from a 416")
	}
}
