package main

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// record is one line of the program's JSON log.
type record map[string]any

func (r record) str(k string) string { s, _ := r[k].(string); return s }

// grown is the program running, its log read line by line.
type grown struct {
	cmd     *exec.Cmd
	records chan record
	bad     chan string // lines that are not JSON
	done    chan struct{}
	seen    []record
}

func run(t *testing.T, tmp string) *grown {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go is not on PATH: cannot build examples/grown")
	}
	bin := filepath.Join(t.TempDir(), "grown")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, "%s", out)

	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(),
		"TMPDIR="+tmp,
		"SERVER_SOCKET_HOST=127.0.0.1", "SERVER_SOCKET_PORT=0",
		"SERVER_ADMIN_SOCKET_HOST=127.0.0.1", "SERVER_ADMIN_SOCKET_PORT=0",
		"LEGACY_ADDR=127.0.0.1:0",
	)
	pipe, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	g := &grown{cmd: cmd, records: make(chan record, 1024), bad: make(chan string, 16), done: make(chan struct{})}
	go func() {
		defer close(g.done)
		sc := bufio.NewScanner(pipe)
		for sc.Scan() {
			var r record
			if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
				g.bad <- sc.Text()
				continue
			}
			g.records <- r
		}
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-g.done
		cmd.Wait()
	})
	return g
}

// await returns the first record (from now on, or seen before) for which
// match is true.
func (g *grown) await(t *testing.T, what string, match func(record) bool) record {
	t.Helper()
	for _, r := range g.seen {
		if match(r) {
			return r
		}
	}
	deadline := time.After(20 * time.Second)
	for {
		select {
		case r := <-g.records:
			g.seen = append(g.seen, r)
			if match(r) {
				return r
			}
		case line := <-g.bad:
			t.Fatalf("a log line that is not JSON: %q", line)
		case <-g.done:
			t.Fatalf("the program ended before %s", what)
		case <-deadline:
			t.Fatalf("no %s in 20s; log so far: %v", what, g.seen)
		}
	}
}

func serving(server string) func(record) bool {
	return func(r record) bool { return r.str("msg") == "serving" && r.str("server") == server }
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	c := &http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

// Every line the options add does what README says, and every log line of
// the kit reaches the one JSON logger.
func TestGrownMain(t *testing.T) {
	tmp := t.TempDir()
	g := run(t, tmp)
	def := g.await(t, "the default server serving", serving("")).str("url")
	adm := g.await(t, "the admin server serving", serving("admin")).str("url")
	legacy := g.await(t, "the legacy server serving", serving("legacy")).str("url")

	status, body := get(t, def+"/")
	assert.Equal(t, http.StatusOK, status)
	assert.Equal(t, "Hello, world!", body)
	status, body = get(t, legacy+"/")
	assert.Equal(t, http.StatusOK, status)
	assert.Equal(t, "Hello, world!", body, "the *http.Server without a Handler serves the tree")
	status, _ = get(t, adm+"/")
	assert.Equal(t, http.StatusNotFound, status, "the admin server serves its own mux, not the tree")

	g.await(t, "the background task", func(r record) bool { return r.str("msg") == "refreshed" })
	status, body = get(t, adm+"/refreshes")
	assert.Equal(t, http.StatusOK, status)
	n, err := strconv.Atoi(strings.TrimSpace(body))
	require.NoError(t, err)
	assert.GreaterOrEqual(t, n, 1)

	pid, err := os.ReadFile(filepath.Join(tmp, "grown.pid"))
	require.NoError(t, err, "the PID file")
	assert.Equal(t, strconv.Itoa(g.cmd.Process.Pid), strings.TrimSpace(string(pid)))

	status, _ = get(t, def+"/panic")
	assert.Equal(t, http.StatusInternalServerError, status)
	g.await(t, "the handler's panic on the JSON logger", func(r record) bool {
		return r.str("level") == "ERROR" && r.str("panic") == "something broke"
	})
	g.await(t, "the access log record", func(r record) bool {
		return r.str("msg") == "request" && r.str("uri") == "/panic" && r["status"] == float64(500)
	})
	g.await(t, "a line of the stdlib backend", func(r record) bool { return r.str("msg") == "listening" })

	require.NoError(t, g.cmd.Process.Signal(syscall.SIGTERM))
	select {
	case <-g.done:
	case <-time.After(20 * time.Second):
		t.Fatal("no exit 20s after SIGTERM")
	}
	require.NoError(t, g.cmd.Wait())
	assert.Equal(t, 0, g.cmd.ProcessState.ExitCode())
	_, err = os.Stat(filepath.Join(tmp, "grown.pid"))
	assert.ErrorIs(t, err, os.ErrNotExist, "the PID file is removed on exit")
	for {
		select {
		case line := <-g.bad:
			t.Errorf("a log line that is not JSON: %q", line)
		default:
			return
		}
	}
}
