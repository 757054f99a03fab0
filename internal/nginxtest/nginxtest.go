// Package nginxtest finds and runs a real nginx for tests: each in a
// directory of its own (configuration, pid, logs, temporary files),
// stopped gracefully when the test ends.
package nginxtest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// Find returns the path of nginx (on PATH, or Debian's /usr/sbin/nginx,
// which a user's PATH may lack), or skips the test.
func Find(t testing.TB) string {
	t.Helper()
	for _, name := range []string{"nginx", "/usr/sbin/nginx"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("nginx is not installed (Debian: apt-get install nginx-light; .ci/run does)")
	return ""
}

// FreePort returns a loopback TCP port that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Run runs nginx with a main configuration in dir whose http block holds
// http (server blocks, upstreams, includes of files in dir), preceded by
// main (top-level directives such as "user nobody nogroup;", or ""). It
// checks the configuration with nginx -t first, returns once nginx
// listens on 127.0.0.1:front, and stops nginx gracefully (SIGQUIT) when
// the test ends. It returns the error log's path (level info).
func Run(t testing.TB, nginx, dir string, front int, main, http string) (errorLog string) {
	t.Helper()
	errorLog = filepath.Join(dir, "error.log")
	conf := fmt.Sprintf(`%[3]s
worker_processes 1;
pid %[1]s/nginx.pid;
error_log %[2]s info;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path %[1]s/body;
    proxy_temp_path %[1]s/proxy;
    fastcgi_temp_path %[1]s/fastcgi;
    uwsgi_temp_path %[1]s/uwsgi;
    scgi_temp_path %[1]s/scgi;
%[4]s
}
`, dir, errorLog, main, http)
	confPath := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(nginx, "-t", "-p", dir, "-c", confPath).CombinedOutput(); err != nil {
		t.Fatalf("nginx -t: %v: %s", err, out)
	}
	cmd := exec.Command(nginx, "-p", dir, "-c", confPath, "-g", "daemon off;")
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGQUIT) // graceful
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	// nginx says nothing when it listens: probe its port, bounded.
	addr := "127.0.0.1:" + strconv.Itoa(front)
	for i := 0; ; i++ {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return errorLog
		}
		if i >= 200 {
			t.Fatalf("nginx does not listen on %s: %v", addr, err)
		}
		select {
		case err := <-done:
			t.Fatalf("nginx exited: %v", err)
		case <-time.After(50 * time.Millisecond): // a bounded probe's backoff
		}
	}
}
