package main

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
)

// Server names as they appear in the tables.
const (
	srvRawHTTP  = "raw net/http"
	srvRawChi   = "net/http + chi"
	srvKit      = "cherrygo (examples/hello)"
	srvCherryPy = "CherryPy 18"
	srvGin      = "gin (release, no logger)"
	srvEcho     = "echo v4"
	srvFiber    = "fiber v2 (fasthttp)"
	srvRawFCGI  = "raw net/http/fcgi"
	srvRawH3    = "raw quic-go http3"
)

// Transports.
const (
	tcp   = "TCP"
	unix  = "unix socket"
	tlsH1 = "TLS HTTP/1.1"
	tlsH2 = "TLS HTTP/2"
	// The backends swapped by environment: FastCGI over TCP on 127.0.0.1
	// from one nginx worker, and HTTP/3 over QUIC (UDP).
	fcgiNginx = "FastCGI behind nginx (TCP)"
	h3quic    = "HTTP/3 (QUIC)"
)

// target is one server program reachable over one transport.
type target struct {
	server    string
	transport string
	argv      []string
	env       []string
	network   string // "tcp" or "unix"
	addr      string // host:port or socket path
	tls       bool
	h3        bool   // addr is a UDP port speaking HTTP/3
	backend   string // with fcgiNginx: the server's host:port; addr is nginx's
	// startedLine says the program prints "engine-started" once fully
	// started (CherryPy); stops are measured only after it.
	startedLine bool
}

// url is the address for wrk and h2load.
func (t target) url() string {
	if t.tls {
		return "https://" + t.addr + "/"
	}
	return "http://" + t.addr + "/"
}

// programs finds each server's command line; a missing binary gives an
// error kept for the report instead of a command.
type programs struct {
	argv map[string][]string // server → argv (hello for the kit)
	slow map[string][]string // server → argv of the variant with /slow
	miss map[string]string   // server → why it cannot run
}

func findPrograms(s settings) programs {
	p := programs{argv: map[string][]string{}, slow: map[string][]string{}, miss: map[string]string{}}
	bin := func(name string) ([]string, bool) {
		path := filepath.Join(s.bin, name)
		if _, err := os.Stat(path); err != nil {
			return nil, false
		}
		return []string{path}, true
	}
	for server, name := range map[string]string{srvRawHTTP: "rawhttp", srvRawChi: "rawchi"} {
		if a, ok := bin(name); ok {
			p.argv[server], p.slow[server] = a, a
		} else {
			p.miss[server] = name + " not built"
		}
	}
	for server, name := range map[string]string{
		srvRawFCGI: "rawfcgi", srvRawH3: "rawh3",
		// bench/peers, a module of its own.
		srvGin: "gin", srvEcho: "echo", srvFiber: "fiber",
	} {
		if a, ok := bin(name); ok {
			p.argv[server] = a
		} else {
			p.miss[server] = name + " not built"
		}
	}
	if a, ok := bin("hello"); ok {
		p.argv[srvKit] = a
	} else {
		p.miss[srvKit] = "examples/hello not built"
	}
	if a, ok := bin("kit"); ok {
		p.slow[srvKit] = a
	}
	if _, err := os.Stat(s.cherrypy); err == nil {
		p.argv[srvCherryPy] = []string{s.python, s.cherrypy}
		p.slow[srvCherryPy] = p.argv[srvCherryPy]
	} else {
		p.miss[srvCherryPy] = s.cherrypy + " missing"
	}
	return p
}

// freePort asks the kernel for a free loopback port.
func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("free port: %w", err)
	}
	defer ln.Close()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port), nil
}

// freeDualPort finds a loopback port number free for both TCP and UDP
// (the kit's HTTP/3 binds both), trying a few.
func freeDualPort() (string, error) {
	for range 10 {
		port, err := freePort()
		if err != nil {
			return "", err
		}
		pc, err := net.ListenPacket("udp", net.JoinHostPort("127.0.0.1", port))
		if err == nil {
			pc.Close()
			return port, nil
		}
	}
	return "", fmt.Errorf("free port: no port free for both TCP and UDP in 10 tries")
}

// newTarget sets up argv to serve over transport on a fresh address, on
// the server CPU when the run is pinned.
func newTarget(s settings, server, transport string, argv []string, seq int) (target, error) {
	t := target{server: server, transport: transport, argv: onCPU(s.serverCPU, argv), network: "tcp",
		startedLine: server == srvCherryPy}
	switch transport {
	case unix:
		t.network = "unix"
		t.addr = filepath.Join(s.tmp, fmt.Sprintf("bench-%d.sock", seq))
		_ = os.Remove(t.addr)
		t.env = []string{"SERVER_SOCKET_FILE=" + t.addr}
		return t, nil
	case tlsH1, tlsH2:
		t.tls = true
		t.env = []string{"SERVER_SSL_CERTIFICATE=" + s.cert, "SERVER_SSL_PRIVATE_KEY=" + s.key}
	case h3quic:
		// The kit serves HTTP/3 on the UDP port of its TLS TCP port's
		// number; rawh3 binds only that UDP port and ignores SERVER_HTTP3.
		t.tls, t.h3 = true, true
		t.env = []string{"SERVER_SSL_CERTIFICATE=" + s.cert, "SERVER_SSL_PRIVATE_KEY=" + s.key, "SERVER_HTTP3=true"}
	case fcgiNginx:
		back, err := freePort()
		if err != nil {
			return t, err
		}
		front, err := freePort()
		if err != nil {
			return t, err
		}
		t.backend = net.JoinHostPort("127.0.0.1", back)
		t.addr = net.JoinHostPort("127.0.0.1", front)
		t.env = []string{"SERVER_SOCKET_HOST=127.0.0.1", "SERVER_SOCKET_PORT=" + back}
		if server == srvKit {
			t.env = append(t.env, "SERVER_BACKEND=fastcgi")
		}
		return t, nil
	}
	pick := freePort
	if t.h3 {
		pick = freeDualPort
	}
	port, err := pick()
	if err != nil {
		return t, err
	}
	t.addr = net.JoinHostPort("127.0.0.1", port)
	t.env = append(t.env, "SERVER_SOCKET_HOST=127.0.0.1", "SERVER_SOCKET_PORT="+port)
	return t, nil
}
