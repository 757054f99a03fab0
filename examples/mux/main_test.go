package main

import (
	"io"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/seed-49a6713b/cherrygo/engine"
	"github.com/seed-49a6713b/cherrygo/engine/enginetest"
)

func TestMuxInTree(t *testing.T) {
	tree := engine.NewTree()
	tree.Mount("/", mux())
	resp := enginetest.New(tree).Get("/users/bob")
	body, _ := io.ReadAll(resp.Body)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "hello bob\n", string(body))
}
