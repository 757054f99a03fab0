package stdlib

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/textproto"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/seed-49a6713b/cherrygo/gateway/gatewaytest"
)

// fcgiTransport is an http.RoundTripper that speaks FastCGI as a web
// server in front of the backend would (nginx's fastcgi_pass with
// fastcgi_keep_conn on): one request at a time per connection, the
// connection kept for the next request. Only what the tests send is
// supported: bodiless requests with short header names and values.
type fcgiTransport struct {
	dial func(ctx context.Context) (net.Conn, error)

	mu   sync.Mutex
	idle []*fcgiClientConn // guarded by mu
	all  []*fcgiClientConn // guarded by mu: every connection, for close
}

type fcgiClientConn struct {
	net.Conn
	r *bufio.Reader
}

func (t *fcgiTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil && req.Body != http.NoBody {
		return nil, errors.New("fcgiTransport: request bodies are not supported")
	}
	c, err := t.conn(req.Context())
	if err != nil {
		return nil, err
	}
	resp, err := c.roundTrip(req)
	if err != nil {
		c.Close()
		return nil, err
	}
	t.mu.Lock()
	t.idle = append(t.idle, c)
	t.mu.Unlock()
	return resp, nil
}

func (t *fcgiTransport) conn(ctx context.Context) (*fcgiClientConn, error) {
	t.mu.Lock()
	if n := len(t.idle); n > 0 {
		c := t.idle[n-1]
		t.idle = t.idle[:n-1]
		t.mu.Unlock()
		return c, nil
	}
	t.mu.Unlock()
	nc, err := t.dial(ctx)
	if err != nil {
		return nil, err
	}
	c := &fcgiClientConn{Conn: nc, r: bufio.NewReader(nc)}
	t.mu.Lock()
	t.all = append(t.all, c)
	t.mu.Unlock()
	return c, nil
}

func (t *fcgiTransport) close() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, c := range t.all {
		c.Close()
	}
	t.all, t.idle = nil, nil
}

// roundTrip sends req as request 1 with FCGI_KEEP_CONN and reads the CGI
// response that comes back.
func (c *fcgiClientConn) roundTrip(req *http.Request) (*http.Response, error) {
	const keepConn = 1
	if err := fcgiRecord(c, fcgiBeginRequest, 1, []byte{0, 1, keepConn, 0, 0, 0, 0, 0}); err != nil {
		return nil, err
	}
	var params bytes.Buffer
	for _, kv := range [][2]string{
		{"REQUEST_METHOD", req.Method}, {"REQUEST_URI", req.URL.RequestURI()}, {"SERVER_PROTOCOL", "HTTP/1.1"},
		{"HTTP_HOST", req.URL.Host}, {"SCRIPT_NAME", ""}, {"PATH_INFO", req.URL.Path}, {"QUERY_STRING", req.URL.RawQuery},
		{"REMOTE_ADDR", "127.0.0.1"}, {"REMOTE_PORT", "40000"},
	} {
		fcgiPair(&params, kv[0], kv[1])
	}
	for name, values := range req.Header {
		fcgiPair(&params, "HTTP_"+strings.ReplaceAll(strings.ToUpper(name), "-", "_"), strings.Join(values, ", "))
	}
	for _, rec := range []struct {
		typ     uint8
		content []byte
	}{{fcgiParams, params.Bytes()}, {fcgiParams, nil}, {fcgiStdin, nil}} {
		if err := fcgiRecord(c, rec.typ, 1, rec.content); err != nil {
			return nil, err
		}
	}
	if dl, ok := req.Context().Deadline(); ok {
		c.SetReadDeadline(dl)
	}
	var out bytes.Buffer
	for done := false; !done; {
		var hdr [8]byte
		if _, err := io.ReadFull(c.r, hdr[:]); err != nil {
			return nil, err
		}
		n, pad := binary.BigEndian.Uint16(hdr[4:6]), int(hdr[6])
		content := make([]byte, int(n)+pad)
		if _, err := io.ReadFull(c.r, content); err != nil {
			return nil, err
		}
		switch hdr[1] {
		case fcgiStdout:
			out.Write(content[:n])
		case fcgiEndRequest:
			done = true
		}
	}
	tp := textproto.NewReader(bufio.NewReader(&out))
	mime, err := tp.ReadMIMEHeader()
	if err != nil {
		return nil, fmt.Errorf("fcgiTransport: CGI response header: %w", err)
	}
	header := http.Header(mime)
	status := http.StatusOK
	if s := header.Get("Status"); s != "" {
		code, _, _ := strings.Cut(s, " ")
		if status, err = strconv.Atoi(code); err != nil {
			return nil, fmt.Errorf("fcgiTransport: status %q", s)
		}
		header.Del("Status")
	}
	body, err := io.ReadAll(tp.R)
	if err != nil {
		return nil, err
	}
	return &http.Response{
		Status: strconv.Itoa(status) + " " + http.StatusText(status), StatusCode: status,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: header, Body: io.NopCloser(bytes.NewReader(body)), ContentLength: int64(len(body)),
		Request: req,
	}, nil
}

// The isolation checks through FastCGI, over TCP and a unix socket: the
// requests' contexts come from net/http/fcgi, which cannot cancel them,
// so it is the engine that closes Done once a request has ended.
func TestGatewayIsolationFastCGI(t *testing.T) {
	for _, unix := range []bool{false, true} {
		name := "TCP"
		if unix {
			name = "Unix"
		}
		t.Run(name, func(t *testing.T) {
			gatewaytest.RunIsolationTests(t, gatewaytest.Harness{Serve: func(t *testing.T, h http.Handler) gatewaytest.Target {
				t.Helper()
				cfg := testConfig()
				if unix {
					cfg = unixConfig(shortDir(t) + "/f.sock")
				}
				srv := fcgiServer(t, cfg, h)
				addr := srv.Addr()
				tr := &fcgiTransport{dial: func(ctx context.Context) (net.Conn, error) {
					var d net.Dialer
					return d.DialContext(ctx, addr.Network(), addr.String())
				}}
				t.Cleanup(tr.close)
				return gatewaytest.Target{URL: "http://fcgi", Client: &http.Client{Transport: tr}}
			}})
		})
	}
}
