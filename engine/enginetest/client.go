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
// response.
func (c *Client) Record(req *engine.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	req.Run(c.Tree, rec)
	return rec
}

// Do runs req on the tree and returns the response.
func (c *Client) Do(req *engine.Request) *http.Response {
	return c.Record(req).Result()
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
