package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// findNginx returns nginx's path, or "" when it is not installed (Debian
// puts it in /usr/sbin, which a user's PATH may lack).
func findNginx() string {
	for _, name := range []string{"nginx", "/usr/sbin/nginx"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// fastcgiParams are the CGI variables nginx sends with each request:
// Debian's /etc/nginx/fastcgi_params, written out so that the run does
// not depend on the distribution's file. net/http/fcgi builds the request
// from REQUEST_METHOD, REQUEST_URI, SERVER_PROTOCOL and the HTTP_*
// headers nginx adds by itself.
const fastcgiParams = `        fastcgi_param QUERY_STRING      $query_string;
        fastcgi_param REQUEST_METHOD    $request_method;
        fastcgi_param CONTENT_TYPE      $content_type;
        fastcgi_param CONTENT_LENGTH    $content_length;
        fastcgi_param SCRIPT_NAME       $fastcgi_script_name;
        fastcgi_param REQUEST_URI       $request_uri;
        fastcgi_param DOCUMENT_URI      $document_uri;
        fastcgi_param DOCUMENT_ROOT     $document_root;
        fastcgi_param SERVER_PROTOCOL   $server_protocol;
        fastcgi_param REQUEST_SCHEME    $scheme;
        fastcgi_param HTTPS             $https if_not_empty;
        fastcgi_param GATEWAY_INTERFACE CGI/1.1;
        fastcgi_param SERVER_SOFTWARE   nginx/$nginx_version;
        fastcgi_param REMOTE_ADDR       $remote_addr;
        fastcgi_param REMOTE_PORT       $remote_port;
        fastcgi_param SERVER_ADDR       $server_addr;
        fastcgi_param SERVER_PORT       $server_port;
        fastcgi_param SERVER_NAME       $server_name;
`

// upstreamKeepalive is how many idle FastCGI connections nginx's worker
// keeps to the backend: more than the client connections, so that with
// fastcgi_keep_conn on every request reuses one and the figures measure
// the backend, not connection set-up.
const upstreamKeepalive = 64

// nginxConf is a whole nginx configuration for dir (pid, logs and
// temporary files there): one worker listening on front (host:port) that
// passes every request over FastCGI to backend (host:port) with upstream
// keep-alive. Access logging is off, errors go to dir/error.log.
func nginxConf(dir, front, backend string) string {
	return fmt.Sprintf(`daemon off;
master_process on;
worker_processes 1;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path %[1]s/body;
    proxy_temp_path %[1]s/proxy;
    fastcgi_temp_path %[1]s/fastcgi;
    uwsgi_temp_path %[1]s/uwsgi;
    scgi_temp_path %[1]s/scgi;
    upstream backend {
        server %[3]s;
        keepalive %[4]d;
    }
    server {
        listen %[2]s;
        location / {
            fastcgi_pass backend;
            fastcgi_keep_conn on;
%[5]s        }
    }
}
`, dir, front, backend, upstreamKeepalive, strings.ReplaceAll(fastcgiParams, "        fastcgi_param", "            fastcgi_param"))
}

// frontend is one running nginx with its own directory.
type frontend struct {
	p   *process
	dir string
}

// startNginx writes the configuration for t into a fresh directory under
// s.tmp, checks it with nginx -t and starts nginx in the foreground. It
// does not wait for nginx to listen: the caller's probe does.
func startNginx(s settings, t target) (*frontend, error) {
	dir, err := os.MkdirTemp(s.tmp, "nginx-")
	if err != nil {
		return nil, fmt.Errorf("nginx dir: %w", err)
	}
	conf := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(conf, []byte(nginxConf(dir, t.addr, t.backend)), 0o644); err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("nginx conf: %w", err)
	}
	// -e: the start-up error log too goes to dir, not /var/log/nginx (which
	// a harness run without root could not open).
	errLog := filepath.Join(dir, "error.log")
	if out, err := exec.Command(s.nginx, "-t", "-e", errLog, "-p", dir, "-c", conf).CombinedOutput(); err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("nginx -t: %w: %s", err, lastLines(string(out), 3))
	}
	p, err := spawn(onCPU(s.serverCPU, []string{s.nginx, "-e", errLog, "-p", dir, "-c", conf}), nil)
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	return &frontend{p: p, dir: dir}, nil
}

// stop ends nginx (SIGTERM: its fast shutdown) and removes its directory.
// It is safe to call twice.
func (f *frontend) stop() error {
	err := f.p.stop()
	_ = os.RemoveAll(f.dir)
	if err != nil {
		return fmt.Errorf("nginx: %w", err)
	}
	return nil
}

// errors returns the last lines of nginx's error log, for a failed
// measurement's message.
func (f *frontend) errors() string {
	b, err := os.ReadFile(filepath.Join(f.dir, "error.log"))
	if err != nil {
		return ""
	}
	return lastLines(string(b), 3)
}
