package stdlib

import (
	"net"
	"os"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// armCounter is a net.Conn that counts the read deadlines given to it,
// over a net.Pipe end (whose deadlines run on the synctest clock).
type armCounter struct {
	net.Conn
	future, other atomic.Int32
}

func (c *armCounter) SetReadDeadline(t time.Time) error {
	if !t.IsZero() && t.After(time.Now()) {
		c.future.Add(1)
	} else {
		c.other.Add(1)
	}
	return c.Conn.SetReadDeadline(t)
}

// pipeConn returns a tracked connection over one end of a pipe, the
// counter below it, and the other end.
func pipeConn(t *testing.T) (*trackedConn, *armCounter, net.Conn) {
	a, b := net.Pipe()
	t.Cleanup(func() { a.Close(); b.Close() })
	counter := &armCounter{Conn: a}
	return newTracker().add(counter, 0), counter, b
}

// deliver writes to peer and checks that the read under way (done)
// returns it.
func deliver(t *testing.T, peer net.Conn, done <-chan error, why string) {
	t.Helper()
	_, err := peer.Write([]byte("GET / HTTP/1.1\r\n"))
	require.NoError(t, err)
	assert.NoError(t, <-done, why)
}

// readResult runs one read of c in a goroutine.
func readResult(c net.Conn) <-chan error {
	done := make(chan error, 1)
	go func() {
		_, err := c.Read(make([]byte, 16))
		done <- err
	}()
	return done
}

func TestReadDeadlineMovedLaterTimesOutAtTheLaterOne(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, counter, _ := pipeConn(t)
		start := time.Now()
		require.NoError(t, c.SetReadDeadline(start.Add(time.Second)))
		require.NoError(t, c.SetReadDeadline(start.Add(3*time.Second)))
		err := <-readResult(c)
		assert.ErrorIs(t, err, os.ErrDeadlineExceeded)
		assert.Equal(t, 3*time.Second, time.Since(start), "the read times out at the deadline asked for, not the timer's earlier one")
		assert.Zero(t, counter.future.Load(), "the socket never gets a future deadline")
	})
}

func TestReadDeadlineMovedEarlierTimesOutAtTheEarlierOne(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, _, _ := pipeConn(t)
		start := time.Now()
		require.NoError(t, c.SetReadDeadline(start.Add(3*time.Second)))
		require.NoError(t, c.SetReadDeadline(start.Add(time.Second)))
		assert.ErrorIs(t, <-readResult(c), os.ErrDeadlineExceeded)
		assert.Equal(t, time.Second, time.Since(start))
	})
}

func TestReadDeadlineClearedNeverTimesOut(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, _, peer := pipeConn(t)
		require.NoError(t, c.SetReadDeadline(time.Now().Add(time.Second)))
		require.NoError(t, c.SetReadDeadline(time.Time{}))
		done := readResult(c)
		advance(time.Minute) // the socket's deadline fired long ago
		synctest.Wait()
		select {
		case err := <-done:
			t.Fatalf("the read returned %v with no deadline asked for", err)
		default:
		}
		deliver(t, peer, done, "the read goes on until data comes")
	})
}

func TestReadDeadlineInThePastInterruptsAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, _, peer := pipeConn(t)
		require.NoError(t, c.SetReadDeadline(time.Now().Add(time.Hour)))
		done := readResult(c)
		synctest.Wait() // the read is blocked
		start := time.Now()
		require.NoError(t, c.SetReadDeadline(time.Unix(1, 0))) // net/http's aLongTimeAgo
		assert.ErrorIs(t, <-done, os.ErrDeadlineExceeded)
		assert.Zero(t, time.Since(start), "interrupted at once")

		// Cleared again, the next read waits for data rather than failing.
		require.NoError(t, c.SetReadDeadline(time.Time{}))
		deliver(t, peer, readResult(c), "the next read waits for data")
	})
}

