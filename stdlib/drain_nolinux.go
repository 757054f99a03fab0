//go:build !linux

package stdlib

import "net"

// stopHandshakes needs a Linux socket filter: elsewhere new connections
// keep completing until the listener closes.
func stopHandshakes(net.Listener) bool { return false }

// allowHandshakes has no filter to remove here.
func allowHandshakes(net.Listener) {}
