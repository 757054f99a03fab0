// Command gapprobe measures how long a server goes without answering: it
// sends GET to a URL once a millisecond (one request at a time, each on a
// fresh connection, so that a refused or reset connect is seen as such)
// for a given duration, and prints the longest wall-clock gap between two
// successful (200) responses and how many attempts failed.
//
// bench/upgrade/run.sh runs it beside wrk: wrk's Lua scripts have no wall
// clock of their own, and a probe with fresh connections also sees the
// window in which a restarting server refuses connections, which wrk's
// kept-alive connections may ride through.
//
// The output is one line of key=value pairs, then one line per kind of
// failure:
//
//	attempts=9120 ok=9120 failures=0 longest_gap_ms=12.345 longest_gap_at_s=4.321
//	failure kind="connect: connection refused" count=12 first_at_s=1.503
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sort"
	"strings"
	"syscall"
	"time"
)

func main() {
	url := flag.String("url", "", "the URL to GET")
	duration := flag.Duration("d", 10*time.Second, "how long to probe")
	every := flag.Duration("every", time.Millisecond, "the interval between the starts of two attempts")
	timeout := flag.Duration("timeout", 2*time.Second, "the limit for one attempt")
	flag.Parse()
	if *url == "" {
		fmt.Fprintln(os.Stderr, "gapprobe: -url is required")
		os.Exit(2)
	}

	client := &http.Client{
		Timeout: *timeout,
		Transport: &http.Transport{
			DisableKeepAlives: true,
			Proxy:             nil,
		},
	}

	type kind struct {
		count   int
		firstAt time.Duration
	}
	failures := map[string]*kind{}

	start := time.Now()
	end := start.Add(*duration)
	var (
		attempts, ok int
		lastOK       time.Time // zero until the first success
		longest      time.Duration
		longestAt    time.Duration // end of the longest gap, since start
	)
	ticker := time.NewTicker(*every)
	defer ticker.Stop()
	for time.Now().Before(end) {
		attempts++
		err := get(client, *url)
		now := time.Now()
		if err == nil {
			ok++
			if !lastOK.IsZero() {
				if gap := now.Sub(lastOK); gap > longest {
					longest, longestAt = gap, now.Sub(start)
				}
			}
			lastOK = now
		} else {
			k := classify(err)
			f := failures[k]
			if f == nil {
				f = &kind{firstAt: now.Sub(start)}
				failures[k] = f
			}
			f.count++
		}
		<-ticker.C
	}
	// A server that stopped answering for good leaves a gap up to the end.
	if !lastOK.IsZero() {
		if gap := time.Since(lastOK); gap > longest {
			longest, longestAt = gap, time.Since(start)
		}
	}

	fmt.Printf("attempts=%d ok=%d failures=%d longest_gap_ms=%.3f longest_gap_at_s=%.3f\n",
		attempts, ok, attempts-ok, float64(longest)/float64(time.Millisecond), longestAt.Seconds())
	kinds := make([]string, 0, len(failures))
	for k := range failures {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		fmt.Printf("failure kind=%q count=%d first_at_s=%.3f\n", k, failures[k].count, failures[k].firstAt.Seconds())
	}
	if ok == 0 {
		os.Exit(1)
	}
}

// get is one attempt: nil only for a 200 whose body was read in full.
func get(client *http.Client, url string) error {
	resp, err := client.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return fmt.Errorf("body: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	return nil
}

// classify names a failure by its kind, without the addresses and ports
// that make every error message different.
func classify(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connect: connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset by peer"
	case errors.Is(err, syscall.EPIPE):
		return "broken pipe"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "EOF before the response ended"
	case errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case strings.HasPrefix(err.Error(), "status "):
		return err.Error()
	}
	return err.Error()
}
