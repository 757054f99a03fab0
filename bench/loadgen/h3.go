package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/quic-go/quic-go"
	"github.com/quic-go/quic-go/http3"
)

// h3Client is one QUIC connection (its own http3.Transport, so nothing is
// shared with the other workers) sending GET requests one at a time.
type h3Client struct {
	tr  *http3.Transport
	req *http.Request
}

func newH3Client(o options) (*h3Client, error) {
	req, err := http.NewRequest(http.MethodGet, "https://"+o.addr+o.path, nil)
	if err != nil {
		return nil, fmt.Errorf("request: %w", err)
	}
	req.Header.Set("User-Agent", "loadgen")
	tr := &http3.Transport{
		TLSClientConfig: &tls.Config{
			InsecureSkipVerify: true, // the benchmark's throw-away certificate
		},
		QUICConfig: &quic.Config{HandshakeIdleTimeout: o.timeout, MaxIdleTimeout: o.timeout},
	}
	return &h3Client{tr: tr, req: req}, nil
}

// do sends one request and reads the whole answer, returning its status.
// The first request on a client dials its QUIC connection; after a failed
// one the transport dials again on the next.
func (c *h3Client) do(ctx context.Context, timeout time.Duration) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	resp, err := c.tr.RoundTrip(c.req.WithContext(ctx))
	if err != nil {
		return 0, fmt.Errorf("h3: %w", err)
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil {
		return 0, fmt.Errorf("h3 read body: %w", err)
	}
	return resp.StatusCode, nil
}

func (c *h3Client) close() { _ = c.tr.Close() }

// runH3 is run's HTTP/3 twin: one QUIC connection, one request at a time,
// until ctx is done.
func (w *worker) runH3(ctx context.Context, o options) {
	w.lat = make([]time.Duration, 0, 1<<14)
	c, err := newH3Client(o)
	if err != nil {
		w.fail(err)
		return
	}
	defer c.close()
	for ctx.Err() == nil {
		t := time.Now()
		status, err := c.do(ctx, o.timeout)
		if ctx.Err() != nil {
			return // answers after the deadline are not counted
		}
		if err != nil {
			w.fail(err)
			// A refused handshake can fail fast: pace the retries.
			select {
			case <-ctx.Done():
			case <-time.After(time.Millisecond):
			}
			continue
		}
		w.lat = append(w.lat, time.Since(t))
		if status != http.StatusOK {
			w.statusErrors++
		}
	}
}
