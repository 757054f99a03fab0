//go:build !unix

package stdlib

import "net"

// readable cannot look at the socket here: every silent connection is
// closed once the grace is over.
func readable(net.Conn) (pending, known bool) { return false, false }

// queued cannot look at the accept queue here: the listener closes at once.
func queued(net.Listener) (waiting, known bool) { return false, false }
