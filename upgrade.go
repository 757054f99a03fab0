package cherrygo

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/seed-49a6713b/cherrygo/adapter"
	"github.com/seed-49a6713b/cherrygo/adapter/settings"
	"github.com/seed-49a6713b/cherrygo/engine"
	"github.com/seed-49a6713b/cherrygo/engine/plugins"
	"github.com/seed-49a6713b/cherrygo/stdlib"
)

// handedSocket is a listener the old process of an upgrade handed this one.
type handedSocket struct {
	l        net.Listener
	external bool // systemd's: served, never removed
}

// options returns the stdlib options that make a server serve its handed
// sockets.
func handedOptions(hs []handedSocket) []stdlib.Option {
	var opts []stdlib.Option
	for _, h := range hs {
		if h.external {
			opts = append(opts, stdlib.WithListener(h.l))
		} else {
			opts = append(opts, stdlib.WithOwnedListener(h.l))
		}
	}
	return opts
}

// takeHandoff turns the sockets of an upgrade's hand-over into listeners,
// by server name. A socket for a server that is no longer configured, or
// whose configured address changed, is closed (the server binds its new
// address); that is logged. The listeners are closed when the bus exits.
func (m *Manager) takeHandoff(h *plugins.Handoff, cfgs []settings.Config) (map[string][]handedSocket, error) {
	if h == nil {
		return nil, nil
	}
	m.log.Info("upgrade: taking over from the old process", "old_pid", h.Parent, "sockets", len(h.Sockets))
	byName := map[string]settings.Config{}
	for _, cfg := range cfgs {
		if cfg.On {
			byName[strings.ToLower(cfg.Name)] = cfg
		}
	}
	out := map[string][]handedSocket{}
	var all []net.Listener
	for i, s := range h.Sockets {
		l, err := net.FileListener(s.File)
		_ = s.File.Close()
		if err != nil {
			for _, l := range all {
				_ = l.Close()
			}
			for _, rest := range h.Sockets[i+1:] {
				_ = rest.File.Close()
			}
			return nil, fmt.Errorf("cherrygo: upgrade: the socket handed over for the %s server: %w", label(s.Name), err)
		}
		name := strings.ToLower(s.Name)
		cfg, configured := byName[name]
		_, custom := m.opts.httpServers[s.Name]
		switch {
		case custom, s.External:
		case !configured:
			m.log.Warn("upgrade: the socket handed over belongs to a server that is no longer on: closed", "server", label(s.Name), "addr", l.Addr().String())
			_ = l.Close()
			continue
		case !sameAddress(cfg, l.Addr()):
			m.log.Info("upgrade: the server's address changed: binding the new one", "server", label(s.Name), "old", l.Addr().String(), "new", cfg.Addr())
			_ = l.Close()
			continue
		}
		all = append(all, l)
		out[s.Name] = append(out[s.Name], handedSocket{l: l, external: s.External})
	}
	m.bus.Subscribe(engine.ChannelExit, func(context.Context, any) (any, error) {
		for _, l := range all {
			_ = l.Close()
		}
		return nil, nil
	}, engine.DefaultPriority)
	return out, nil
}

// sameAddress reports whether a socket bound at addr serves what cfg
// describes: the same socket file, or the same TCP port (any port for
// port 0; the host is not compared, as a name may resolve to the address).
func sameAddress(cfg settings.Config, addr net.Addr) bool {
	if cfg.SocketFile != "" {
		return addr.Network() == "unix" && addr.String() == cfg.SocketFile
	}
	if addr.Network() != "tcp" {
		return false
	}
	if cfg.Port == 0 {
		return true
	}
	_, port, err := net.SplitHostPort(addr.String())
	return err == nil && port == strconv.Itoa(cfg.Port)
}

// subscribeUpgrade lets an upgrade hand this process's sockets to its
// successor, and in the successor tells the old process when it serves.
func (m *Manager) subscribeUpgrade(h *plugins.Handoff) {
	(&plugins.Upgrader{Sockets: m.handoverSockets, HandedOver: m.handedOver, ReadyTimeout: m.opts.upgradeTimeout, StopTimeout: m.drain + time.Second}).Subscribe(m.bus)
	if h != nil {
		h.Subscribe(m.bus)
	}
}

// handoverSockets is every server's sockets, by server name, for the new
// process of an upgrade. A server that cannot hand its sockets over fails
// the upgrade, naming it.
func (m *Manager) handoverSockets() ([]plugins.Socket, error) {
	var out []plugins.Socket
	fail := func(err error) ([]plugins.Socket, error) {
		for _, s := range out {
			_ = s.File.Close()
		}
		return nil, err
	}
	for _, a := range m.adapters {
		ho, ok := a.Server().(adapter.Handover)
		if !ok || !m.handable[a.Name()] {
			return fail(fmt.Errorf("cherrygo: the %s server (%T) cannot hand its sockets to a new process: only the kit's own servers and WithHTTPServer's can", label(a.Name()), a.Server()))
		}
		files, err := ho.ListenerFiles()
		if err != nil {
			return fail(fmt.Errorf("cherrygo: the %s server: %w", label(a.Name()), err))
		}
		for _, f := range files {
			out = append(out, plugins.Socket{Name: a.Name(), File: f, External: m.external[a.Name()]})
		}
	}
	if len(out) == 0 {
		return nil, errors.New("cherrygo: no server is serving: nothing to hand over")
	}
	return out, nil
}

// handedOver lets every server leave its sockets to the new process.
func (m *Manager) handedOver() {
	for _, a := range m.adapters {
		if ho, ok := a.Server().(adapter.Handover); ok {
			ho.HandOver()
		}
	}
}

// rebuildHTTPServers gives WithHTTPServer's servers their handed sockets:
// the *http.Server is wrapped again, serving them.
func (m *Manager) rebuildHTTPServers(handed map[string][]handedSocket) {
	for name, srv := range m.opts.httpServers {
		if hs := handed[name]; len(hs) > 0 {
			m.opts.custom[name] = stdlib.NewHTTPServer(srv, handedOptions(hs)...)
			for _, h := range hs {
				m.external[name] = m.external[name] || h.external
			}
		}
	}
}

// httpServerOption records WithHTTPServer's *http.Server, so that the new
// process of an upgrade can wrap it around the sockets it was handed.
func httpServerOption(name string, srv *http.Server) Option {
	return func(o *options) {
		if o.httpServers == nil {
			o.httpServers = map[string]*http.Server{}
		}
		o.httpServers[name] = srv
	}
}

// closeHandoff closes the sockets of a hand-over that will not be served.
func closeHandoff(h *plugins.Handoff) {
	if h == nil {
		return
	}
	for _, s := range h.Sockets {
		_ = s.File.Close()
	}
}
