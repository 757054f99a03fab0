package gateway_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/seed-49a6713b/cherrygo/internal/testwait"
	"go.uber.org/goleak"
)

// TestMain fails the package when a test leaves a goroutine behind.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// waitTimeout bounds every wait on an event in the policy tests.
const waitTimeout = testwait.Timeout

// serve starts a loopback server for h, closed (with its client's idle
// connections) when the test ends.
func serve(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// receive waits for a value on ch, failing the test after waitTimeout.
func receive[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	return testwait.Receive(t, ch, what)
}

// result is a response (or error) from a request made on another
// goroutine.
type result struct {
	status int
	header http.Header
	body   string
	close  bool // the server said it closes the connection
	err    error
}

// fetch sends req with client and returns the outcome, reading the whole
// body; it never calls t.Fatal, so it may run on any goroutine.
func fetch(client *http.Client, req *http.Request) result {
	resp, err := client.Do(req)
	if err != nil {
		return result{err: err}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return result{status: resp.StatusCode, header: resp.Header, body: string(body), close: resp.Close, err: err}
}

// fetchAsync runs fetch on a new goroutine and delivers the result.
func fetchAsync(client *http.Client, req *http.Request) <-chan result {
	ch := make(chan result, 1)
	go func() { ch <- fetch(client, req) }()
	return ch
}

// get makes a GET request to url and requires it to succeed.
func get(t *testing.T, client *http.Client, url string) result {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	require.NoError(t, err)
	res := fetch(client, req)
	require.NoError(t, res.err)
	return res
}
