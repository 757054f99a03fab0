package nginx

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-49a6713b/cherrygo/internal/nginxtest"
)

// buildBackendApp builds testdata/backendapp into a temporary directory.
func buildBackendApp(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "backendapp")
	out, err := exec.Command("go", "build", "-o", bin, "../../testdata/backendapp").CombinedOutput()
	require.NoError(t, err, "%s", out)
	return bin
}

// fcgiFront is testdata/backendapp speaking FastCGI on network (unix or
// tcp) with nginx in front of it by fastcgi.conf.
type fcgiFront struct {
	base     string // nginx's URL
	errorLog string
	app      *instance
}

// startFastCGI runs the program with SERVER_BACKEND=fastcgi and env, and
// nginx in front with fastcgi.conf. On a unix socket the socket keeps its
// default mode (0660) and gets the group of nginx's workers through
// SERVER_SOCKET_FILE_GROUP, as fastcgi.conf says.
func startFastCGI(t *testing.T, nginx, bin, network string, env []string) *fcgiFront {
	t.Helper()
	return startFastCGIConf(t, nginx, bin, network, env, true)
}

// startFastCGIConf is startFastCGI with fastcgi_keep_conn on or off.
func startFastCGIConf(t *testing.T, nginx, bin, network string, env []string, keepConn bool) *fcgiFront {
	t.Helper()
	dir, err := os.MkdirTemp("", "cgfc") // short: a unix socket path
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	require.NoError(t, os.Chmod(dir, 0o755)) // nginx's worker must reach the socket
	params, err := os.ReadFile("/etc/nginx/fastcgi_params")
	if err != nil {
		t.Skipf("nginx's fastcgi_params not found (Debian's nginx-common installs it): %v", err)
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "fastcgi_params"), params, 0o644))

	env = append([]string{"SERVER_BACKEND=fastcgi"}, env...)
	user, upstream := "", ""
	switch network {
	case "unix":
		sock := filepath.Join(dir, "app.sock")
		group := strconv.Itoa(os.Getgid()) // the worker runs as us when we are not root
		if os.Getuid() == 0 {
			user, group = "user nobody nogroup;", "nogroup" // as Debian's nginx runs its workers
		}
		env = append(env, "SERVER_SOCKET_FILE="+sock, "SERVER_SOCKET_FILE_GROUP="+group)
		upstream = "server unix:" + sock + ";"
	case "tcp":
		port := nginxtest.FreePort(t)
		env = append(env, "SERVER_SOCKET_HOST=127.0.0.1", "SERVER_SOCKET_PORT="+strconv.Itoa(port))
		upstream = "server 127.0.0.1:" + strconv.Itoa(port) + ";"
	}
	app := startProcess(t, bin, env)

	front := nginxtest.FreePort(t)
	conf := readFile(t, "fastcgi.conf")
	conf = strings.Replace(conf, "server unix:/run/hello/hello.sock;", upstream, 1)
	conf = strings.Replace(conf, "listen 80;", "listen 127.0.0.1:"+strconv.Itoa(front)+";", 1)
	require.Contains(t, conf, upstream)
	if !keepConn {
		conf = strings.Replace(conf, "fastcgi_keep_conn on;", "fastcgi_keep_conn off;", 1)
		conf = strings.Replace(conf, "    keepalive 16;\n", "", 1)
	}
	// net/http/fcgi routes on REQUEST_URI and keeps SCRIPT_NAME and
	// PATH_INFO from the handler: pass nginx's split again, for the test
	// to compare with the engine's.
	conf = strings.Replace(conf, "fastcgi_keep_conn on;", "fastcgi_keep_conn on;\n        fastcgi_param NGINX_SCRIPT_NAME $fastcgi_script_name;\n        fastcgi_param NGINX_PATH_INFO $fastcgi_path_info;", 1)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "fastcgi.conf"), []byte(conf), 0o644))
	errorLog := runNginx(t, nginx, dir, front, user, "fastcgi.conf")
	return &fcgiFront{base: "http://127.0.0.1:" + strconv.Itoa(front), errorLog: errorLog, app: app}
}

