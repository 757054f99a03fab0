package main

import (
	"errors"
	"fmt"
	"time"
)

// stack is what one throughput measurement runs: the server and, for
// FastCGI, the nginx in front of it.
type stack struct {
	server *process
	front  *frontend // nil unless t.backend is set
}

// startStack starts t's server (and nginx for a FastCGI target) and
// returns once GET / answers 200 over t's transport: through nginx for
// FastCGI, over HTTP/3 for an HTTP/3 target.
func startStack(s settings, t target) (*stack, error) {
	if t.backend == "" && !t.h3 {
		p, err := startServer(t)
		if err != nil {
			return nil, err
		}
		return &stack{server: p}, nil
	}
	p, err := spawn(t.argv, t.env)
	if err != nil {
		return nil, err
	}
	st := &stack{server: p}
	deadline := time.Now().Add(30 * time.Second)
	if t.h3 {
		err = awaitFirstH3(t, p, deadline)
	} else {
		if st.front, err = startNginx(s, t); err != nil {
			_ = st.stop()
			return nil, err
		}
		var c *conn
		if c, err = awaitFirst200(t, p, deadline, st.front.p); err == nil {
			c.Close()
		} else if log := st.front.errors(); log != "" {
			err = fmt.Errorf("%w; nginx error log: %s", err, log)
		}
	}
	if err == nil {
		err = awaitStarted(t, p)
	}
	if err != nil {
		_ = st.stop()
		return nil, err
	}
	return st, nil
}

// ticks is the CPU time used so far, in clock ticks, by the server and
// by nginx (its master and workers; 0 without nginx).
type ticks struct{ server, front int64 }

func (st *stack) ticks() (ticks, error) {
	var t ticks
	var err error
	if t.server, err = cpuTicks(st.server.pid()); err != nil {
		return t, err
	}
	if st.front != nil {
		if t.front, err = treeCPUTicks(st.front.p.pid()); err != nil {
			return t, fmt.Errorf("nginx: %w", err)
		}
	}
	return t, nil
}

// stop ends nginx first (so it stops sending), then the server. Safe to
// call twice.
func (st *stack) stop() error {
	var errs []error
	if st.front != nil {
		errs = append(errs, st.front.stop())
	}
	errs = append(errs, st.server.stop())
	return errors.Join(errs...)
}
