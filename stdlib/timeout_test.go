package stdlib

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-49a6713b/cherrygo/adapter/settings"
)

// shortTimeout is SOCKET_TIMEOUT in these tests.
const shortTimeout = 300 * time.Millisecond

func timeoutConfig() settings.Config {
	cfg := testConfig()
	cfg.SocketTimeout = shortTimeout
	return cfg
}

func addrString(srv *Server) string { return srv.Addr().String() }

// closedBy reports, on the returned channel, when the server closes c.
func closedBy(c io.Reader) <-chan error {
	out := make(chan error, 1)
	go func() {
		_, err := io.Copy(io.Discard, c)
		out <- err
	}()
	return out
}

func TestTricklingHeaderCutOff(t *testing.T) {
	srv := newTestServer(t, timeoutConfig(), hello)
	c := dial(t, "tcp", addrString(srv))
	closed := closedBy(c)
	began := time.Now()
	_, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n")
	require.NoError(t, err)
	tick := time.NewTicker(50 * time.Millisecond) // the trickle: deliberate load
	defer tick.Stop()
	for i := 0; ; i++ {
		select {
		case <-closed:
			took := time.Since(began)
			assert.GreaterOrEqual(t, took, shortTimeout-50*time.Millisecond)
			t.Logf("cut off after %v", took)
			return
		case <-tick.C:
			if i > 100 { // 5 s of trickling
				t.Fatal("a client trickling its header was never cut off")
			}
			_, _ = fmt.Fprintf(c, "X-%d: y\r\n", i)
		}
	}
}

// bodyCounter answers with how many body bytes it read and how reading ended.
func bodyCounter(errs chan<- error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		n, err := io.Copy(io.Discard, r.Body)
		if errs != nil {
			errs <- err
		}
		if err != nil {
			w.WriteHeader(http.StatusRequestTimeout)
		}
		_, _ = fmt.Fprintf(w, "%d %v", n, err)
	}
}

func TestSlowUploadNotCutOff(t *testing.T) {
	srv := newTestServer(t, timeoutConfig(), bodyCounter(nil))
	pr, pw := io.Pipe()
	const chunks, size = 20, 1024
	go func() { // 20 chunks 50 ms apart: 1 s in all, 3× the timeout
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for range chunks {
			<-tick.C
			if _, err := pw.Write(make([]byte, size)); err != nil {
				pw.CloseWithError(err)
				return
			}
		}
		_ = pw.Close()
	}()
	resp, err := newClient(t, nil).Post(baseURL(srv)+"/", "application/octet-stream", pr)
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, fmt.Sprintf("%d <nil>", chunks*size), string(body))
}

func TestStalledBodyCutOff(t *testing.T) {
	errs := make(chan error, 1)
	srv := newTestServer(t, timeoutConfig(), bodyCounter(errs))
	c := dial(t, "tcp", addrString(srv))
	_, err := io.WriteString(c, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nonly ten b")
	require.NoError(t, err)
	select {
	case err := <-errs:
		assert.True(t, errors.Is(err, os.ErrDeadlineExceeded), "body read error %v, want a deadline", err)
	case <-time.After(waitTimeout):
		t.Fatal("a stalled body was never cut off")
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, http.StatusRequestTimeout, resp.StatusCode)
}

func TestSlowHandlerNotCutOff(t *testing.T) {
	slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, err := io.Copy(io.Discard, r.Body)
		time.Sleep(3 * shortTimeout) // a slow handler: deliberate load
		if err := r.Context().Err(); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		_, _ = fmt.Fprintf(w, "%d %v", n, err)
	})
	srv := newTestServer(t, timeoutConfig(), slow)
	c := newClient(t, nil)
	resp, err := c.Post(baseURL(srv)+"/", "text/plain", strings.NewReader("body"))
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "4 <nil>", string(body))
}

func TestStalledReaderCutOff(t *testing.T) {
	errs := make(chan error, 1)
	big := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		chunk := make([]byte, 256<<10)
		for range 1024 { // up to 256 MiB, far beyond any socket buffer
			if _, err := w.Write(chunk); err != nil {
				errs <- err
				return
			}
		}
		errs <- nil
	})
	srv := newTestServer(t, timeoutConfig(), big)
	c := dial(t, "tcp", addrString(srv))
	_, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	require.NoError(t, err)
	select { // and never read
	case err := <-errs:
		assert.Error(t, err, "the handler wrote 256 MiB to a client that reads nothing")
	case <-time.After(3 * waitTimeout):
		t.Fatal("a client that stopped reading was never cut off")
	}
}

func TestSlowDownloadNotCutOff(t *testing.T) {
	const total = 4 << 20
	big := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write(make([]byte, total)) // one large write
	})
	srv := newTestServer(t, timeoutConfig(), big)
	c := dial(t, "tcp", addrString(srv))
	_, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	require.NoError(t, err)
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	require.NoError(t, err)
	defer resp.Body.Close()
	// Read slowly: 1 s in all, 3× the timeout, but always making progress.
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	var n int64
	buf := make([]byte, total/20)
	for n < total {
		<-tick.C
		m, err := io.ReadFull(resp.Body, buf[:min(len(buf), int(total-n))])
		n += int64(m)
		if err != nil {
			break
		}
	}
	assert.Equal(t, int64(total), n)
}

func TestHeaderSizeLimit(t *testing.T) {
	cfg := testConfig()
	cfg.MaxRequestHeaderSize = 1024
	limited := newTestServer(t, cfg, hello)
	cfg.MaxRequestHeaderSize = 0
	unlimited := newTestServer(t, cfg, hello)

	c := newClient(t, nil)
	get := func(srv *Server, headerSize int) int {
		req, err := http.NewRequest(http.MethodGet, baseURL(srv)+"/", nil)
		require.NoError(t, err)
		req.Header.Set("X-Big", strings.Repeat("a", headerSize))
		resp, err := c.Do(req)
		require.NoError(t, err)
		_ = resp.Body.Close()
		return resp.StatusCode
	}
	assert.Equal(t, http.StatusOK, get(limited, 100))
	assert.Equal(t, http.StatusRequestHeaderFieldsTooLarge, get(limited, 8<<10))
	// net/http's own default would refuse 2 MiB (it allows 1 MiB).
	assert.Equal(t, http.StatusOK, get(unlimited, 2<<20))
}