func (f *fcgiFront) do(t *testing.T, c *http.Client, method, path, body string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, f.base+path, strings.NewReader(body))
	require.NoError(t, err)
	resp, err := c.Do(req)
	require.NoError(t, err)
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	return resp, string(b)
}

// cutRe matches what nginx logs when the upstream cut a request: a reset,
// a close before the response ended, a write into a closed connection.
var cutRe = regexp.MustCompile(`reset by peer|prematurely closed|Broken pipe|upstream timed out`)

// testdata/backendapp behind nginx by fastcgi_pass, on a unix socket and
// on TCP: answers, SCRIPT_NAME and PATH_INFO, a 413 and a 503 passing
// through, and a stop under load that cuts no request.
func TestFastCGIBehindNginx(t *testing.T) {
	nginx := nginxtest.Find(t)
	bin := buildBackendApp(t)
	for _, network := range []string{"unix", "tcp"} {
		t.Run(network, func(t *testing.T) {
			t.Run("Requests", func(t *testing.T) {
				f := startFastCGI(t, nginx, bin, network, []string{"SERVER_MAX_REQUEST_BODY_SIZE=1024"})
				defer f.app.stop(t)
				c := newClient(t)

				resp, body := f.do(t, c, "GET", "/", "")
				require.Equal(t, http.StatusOK, resp.StatusCode, "%s; nginx error log:\n%s", body, readFile(t, f.errorLog))
				assert.Equal(t, "Hello, world!", body)

				resp, body = f.do(t, c, "GET", "/app/x%20y/z?q=1", "")
				require.Equal(t, http.StatusOK, resp.StatusCode, body)
				var got struct {
					ScriptName string            `json:"script_name"`
					PathInfo   string            `json:"path_info"`
					Query      string            `json:"query"`
					FCGI       map[string]string `json:"fcgi"`
				}
				require.NoError(t, json.Unmarshal([]byte(body), &got), body)
				assert.Equal(t, "/app", got.ScriptName, "the engine's mount point")
				assert.Equal(t, "/x y/z", got.PathInfo, "the rest of the path, decoded")
				assert.Equal(t, "q=1", got.Query)
				assert.Equal(t, "/app", got.FCGI["NGINX_SCRIPT_NAME"], "nginx's SCRIPT_NAME, as the app can read it")
				assert.Equal(t, "/x y/z", got.FCGI["NGINX_PATH_INFO"], "nginx's PATH_INFO agrees with the engine's")

				resp, body = f.do(t, c, "POST", "/upload", strings.Repeat("a", 1000))
				assert.Equal(t, http.StatusOK, resp.StatusCode)
				assert.Equal(t, "1000 bytes", body)
				resp, _ = f.do(t, c, "POST", "/upload", strings.Repeat("a", 5000))
				assert.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode, "the body limit's 413 passes through")
				assert.NotRegexp(t, cutRe, readFile(t, f.errorLog))
			})

			t.Run("Busy", func(t *testing.T) {
				f := startFastCGI(t, nginx, bin, network, []string{"SERVER_THREAD_POOL=1", "SERVER_ACCEPTED_QUEUE_TIMEOUT=100ms"})
				defer f.app.stop(t)
				c := newClient(t)
				slow := make(chan int, 1)
				go func() {
					resp, err := c.Get(f.base + "/slow?d=3s")
					if err != nil {
						slow <- 0
						return
					}
					resp.Body.Close()
					slow <- resp.StatusCode
				}()
				// Once the slow request holds the only handler, the next
				// one waits 100 ms in the queue and gets 503.
				var busy *http.Response
				for range 50 {
					resp, _ := f.do(t, c, "GET", "/", "")
					if resp.StatusCode == http.StatusServiceUnavailable {
						busy = resp
						break
					}
					require.Equal(t, http.StatusOK, resp.StatusCode)
				}
				require.NotNil(t, busy, "no 503 in 50 requests while the pool was full")
				assert.NotEmpty(t, busy.Header.Get("Retry-After"), "Retry-After passes through")
				select {
				case code := <-slow:
					assert.Equal(t, http.StatusOK, code, "the request that held the pool")
				case <-time.After(20 * time.Second):
					t.Fatal("the slow request did not finish")
				}
			})

			for _, keepConn := range []bool{false, true} {
				t.Run("StopUnderLoad/keep_conn="+strconv.FormatBool(keepConn), func(t *testing.T) {
					stopUnderLoad(t, nginx, bin, network, keepConn)
				})
			}
		})
	}
}

