package cherrygo

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/seed-49a6713b/cherrygo/adapter"
	"github.com/seed-49a6713b/cherrygo/adapter/settings"
	"github.com/seed-49a6713b/cherrygo/engine"
	"github.com/seed-49a6713b/cherrygo/engine/plugins"
	"github.com/seed-49a6713b/cherrygo/stdlib"
)

// handedSocket is a socket the old process of an upgrade handed this one:
// a listener, or the UDP socket of HTTP/3.
type handedSocket struct {
	l        net.Listener
	pc       net.PacketConn
	external bool // systemd's: served, never removed
}

// handedOptions returns the stdlib options that make a server serve its
// handed sockets; HTTP/3 on a handed UDP socket waits until h3After is
// closed (see oldProcessGone).
func handedOptions(hs []handedSocket, h3After <-chan struct{}) []stdlib.Option {
	var opts []stdlib.Option
	for _, h := range hs {
		switch {
		case h.pc != nil:
			opts = append(opts, stdlib.WithPacketConn(h.pc), stdlib.WithHTTP3After(h3After))
		case h.external:
			opts = append(opts, stdlib.WithListener(h.l))
		default:
			opts = append(opts, stdlib.WithOwnedListener(h.l))
		}
	}
	return opts
}

// takeHandoff turns the sockets of an upgrade's hand-over into listeners
// and UDP sockets, by server name. A socket for a server that is no longer
// configured, or whose configured address changed, is closed (the server
// binds its new address), as is a UDP socket for a server that no longer
// serves HTTP/3; that is logged. The sockets are closed when the bus
// exits. When a UDP socket is kept, the servers serve HTTP/3 on it only
// once the old process is gone (see oldProcessGone).
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
	var all []handedSocket
	udp := false
	for i, s := range h.Sockets {
		l, pc, err := fileSocket(s.File)
		_ = s.File.Close()
		if err != nil {
			for _, hs := range all {
				closeSocket(hs.l, hs.pc)
			}
			for _, rest := range h.Sockets[i+1:] {
				_ = rest.File.Close()
			}
			return nil, fmt.Errorf("cherrygo: upgrade: the socket handed over for the %s server: %w", label(s.Name), err)
		}
		addr := socketAddr(l, pc)
		name := strings.ToLower(s.Name)
		cfg, configured := byName[name]
		_, custom := m.opts.httpServers[s.Name]
		switch {
		case pc != nil && (custom || !configured || !cfg.HTTP3):
			m.log.Info("upgrade: the server no longer serves HTTP/3: its UDP socket is closed", "server", label(s.Name), "addr", addr.String())
			_ = pc.Close()
			continue
		case custom, s.External:
		case !configured:
			m.log.Warn("upgrade: the socket handed over belongs to a server that is no longer on: closed", "server", label(s.Name), "addr", addr.String())
			closeSocket(l, pc)
			continue
		case !sameAddress(cfg, addr):
			m.log.Info("upgrade: the server's address changed: binding the new one", "server", label(s.Name), "old", addr.String(), "new", cfg.Addr())
			closeSocket(l, pc)
			continue
		}
		hs := handedSocket{l: l, pc: pc, external: s.External}
		udp = udp || pc != nil
		all = append(all, hs)
		out[s.Name] = append(out[s.Name], hs)
	}
	m.bus.Subscribe(engine.ChannelExit, func(context.Context, any) (any, error) {
		for _, hs := range all {
			closeSocket(hs.l, hs.pc)
		}
		return nil, nil
	}, engine.DefaultPriority)
	if udp {
		m.h3After = m.oldProcessGone(h.Parent)
	}
	return out, nil
}

// parentPoll is how often a new process that holds a handed UDP socket
// looks whether the old process has exited.
const parentPoll = 25 * time.Millisecond

// oldProcessGone returns a channel closed once the old process of the
// upgrade (PID parent) has exited, from the bus's start on: until then it
// still reads the packets of its QUIC connections from the UDP socket it
// handed over, and this process must not read them (it would answer them
// with stateless resets), so its servers serve HTTP/3 only from then on.
// The new process is the old one's child, so the old one is gone when
// this process's parent PID is no longer parent (it was re-parented to
// init or to the service manager); that is polled every parentPoll, in a
// goroutine of the bus, which ends at exit.
func (m *Manager) oldProcessGone(parent int) <-chan struct{} {
	gone := make(chan struct{})
	var once sync.Once
	m.bus.Subscribe(engine.ChannelStart, engine.Func(func(context.Context) error {
		once.Do(func() {
			m.bus.Go(func(ctx context.Context) {
				t := time.NewTicker(parentPoll)
				defer t.Stop()
				for os.Getppid() == parent {
					select {
					case <-ctx.Done():
						return
					case <-t.C:
					}
				}
				m.log.Info("upgrade: the old process is gone: serving HTTP/3 too", "old_pid", parent)
				close(gone)
			})
		})
		return nil
	}), engine.DefaultPriority)
	return gone
}

// sameAddress reports whether a socket bound at addr serves what cfg
// describes: the same socket file, or the same TCP or UDP port (any port
// for port 0; the host is not compared, as a name may resolve to the
// address).
func sameAddress(cfg settings.Config, addr net.Addr) bool {
	if cfg.SocketFile != "" {
		return addr.Network() == "unix" && addr.String() == cfg.SocketFile
	}
	if addr.Network() != "tcp" && addr.Network() != "udp" {
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
			m.opts.custom[name] = stdlib.NewHTTPServer(srv, handedOptions(hs, nil)...)
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
