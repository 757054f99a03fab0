package settings

import (
	"errors"
	"fmt"
	"net/netip"
	"path/filepath"
	"strconv"
	"strings"
)

// namesVar lists the named servers, comma-separated.
const namesVar = "SERVER_NAMES"

// envPrefix is the prefix of a server's variables: SERVER_ for the default
// server (name ""), SERVER_<NAME>_ for a named one.
func envPrefix(name string) string {
	if name == "" {
		return "SERVER_"
	}
	return "SERVER_" + strings.ToUpper(name) + "_"
}

// validName reports whether name is a server name: letters, digits and
// underscores, at least one.
func validName(name string) bool {
	if name == "" {
		return false
	}
	for _, r := range name {
		if !isLetterOrDigit(r) && r != '_' {
			return false
		}
	}
	return true
}

// parseNames reads SERVER_NAMES: comma-separated names, blanks around them
// and empty entries ignored, case-insensitive. It returns the valid names in
// lower case, in order, and a problem for each bad or repeated entry.
func parseNames(environ map[string]string) ([]string, []*SettingError) {
	raw, ok := environ[namesVar]
	if !ok {
		return nil, nil
	}
	var (
		names    []string
		problems []*SettingError
		seen     = map[string]bool{}
	)
	for entry := range strings.SplitSeq(raw, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		name := strings.ToLower(entry)
		var cause error
		switch {
		case !validName(name):
			cause = fmt.Errorf("bad entry %q", entry)
		case seen[name]:
			cause = fmt.Errorf("%q listed twice", entry)
		}
		if cause != nil {
			problems = append(problems, &SettingError{Var: namesVar, Value: raw, Accepted: acceptedForm(namesVar), Err: cause})
			continue
		}
		seen[name] = true
		names = append(names, name)
	}
	return names, problems
}

// addressConflicts reports servers that are on and would bind an address an
// earlier server binds: the same unix socket path, or the same non-zero
// port on overlapping hosts. Host names are compared as written, not
// resolved.
func addressConflicts(cfgs []Config) []*SettingError {
	var problems []*SettingError
	for i, c := range cfgs {
		if !c.On {
			continue
		}
		for _, other := range cfgs[:i] {
			if !other.On || c.Network() != other.Network() {
				continue
			}
			switch {
			case c.Network() == "unix" && filepath.Clean(c.SocketFile) == filepath.Clean(other.SocketFile):
				problems = append(problems, &SettingError{
					Var:      envPrefix(c.Name) + "SOCKET_FILE",
					Value:    c.SocketFile,
					Accepted: "a socket path no other server uses, but " + serverLabel(other.Name) + " uses it",
					Err:      errAddressTaken,
				})
			case c.Network() == "tcp" && c.Port != 0 && c.Port == other.Port && hostsOverlap(c.Host, other.Host):
				problems = append(problems, &SettingError{
					Var:      envPrefix(c.Name) + "SOCKET_PORT",
					Value:    strconv.Itoa(c.Port),
					Accepted: fmt.Sprintf("a port no other server binds on this host, but %s binds %s", serverLabel(other.Name), other.Addr()),
					Err:      errAddressTaken,
				})
			default:
				continue
			}
			break
		}
	}
	return problems
}

// errAddressTaken is the cause of a clash between two servers' addresses.
var errAddressTaken = errors.New("address taken by another server")

// hostsOverlap reports whether binding the same port on a and b (both
// normalised) would clash: either is all interfaces (dual-stack), they are
// the same address, or one is 0.0.0.0 and the other an IPv4 address.
func hostsOverlap(a, b string) bool {
	if a == "" || b == "" || a == "::" || b == "::" || a == b {
		return true
	}
	x, errX := netip.ParseAddr(a)
	y, errY := netip.ParseAddr(b)
	if errX != nil || errY != nil {
		return false
	}
	x, y = x.Unmap(), y.Unmap()
	if x == y {
		return true
	}
	return x.Is4() && y.Is4() && (x.IsUnspecified() || y.IsUnspecified())
}

func serverLabel(name string) string {
	if name == "" {
		return "the default server"
	}
	return fmt.Sprintf("server %q", name)
}