// TestReadDeadlinesOfAKeepAliveRequest replays the read deadlines net/http
// sets for keep-alive requests with ReadHeaderTimeout and IdleTimeout:
// the socket only ever gets the deadline in the past that stops the
// background read, as without timeouts, and the header timeout still
// holds.
func TestReadDeadlinesOfAKeepAliveRequest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, counter, peer := pipeConn(t)
		const timeout = 10 * time.Second
		request := func() {
			require.NoError(t, c.SetReadDeadline(time.Time{})) // readRequest: no ReadTimeout
			require.NoError(t, c.SetReadDeadline(time.Time{})) // startBackgroundRead
			bg := readResult(c)
			synctest.Wait()
			require.NoError(t, c.SetReadDeadline(time.Unix(1, 0))) // abortPendingRead
			require.ErrorIs(t, <-bg, os.ErrDeadlineExceeded)
			require.NoError(t, c.SetReadDeadline(time.Time{}))
			require.NoError(t, c.SetReadDeadline(time.Now().Add(timeout))) // IdleTimeout
			next := readResult(c)                                          // Peek
			advance(time.Second)                                           // the client thinks
			deliver(t, peer, next, "the next request")
			require.NoError(t, c.SetReadDeadline(time.Now().Add(timeout))) // ReadHeaderTimeout
		}
		for range 25 { // 25 s: the timer fires and waits again twice
			request()
		}
		assert.Zero(t, counter.future.Load(), "no runtime timer of the socket's")
		assert.EqualValues(t, 50, counter.other.Load(), "the background read's interruption and its clearing")

		// The header timeout holds: a client that stops sending is cut
		// off once it is over, not before.
		start := time.Now()
		assert.ErrorIs(t, <-readResult(c), os.ErrDeadlineExceeded)
		assert.Equal(t, timeout, time.Since(start))
	})
}

func TestReadDeadlinePassedThenMovedLetsReadsGoOn(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, _, peer := pipeConn(t)
		require.NoError(t, c.SetReadDeadline(time.Now().Add(time.Second)))
		assert.ErrorIs(t, <-readResult(c), os.ErrDeadlineExceeded)
		assert.ErrorIs(t, <-readResult(c), os.ErrDeadlineExceeded, "reads fail while the deadline stays passed")

		require.NoError(t, c.SetReadDeadline(time.Now().Add(time.Second)))
		deliver(t, peer, readResult(c), "a new deadline lets reads go on")
	})
}

func TestClosedConnStopsItsReadTimer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, counter, _ := pipeConn(t)
		require.NoError(t, c.SetReadDeadline(time.Now().Add(time.Second)))
		require.NoError(t, c.Close())
		advance(2 * time.Second)
		synctest.Wait()
		assert.Zero(t, counter.other.Load(), "the timer of a closed connection does not fire")

		// Nor is it armed again by a deadline set after the close (a body
		// read after a stop forced the connection shut, say).
		require.NoError(t, c.SetReadDeadline(time.Now().Add(time.Second)))
		advance(2 * time.Second)
		synctest.Wait()
		assert.Zero(t, counter.other.Load(), "a deadline set after Close arms nothing")
	})
}

// BenchmarkReadDeadlinesPerRequest replays the read deadlines net/http
// sets for one keep-alive request on a real TCP connection: with
// ReadHeaderTimeout and IdleTimeout given to the socket itself (what the
// kit did before), through the tracked connection (what it does now), and
// without timeouts (raw net/http). ns/op is one request's deadline work,
// the clock reads net/http makes for the two timeouts included.
func BenchmarkReadDeadlinesPerRequest(b *testing.B) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(b, err)
	defer l.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := l.Accept()
		if err == nil {
			accepted <- c
		}
	}()
	client, err := net.Dial("tcp", l.Addr().String())
	require.NoError(b, err)
	defer client.Close()
	server := <-accepted
	defer server.Close()

	const timeout = 10 * time.Second
	past := time.Unix(1, 0)
	withTimeouts := func(c net.Conn) {
		c.SetReadDeadline(time.Time{})             // readRequest
		c.SetReadDeadline(time.Time{})             // startBackgroundRead
		c.SetReadDeadline(past)                    // abortPendingRead
		c.SetReadDeadline(time.Time{})             //
		c.SetReadDeadline(time.Now().Add(timeout)) // IdleTimeout
		c.SetReadDeadline(time.Now().Add(timeout)) // ReadHeaderTimeout
	}
	tracked := newTracker().add(server, 0)
	cases := []struct {
		name string
		run  func()
	}{
		{"socket-with-timeouts", func() { withTimeouts(server) }},
		{"tracked-with-timeouts", func() { withTimeouts(tracked) }},
		{"socket-without-timeouts", func() {
			for _, t := range []time.Time{{}, {}, past, {}, {}, {}} {
				server.SetReadDeadline(t)
			}
		}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				c.run()
			}
		})
	}
	tracked.stopReadTimer()
}

func TestReadDeadlineThatHasPassedFailsTheNextRead(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, _, peer := pipeConn(t)
		go peer.Write([]byte("x")) //nolint:errcheck // the read below must not take it
		synctest.Wait()
		require.NoError(t, c.SetReadDeadline(time.Now().Add(-time.Second)))
		_, err := c.Read(make([]byte, 1))
		assert.ErrorIs(t, err, os.ErrDeadlineExceeded, "fails at once, with data waiting")
	})
}
