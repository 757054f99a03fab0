package stdlib

import (
	"errors"
	"fmt"
	"net"
	"os"
)

// errNoFile says that an inherited listener cannot be duplicated.
var errNoFile = errors.New("listener has no File method")

// duplicate returns a new listener on a duplicate of l's descriptor, so
// that closing it at Stop leaves l (and its socket) open for the next run.
func duplicate(l net.Listener) (net.Listener, error) {
	filer, ok := l.(interface{ File() (*os.File, error) })
	if !ok {
		return nil, fmt.Errorf("stdlib: inherited listener %s: %w", l.Addr(), errNoFile)
	}
	f, err := filer.File()
	if err != nil {
		return nil, fmt.Errorf("stdlib: inherited listener %s: %w", l.Addr(), err)
	}
	defer f.Close()
	dup, err := net.FileListener(f)
	if err != nil {
		return nil, fmt.Errorf("stdlib: inherited listener %s: %w", l.Addr(), err)
	}
	return dup, nil
}
