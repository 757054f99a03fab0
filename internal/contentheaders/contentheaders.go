// Package contentheaders knows which headers describe a response's
// content, for the engine and the gateway to drop them when an error
// response takes a response's place.
package contentheaders

import "net/http"

// names are the headers Clear deletes.
var names = [...]string{
	"Content-Type", "Content-Length", "Content-Encoding", "Content-Language",
	"Content-Location", "Content-Disposition", "Content-Md5",
	"Etag", "Last-Modified", "Expires", "Cache-Control", "Age",
	"Accept-Ranges", "Location", "Trailer",
}

// Clear deletes from h the headers that describe a response
// that will not be sent, and would be wrong on the error response sent in
// its place (with the given status): the Content-* headers (Content-Range
// stays on a 416, where it belongs), validators (ETag, Last-Modified),
// caching (Cache-Control, Expires, Age), Accept-Ranges, Location and
// Trailer. The rest stays: cookies, CORS and security headers, Vary,
// Retry-After, an application's own X-* headers.
//
// The header map is the one every middleware in front shares, so what
// they set is cleared too: an error response that needs its own caching
// policy gets it from a BeforeErrorResponse hook, which Run calls after
// clearing. The engine's error responses and gateway.Recover's 500 clear
// the same headers.
func Clear(h http.Header, status int) {
	for _, k := range names {
		delete(h, k)
	}
	if status != http.StatusRequestedRangeNotSatisfiable {
		delete(h, "Content-Range")
	}
}
