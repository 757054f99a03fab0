package cherrygo

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/seed-49a6713b/cherrygo/adapter/settings"
	"github.com/seed-49a6713b/cherrygo/engine"
)

// Quickstart serves tree on the servers the SERVER_* variables describe
// until a signal or a failure ends it, and returns the exit code for main:
//
//	0    stopped gracefully: SIGTERM, SIGINT or ctx cancelled, also when
//	     the drain had to cut requests off once SHUTDOWN_TIMEOUT passed
//	     (that is logged as a warning saying how many)
//	1    a server could not start (the message names the address) or died
//	2    a bad setting (every problem is printed)
//	130  a second SIGINT while the first stop is under way
//
// SIGHUP and SIGUSR1 reload gracefully (the bus's graceful channel).
//
// It is CherryPy's cherrypy.quickstart: New with opts, then Run, with the
// error printed to stderr (see WithStderr) and turned into the code.
func Quickstart(ctx context.Context, tree *engine.Tree, opts ...Option) int {
	m, err := New(tree, opts...)
	if err != nil {
		return fail(opts, err)
	}
	if err := m.Run(ctx); err != nil {
		return fail(opts, err)
	}
	return m.ExitCode()
}

func fail(opts []Option, err error) int {
	o := options{stderr: os.Stderr}
	for _, f := range opts {
		f(&o)
	}
	fmt.Fprintf(o.stderr, "%s: %v\n", filepath.Base(os.Args[0]), err)
	return ExitCode(err)
}

// ExitCode maps the error a main got from the kit to a process exit code:
// 0 for nil, 2 for a configuration error (*settings.ConfigError), 1 for
// anything else (a bind failure, a server that died).
func ExitCode(err error) int {
	var ce *settings.ConfigError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ce):
		return 2
	default:
		return 1
	}
}
