package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"
)

type result struct {
	requests     int
	statusErrors int
	errors       int
	elapsed      time.Duration
	p50, p99     time.Duration
}

func (r result) line() string {
	return fmt.Sprintf("BENCH requests=%d duration_us=%d errors=%d status_errors=%d p50_us=%d p99_us=%d",
		r.requests, r.elapsed.Microseconds(), r.errors, r.statusErrors, r.p50.Microseconds(), r.p99.Microseconds())
}

type worker struct {
	lat          []time.Duration
	errors       int
	statusErrors int
	firstErr     error
}

// load runs o.conns workers for o.dur and summarises what they saw.
func load(ctx context.Context, o options) (result, error) {
	if o.conns < 1 || o.dur <= 0 {
		return result{}, fmt.Errorf("need -c ≥ 1 and -d > 0")
	}
	ctx, cancel := context.WithTimeout(ctx, o.dur)
	defer cancel()
	workers := make([]worker, o.conns)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range workers {
		if o.proto == "h3" {
			wg.Go(func() { workers[i].runH3(ctx, o) })
		} else {
			wg.Go(func() { workers[i].run(ctx, o) })
		}
	}
	wg.Wait()
	res := result{elapsed: time.Since(start)}
	var all []time.Duration
	var firstErr error
	for i := range workers {
		w := &workers[i]
		all = append(all, w.lat...)
		res.errors += w.errors
		res.statusErrors += w.statusErrors
		if firstErr == nil {
			firstErr = w.firstErr
		}
	}
	res.requests = len(all)
	if res.requests == 0 {
		return res, fmt.Errorf("no request succeeded: %w", firstErr)
	}
	slices.Sort(all)
	res.p50 = percentile(all, 50)
	res.p99 = percentile(all, 99)
	return res, nil
}

func percentile(sorted []time.Duration, p float64) time.Duration {
	i := int(float64(len(sorted)-1) * p / 100)
	return sorted[i]
}

func (w *worker) fail(err error) {
	w.errors++
	if w.firstErr == nil {
		w.firstErr = err
	}
}

func (w *worker) run(ctx context.Context, o options) {
	w.lat = make([]time.Duration, 0, 1<<14)
	var c *client
	defer func() {
		if c != nil {
			c.close()
		}
	}()
	for ctx.Err() == nil {
		if c == nil {
			var err error
			if c, err = dial(o); err != nil {
				w.fail(err)
				// A refused connect returns at once: pace the retries.
				select {
				case <-ctx.Done():
				case <-time.After(time.Millisecond):
				}
				continue
			}
		}
		t := time.Now()
		status, err := c.do(o.timeout)
		switch {
		case err == nil || errors.Is(err, errClosed):
			// Answers that arrive after the deadline are not counted.
			if ctx.Err() == nil {
				w.lat = append(w.lat, time.Since(t))
				if status != 200 {
					w.statusErrors++
				}
			}
			if err != nil {
				c.close()
				c = nil
			}
		default:
			if ctx.Err() == nil {
				w.fail(err)
			}
			c.close()
			c = nil
		}
	}
}
