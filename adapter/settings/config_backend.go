package settings

import (
	"os/user"
	"strconv"
)

// backendProblems checks the protocol settings against each other: the
// backend's name, what it cannot be combined with (each problem names both
// variables), HTTP/3's needs, and the socket file's group.
func (c Config) backendProblems(prefix string) []*SettingError {
	var problems []*SettingError
	clash := func(key, value, accepted string) {
		problems = append(problems, &SettingError{Var: prefix + key, Value: value, Accepted: accepted})
	}
	tls := c.SSLCertificate != "" || c.SSLPrivateKey != ""
	switch c.Backend {
	case "", BackendHTTP:
	case BackendFastCGI, BackendH2C:
		if tls {
			clash("BACKEND", c.Backend, "http when "+prefix+"SSL_CERTIFICATE is set ("+c.Backend+" does not speak TLS: unset "+prefix+"SSL_CERTIFICATE and "+prefix+"SSL_PRIVATE_KEY, or use "+prefix+"BACKEND=http)")
		}
	default:
		clash("BACKEND", c.Backend, acceptedForm("BACKEND"))
	}
	if c.HTTP3 {
		switch {
		case c.Backend != "" && c.Backend != BackendHTTP:
			clash("HTTP3", "true", "true only with "+prefix+"BACKEND=http (HTTP/3 is HTTP over QUIC, not "+c.Backend+")")
		case !tls:
			clash("HTTP3", "true", "true only with "+prefix+"SSL_CERTIFICATE and "+prefix+"SSL_PRIVATE_KEY set (QUIC always speaks TLS 1.3)")
		case c.SocketFile != "":
			clash("HTTP3", "true", "true only on TCP: unset "+prefix+"SOCKET_FILE (QUIC needs a UDP port)")
		}
	}
	if c.SocketFileGroup != "" {
		if c.SocketFile == "" {
			clash("SOCKET_FILE_GROUP", c.SocketFileGroup, "set only with "+prefix+"SOCKET_FILE")
		} else if _, err := LookupGroup(c.SocketFileGroup); err != nil {
			problems = append(problems, &SettingError{Var: prefix + "SOCKET_FILE_GROUP", Value: c.SocketFileGroup, Accepted: acceptedForm("SOCKET_FILE_GROUP"), Err: err})
		}
	}
	return problems
}

// LookupGroup returns the numeric id of a group given by name or by id
// (SOCKET_FILE_GROUP's form); a number is taken as an id only when no
// group has that name.
func LookupGroup(group string) (int, error) {
	g, err := user.LookupGroup(group)
	if err != nil {
		if _, isNum := strconv.Atoi(group); isNum != nil {
			return 0, err
		}
		if g, err = user.LookupGroupId(group); err != nil {
			return 0, err
		}
	}
	return strconv.Atoi(g.Gid)
}
