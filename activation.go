package cherrygo

import (
	"context"
	"fmt"
	"net"
	"regexp"
	"slices"
	"strings"

	"github.com/coreos/go-systemd/v22/activation"

	"github.com/seed-49a6713b/cherrygo/adapter/settings"
	"github.com/seed-49a6713b/cherrygo/engine"
)

// unnamedFD matches the names an activation socket has when nobody named
// it: none, systemd's "unknown", go-systemd's "LISTEN_FD_<n>", and a socket
// unit's own name ("app.socket", systemd's default FileDescriptorName).
var unnamedFD = regexp.MustCompile(`^(|unknown|default|LISTEN_FD_[0-9]+|.+\.socket)$`)

// inherit takes the sockets systemd (or systemd-socket-activate) passed
// this process, when LISTEN_PID names it, and maps them to the servers by
// LISTEN_FDNAMES: an unnamed one, or one named "default", to the default
// server, one named like a server to that server. Each server gets one
// listening stream socket and, when its HTTP3 is true, at most one UDP
// socket of the same port for HTTP/3 (ListenDatagram=, named like the
// stream one). The LISTEN_* variables are unset, so children do not
// inherit them. A socket that matches no server that is on, a server with
// no stream socket, two sockets of a kind for one server, a UDP socket for
// a server that does not serve HTTP/3 and one whose port is not the stream
// socket's are errors naming both sides. It returns nil maps when nothing
// was passed.
func (m *Manager) inherit(cfgs []settings.Config) (map[string]net.Listener, map[string]net.PacketConn, error) {
	files := activation.Files(true)
	if len(files) == 0 {
		return nil, nil, nil
	}
	byServer := map[string]settings.Config{}
	var servers []string
	for _, cfg := range cfgs {
		if _, custom := m.opts.custom[cfg.Name]; cfg.On && !custom {
			servers = append(servers, label(cfg.Name))
			byServer[label(cfg.Name)] = cfg
		}
	}
	type socket struct {
		fdName string
		l      net.Listener
		pc     net.PacketConn
	}
	var all []socket
	fail := func(format string, args ...any) (map[string]net.Listener, map[string]net.PacketConn, error) {
		for _, s := range all {
			closeSocket(s.l, s.pc)
		}
		return nil, nil, fmt.Errorf("cherrygo: socket activation: "+format, args...)
	}
	for i, f := range files {
		l, pc, err := fileSocket(f)
		_ = f.Close()
		if err != nil {
			for _, rest := range files[i+1:] {
				_ = rest.Close()
			}
			return fail("the socket named %q: %v", f.Name(), err)
		}
		all = append(all, socket{fdName: f.Name(), l: l, pc: pc})
	}
	names := make([]string, 0, len(all))
	for _, s := range all {
		if !slices.Contains(names, s.fdName) {
			names = append(names, s.fdName)
		}
	}
	slices.Sort(names)
	out, udp := map[string]net.Listener{}, map[string]net.PacketConn{}
	named := map[string]string{} // the name of each server's stream socket
	for _, s := range all {
		server := strings.ToLower(s.fdName)
		if unnamedFD.MatchString(s.fdName) {
			server = ""
		}
		if !slices.Contains(servers, label(server)) {
			return fail("the socket named %q matches no server that is on (servers: %s); name it with FileDescriptorName= or --fdname=", s.fdName, strings.Join(servers, ", "))
		}
		if s.pc != nil {
			cfg := byServer[label(server)]
			if !cfg.HTTP3 {
				return fail("the UDP socket named %q (%s) is for the %s server, whose %sHTTP3 is not true: only HTTP/3 serves a UDP socket", s.fdName, s.pc.LocalAddr(), label(server), cfg.Prefix())
			}
			if _, dup := udp[server]; dup {
				return fail("two UDP sockets for the %s server", label(server))
			}
			udp[server] = s.pc
			continue
		}
		if _, dup := out[server]; dup {
			return fail("two sockets for the %s server", label(server))
		}
		out[server], named[server] = s.l, s.fdName
	}
	for _, s := range servers {
		name := s
		if s == "default" {
			name = ""
		}
		if _, ok := out[name]; !ok {
			if _, ok := udp[name]; ok {
				return fail("no listening stream socket for the %s server, only a UDP one (sockets passed: %s)", s, strings.Join(names, ", "))
			}
			return fail("no socket for the %s server (sockets passed: %s)", s, strings.Join(names, ", "))
		}
	}
	for server, pc := range udp {
		ta, ok := out[server].Addr().(*net.TCPAddr)
		if !ok || ta.Port != pc.LocalAddr().(*net.UDPAddr).Port {
			return fail("the %s server's UDP socket %s and its stream socket %s %s (named %q) are not of the same port: HTTP/3 is served beside TCP on one port", label(server), pc.LocalAddr(), out[server].Addr().Network(), out[server].Addr(), named[server])
		}
	}
	m.bus.Subscribe(engine.ChannelExit, func(context.Context, any) (any, error) {
		for _, s := range all {
			closeSocket(s.l, s.pc)
		}
		return nil, nil
	}, engine.DefaultPriority)
	return out, udp, nil
}

func label(name string) string {
	if name == "" {
		return "default"
	}
	return name
}
