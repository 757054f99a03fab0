package stdlib

import (
	"io/fs"
	"net"
	"strconv"
	"syscall"
)

// socketSpec is one socket to bind and listen on.
type socketSpec struct {
	family  int // syscall.AF_INET, AF_INET6 or AF_UNIX
	ip      net.IP
	zone    string
	port    int
	v6only  bool        // AF_INET6: refuse IPv4-mapped connections
	path    string      // AF_UNIX
	mode    fs.FileMode // AF_UNIX: the file's mode, set before listen; 0 keeps the umask's
	gid     int         // AF_UNIX: the file's group, set before listen; -1 keeps the process's
	backlog int
}

// addr is the address the spec names, for error messages and logs.
func (s socketSpec) addr() net.Addr {
	if s.family == syscall.AF_UNIX {
		return &net.UnixAddr{Net: "unix", Name: s.path}
	}
	return &net.TCPAddr{IP: s.ip, Port: s.port, Zone: s.zone}
}

func (s socketSpec) network() string {
	if s.family == syscall.AF_UNIX {
		return "unix"
	}
	return "tcp"
}

// listenError names the address a bind failed on, as net.Listen does
// ("listen tcp 127.0.0.1:8080: bind: address already in use"), keeping the
// errno reachable by errors.Is.
func listenError(s socketSpec, err error) error {
	return &net.OpError{Op: "listen", Net: s.network(), Addr: s.addr(), Err: err}
}

// zoneIndex turns an IPv6 zone ("eth0" or "2") into an interface index.
func zoneIndex(zone string) uint32 {
	if zone == "" {
		return 0
	}
	if ifi, err := net.InterfaceByName(zone); err == nil {
		return uint32(ifi.Index)
	}
	if n, err := strconv.ParseUint(zone, 10, 32); err == nil {
		return uint32(n)
	}
	return 0
}
