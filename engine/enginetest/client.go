package enginetest

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/seed-49a6713b/cherrygo/engine"
)

// Client runs requests on a tree in process. Its fields may be changed
// between requests; a Client is safe for concurrent use when they are not.
type Client struct {
	// Tree is the tree the requests run on.
	Tree *engine.Tree
	// Host is the Host of every request ("localhost" from New).
	Host string
	// Header is added to every request.
	Header http.Header
}

// New returns a client for tree.
func New(tree *engine.Tree) *Client {
	return &Client{Tree: tree, Host: "localhost", Header: make(http.Header)}
}

// NewRequest returns a request for method and target ("/path?query") with
// the client's Host and Header and body (nil: none).
func (c *Client) NewRequest(method, target string, body io.Reader) *engine.Request {
	req := engine.NewRequest(method, target, body)
	req.Host = c.Host
	for k, v := range c.Header {
		req.Header[k] = append([]string(nil), v...)
	}
	return req
}

// Record runs req on the tree and returns the recorder that received the
// response. The recorder cannot show a cut response: check req.Aborted,
// or use Do. req serves one request: run a new one for the next.
func (c *Client) Record(req *engine.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	req.Run(c.Tree, rec)
	return rec
}

// Do runs req on the tree and returns the response.
//
// When Run cut the response off (req.Aborted: the handler panicked with
// http.ErrAbortHandler, or failed after its header went out), reading the
// returned response's body yields what was written and then fails with
// io.ErrUnexpectedEOF, the way a client of a real server sees a cut
// connection; the status and header are those sent before the cut (200
// when nothing was).
func (c *Client) Do(req *engine.Request) *http.Response {
	resp := c.Record(req).Result()
	if req.Aborted() {
		resp.Body = &cutBody{ReadCloser: resp.Body}
	}
	return resp
}

// cutBody reads its body and then fails with io.ErrUnexpectedEOF.
type cutBody struct{ io.ReadCloser }

func (b *cutBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}

// Get runs a GET of target.
func (c *Client) Get(target string) *http.Response {
	return c.Do(c.NewRequest(http.MethodGet, target, nil))
}

// Head runs a HEAD of target.
func (c *Client) Head(target string) *http.Response {
	return c.Do(c.NewRequest(http.MethodHead, target, nil))
}

// Post runs a POST of body to target with the given content type.
func (c *Client) Post(target, contentType string, body io.Reader) *http.Response {
	req := c.NewRequest(http.MethodPost, target, body)
	req.Header.Set("Content-Type", contentType)
	return c.Do(req)
}

// PostString is Post with a string body.
func (c *Client) PostString(target, contentType, body string) *http.Response {
	return c.Post(target, contentType, strings.NewReader(body))
}
