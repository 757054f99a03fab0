package main

import (
	"io"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/seed-49a6713b/cherrygo/chiapp"
	"github.com/seed-49a6713b/cherrygo/engine"
	"github.com/seed-49a6713b/cherrygo/engine/enginetest"
)

func TestAppInTree(t *testing.T) {
	tree := engine.NewTree()
	chiapp.Mount(tree, "/", app())
	c := enginetest.New(tree)

	resp := c.Get("/users/ann")
	body, _ := io.ReadAll(resp.Body)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "hello ann\n", string(body))

	resp = c.Get("/teapot")
	body, _ = io.ReadAll(resp.Body)
	assert.Equal(t, http.StatusTeapot, resp.StatusCode)
	assert.Contains(t, string(body), "short and stout")
}
