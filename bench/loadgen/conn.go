package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// client is one keep-alive connection sending a fixed GET request.
type client struct {
	conn net.Conn
	br   *bufio.Reader
	req  []byte
}

func dial(o options) (*client, error) {
	conn, err := net.DialTimeout(o.network, o.addr, o.timeout)
	if err != nil {
		return nil, fmt.Errorf("dial %s %s: %w", o.network, o.addr, err)
	}
	req := fmt.Appendf(nil, "GET %s HTTP/1.1\r\nHost: localhost\r\nUser-Agent: loadgen\r\n\r\n", o.path)
	return &client{conn: conn, br: bufio.NewReaderSize(conn, 4096), req: req}, nil
}

// do sends one request and reads the whole answer, returning its status.
func (c *client) do(timeout time.Duration) (int, error) {
	if err := c.conn.SetDeadline(time.Now().Add(timeout)); err != nil {
		return 0, fmt.Errorf("deadline: %w", err)
	}
	if _, err := c.conn.Write(c.req); err != nil {
		return 0, fmt.Errorf("write: %w", err)
	}
	resp, err := http.ReadResponse(c.br, nil)
	if err != nil {
		return 0, fmt.Errorf("read: %w", err)
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil {
		return 0, fmt.Errorf("read body: %w", err)
	}
	if resp.Close {
		return resp.StatusCode, errClosed
	}
	return resp.StatusCode, nil
}

func (c *client) close() { _ = c.conn.Close() }

// errClosed says the server answered but will close the connection.
var errClosed = &closedError{}

type closedError struct{}

func (e *closedError) Error() string { return "server closed the connection" }
