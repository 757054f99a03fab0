package stdlib

import (
	"io"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestUnencryptedHTTP2(t *testing.T) {
	proto := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, r.Proto) })
	srv := newTestServer(t, testConfig(), proto, WithUnencryptedHTTP2())
	var protocols http.Protocols
	protocols.SetUnencryptedHTTP2(true)
	c := newClient(t, &http.Transport{Protocols: &protocols})
	resp, err := c.Get(baseURL(srv) + "/")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	assert.Equal(t, "HTTP/2.0", string(body))

	// HTTP/1 still works on the same port.
	resp, err = newClient(t, nil).Get(baseURL(srv) + "/")
	require.NoError(t, err)
	body, _ = io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	assert.Equal(t, "HTTP/1.1", string(body))
}
