package main

import (
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/quic-go/quic-go/http3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-49a6713b/cherrygo/internal/nginxtest"
	"github.com/seed-49a6713b/cherrygo/internal/testcert"
)

// The same binary, four servers, chosen by the environment alone: HTTP
// (the default), h2c (curl --http2-prior-knowledge), FastCGI (a real nginx
// in front by fastcgi_pass) and HTTP/3 (quic-go's client, with the TCP
// side advertising it in Alt-Svc). Each answers "Hello, world!" and stops
// gracefully with exit code 0.
func TestBackendsSwappedByEnvironment(t *testing.T) {
	needCurl(t)
	bin := build(t)

	t.Run("http", func(t *testing.T) {
		r := start(t, bin, "SERVER_SOCKET_PORT=0")
		resp, body := get(t, &http.Client{Timeout: 10 * time.Second}, r.url+"/")
		assert.Equal(t, "HTTP/1.1", resp.Proto)
		assert.Equal(t, "Hello, world!", body)
		assert.Equal(t, 0, r.stop(t, syscall.SIGTERM), r.stderr.String())
	})

	t.Run("h2c", func(t *testing.T) {
		r := start(t, bin, "SERVER_SOCKET_PORT=0", "SERVER_BACKEND=h2c")
		out := curl(t, "--http2-prior-knowledge", "-w", "\n%{http_version}", r.url+"/")
		assert.Equal(t, "Hello, world!\n2", out, "HTTP/2 without TLS")
		out = curl(t, "-w", "\n%{http_version}", r.url+"/")
		assert.Equal(t, "Hello, world!\n1.1", out, "HTTP/1.1 on the same port")
		assert.Equal(t, 0, r.stop(t, syscall.SIGTERM), r.stderr.String())
	})

	t.Run("fastcgi", func(t *testing.T) {
		nginx := nginxtest.Find(t)
		r := start(t, bin, "SERVER_SOCKET_PORT=0", "SERVER_BACKEND=fastcgi")
		u, err := url.Parse(r.url)
		require.NoError(t, err)
		front := runNginxFastCGI(t, nginx, u.Host)
		resp, body := get(t, &http.Client{Timeout: 10 * time.Second}, "http://"+front+"/")
		assert.Equal(t, http.StatusOK, resp.StatusCode)
		assert.Equal(t, "Hello, world!", body)
		assert.Equal(t, 0, r.stop(t, syscall.SIGTERM), r.stderr.String())
	})

	t.Run("http3", func(t *testing.T) {
		dir := t.TempDir()
		c, k := testcert.Pair(t, 1)
		cert, key := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
		require.NoError(t, os.WriteFile(cert, c, 0o600))
		require.NoError(t, os.WriteFile(key, k, 0o600))
		r := start(t, bin, "SERVER_SOCKET_PORT=0", "SERVER_SSL_CERTIFICATE="+cert, "SERVER_SSL_PRIVATE_KEY="+key, "SERVER_HTTP3=true")
		require.True(t, strings.HasPrefix(r.url, "https://"), r.url)
		tlsConf := &tls.Config{InsecureSkipVerify: true} //nolint:gosec // a self-signed test certificate

		tcp := &http.Transport{TLSClientConfig: tlsConf}
		defer tcp.CloseIdleConnections()
		resp, body := get(t, &http.Client{Transport: tcp, Timeout: 10 * time.Second}, r.url+"/")
		assert.Equal(t, "Hello, world!", body)
		port := strings.TrimPrefix(r.url[strings.LastIndex(r.url, ":"):], ":")
		assert.Equal(t, fmt.Sprintf(`h3=":%s"; ma=86400`, port), resp.Header.Get("Alt-Svc"), "TCP advertises HTTP/3")

		h3 := &http3.Transport{TLSClientConfig: tlsConf}
		defer h3.Close()
		resp, body = get(t, &http.Client{Transport: h3, Timeout: 10 * time.Second}, r.url+"/")
		assert.Equal(t, "HTTP/3.0", resp.Proto)
		assert.Equal(t, "Hello, world!", body)
		assert.Equal(t, 0, r.stop(t, syscall.SIGTERM), r.stderr.String())
	})
}

func get(t *testing.T, c *http.Client, u string) (*http.Response, string) {
	t.Helper()
	resp, err := c.Get(u)
	require.NoError(t, err)
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", b)
	return resp, string(b)
}

// runNginxFastCGI runs an nginx that passes every request to the FastCGI
// server at upstream (host:port) and returns its own address; it stops at
// the end of the test.
func runNginxFastCGI(t *testing.T, nginx, upstream string) string {
	t.Helper()
	front := nginxtest.FreePort(t)
	nginxtest.Run(t, nginx, t.TempDir(), front, "", fmt.Sprintf(`    server {
        listen 127.0.0.1:%d;
        location / {
            fastcgi_param REQUEST_METHOD $request_method;
            fastcgi_param REQUEST_URI $request_uri;
            fastcgi_param SERVER_PROTOCOL $server_protocol;
            fastcgi_param REMOTE_ADDR $remote_addr;
            fastcgi_param HTTP_HOST $host;
            fastcgi_pass %s;
        }
    }`, front, upstream))
	return "127.0.0.1:" + strconv.Itoa(front)
}