// newClient is a client whose idle connections close at the end of the test.
func newClient(t *testing.T) *http.Client {
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 20 * time.Second}
}

// cutLines returns the lines of an nginx error log that cutRe matches.
func cutLines(log string) string {
	var b strings.Builder
	for _, line := range strings.Split(log, "\n") {
		if cutRe.MatchString(line) {
			b.WriteString(line + "\n")
		}
	}
	return b.String()
}

// stopUnderLoad stops the program with SIGTERM while 10 clients keep
// nginx busy and 8 slow requests are in flight, 3 of them POSTs whose
// handler leaves the body unread. Every request the program began is
// answered: the slow ones complete with 200. With
// fastcgi_keep_conn off nginx logs no reset, premature close or broken
// pipe. With it on, nginx may pick a kept connection in the instant the
// program closes it after its last END_REQUEST (FastCGI cannot tell the
// web server to stop reusing a connection, as HTTP's Connection: close
// does): nginx logs the reset and retries the request on a new connection,
// as it does for every error on a cached one. Those are counted and
// reported, not asserted.
func stopUnderLoad(t *testing.T, nginx, bin, network string, keepConn bool) {
	f := startFastCGIConf(t, nginx, bin, network, nil, keepConn)
	c := newClient(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	fast := drive(ctx, f.base+"/", 10)

	// 5 slow GETs, and 3 slow POSTs whose handler never reads the 256 KiB
	// body (net/http/fcgi reads it after END_REQUEST: the connection must
	// not close before, or the response would be reset).
	const slowN, ignoreN = 5, 3
	var wg sync.WaitGroup
	codes := make(chan string, slowN+ignoreN)
	answer := func(resp *http.Response, err error) string {
		if err != nil {
			return err.Error()
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return strconv.Itoa(resp.StatusCode) + " " + string(b)
	}
	for range slowN {
		wg.Go(func() { codes <- answer(c.Get(f.base + "/slow?d=1s")) })
	}
	body := strings.Repeat("b", 256<<10)
	for range ignoreN {
		wg.Go(func() { codes <- answer(c.Post(f.base+"/ignore?d=1s", "text/plain", strings.NewReader(body))) })
	}
	for i := 0; ; i++ { // until the slow requests all run (a bounded probe)
		_, n := f.do(t, c, "GET", "/inflight", "")
		if n == strconv.Itoa(slowN+ignoreN) {
			break
		}
		require.Less(t, i, 200, "the slow requests did not all start: %s in flight", n)
		<-time.After(10 * time.Millisecond)
	}
	f.app.stop(t) // SIGTERM; returns once it exited 0
	cancel()
	fast.wait()
	wg.Wait()
	close(codes)
	for got := range codes {
		assert.Contains(t, []string{"200 slept 1s", "200 ignored"}, got, "a request in flight at the stop")
	}
	cuts := cutLines(readFile(t, f.errorLog))
	if keepConn {
		t.Logf("nginx errors on kept connections closed by the stop (retried by nginx): %d\n%s", strings.Count(cuts, "\n"), cuts)
	} else {
		assert.Empty(t, cuts, "nginx saw requests cut by the stop")
	}
	t.Logf("fast clients: %d answered, %d non-2xx %v (once the program is gone nginx has no upstream), %d failed",
		fast.ok.Load(), fast.non2xx.Load(), fast.statuses(), fast.failed.Load())
}
