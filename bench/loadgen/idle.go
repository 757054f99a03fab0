package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// dialParallel bounds how many connections idle mode opens at once.
const dialParallel = 64

// holdIdle opens o.idle connections, one request each, reports READY and
// holds them until stdin closes, a signal arrives or o.timeout passes
// after READY.
func holdIdle(ctx context.Context, o options) error {
	if o.idle < 1 {
		return fmt.Errorf("need -n ≥ 1")
	}
	clients := make([]*client, o.idle)
	errs := make([]error, o.idle)
	sem := make(chan struct{}, dialParallel)
	var wg sync.WaitGroup
	for i := range clients {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			c, err := dial(o)
			if err == nil {
				var status int
				status, err = c.do(o.timeout)
				if err == nil && status != 200 {
					err = fmt.Errorf("status %d", status)
				}
				if err != nil {
					c.close()
				} else {
					// Idle from now on: no deadline while we hold it.
					_ = c.conn.SetDeadline(time.Time{})
				}
			}
			if err != nil {
				errs[i] = err
				return
			}
			clients[i] = c
		})
	}
	wg.Wait()
	open, failed := 0, 0
	var firstErr error
	for i, c := range clients {
		if c != nil {
			open++
			continue
		}
		failed++
		if firstErr == nil {
			firstErr = errs[i]
		}
	}
	defer func() {
		for _, c := range clients {
			if c != nil {
				c.close()
			}
		}
	}()
	if firstErr != nil {
		fmt.Fprintln(os.Stderr, "loadgen: first failure:", firstErr)
	}
	fmt.Printf("READY open=%d failed=%d\n", open, failed)

	stdinClosed := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		close(stdinClosed)
	}()
	select {
	case <-stdinClosed:
	case <-ctx.Done():
	case <-time.After(o.timeout):
	}
	return nil
}
