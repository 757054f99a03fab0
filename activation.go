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
// server, one named like a server to that server. The LISTEN_* variables
// are unset, so children do not inherit them. A socket that matches no
// server that is on, a server with no socket, and two sockets for one
// server are errors naming both sides. It returns nil when nothing was
// passed.
func (m *Manager) inherit(cfgs []settings.Config) (map[string]net.Listener, error) {
	byName, err := activation.ListenersWithNames()
	if err != nil {
		return nil, fmt.Errorf("cherrygo: socket activation: %w", err)
	}
	if len(byName) == 0 {
		return nil, nil
	}
	var servers []string
	for _, cfg := range cfgs {
		if _, custom := m.opts.custom[cfg.Name]; cfg.On && !custom {
			servers = append(servers, label(cfg.Name))
		}
	}
	out := map[string]net.Listener{}
	var all []net.Listener
	fail := func(format string, args ...any) (map[string]net.Listener, error) {
		for _, l := range all {
			_ = l.Close()
		}
		return nil, fmt.Errorf("cherrygo: socket activation: "+format, args...)
	}
	for _, ls := range byName {
		for _, l := range ls {
			if l != nil {
				all = append(all, l)
			}
		}
	}
	names := make([]string, 0, len(byName))
	for n := range byName {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, fdName := range names {
		server := strings.ToLower(fdName)
		if unnamedFD.MatchString(fdName) {
			server = ""
		}
		if !slices.Contains(servers, label(server)) {
			return fail("the socket named %q matches no server that is on (servers: %s); name it with FileDescriptorName= or --fdname=", fdName, strings.Join(servers, ", "))
		}
		for _, l := range byName[fdName] {
			if l == nil {
				return fail("the socket named %q is not a listening stream socket", fdName)
			}
			if _, dup := out[server]; dup {
				return fail("two sockets for the %s server", label(server))
			}
			out[server] = l
		}
	}
	for _, s := range servers {
		name := s
		if s == "default" {
			name = ""
		}
		if _, ok := out[name]; !ok {
			return fail("no socket for the %s server (sockets passed: %s)", s, strings.Join(names, ", "))
		}
	}
	m.bus.Subscribe(engine.ChannelExit, func(context.Context, any) (any, error) {
		for _, l := range all {
			_ = l.Close()
		}
		return nil, nil
	}, engine.DefaultPriority)
	return out, nil
}

func label(name string) string {
	if name == "" {
		return "default"
	}
	return name
}
