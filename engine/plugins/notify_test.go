package plugins

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/seed-49a6713b/cherrygo/engine"
)

// The messages the tests expect, spelt out.
const (
	sdReady    = "READY=1\nSTATUS=serving: test"
	sdPing     = "WATCHDOG=1"
	sdStopping = "STOPPING=1"
	sdExtend   = "EXTEND_TIMEOUT_USEC=10000000"
	sdReload   = `^RELOADING=1\nMONOTONIC_USEC=[0-9]+$`
)

// sdStatus is the Status of the SystemdNotify under test.
func sdStatus() string { return "serving: test" }

// sdSocket listens on a real unixgram socket in a temporary directory and
// makes it the test's NOTIFY_SOCKET, with WATCHDOG_USEC and WATCHDOG_PID
// cleared (a test sets them when it wants a watchdog). The socket is
// closed when the test ends.
func sdSocket(t *testing.T) *net.UnixConn {
	t.Helper()
	path := filepath.Join(t.TempDir(), "notify")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	t.Setenv("NOTIFY_SOCKET", path)
	t.Setenv("WATCHDOG_USEC", "")
	t.Setenv("WATCHDOG_PID", "")
	return conn
}

// sdDrain returns the datagrams waiting on conn, oldest first, without
// blocking. A unix datagram is queued on the receiving socket before the
// sender's write returns, so once synctest.Wait has returned every message
// sent so far is there, and nothing else is.
func sdDrain(t *testing.T, conn *net.UnixConn) []string {
	t.Helper()
	rc, err := conn.SyscallConn()
	require.NoError(t, err)
	var msgs []string
	buf := make([]byte, 4096)
	for {
		var (
			n    int
			rerr error
		)
		require.NoError(t, rc.Read(func(fd uintptr) bool {
			n, _, rerr = unix.Recvfrom(int(fd), buf, unix.MSG_DONTWAIT)
			return true // never wait for the poller
		}))
		if errors.Is(rerr, unix.EAGAIN) {
			return msgs
		}
		require.NoError(t, rerr)
		msgs = append(msgs, string(buf[:n]))
	}
}

// slowStop subscribes a stop listener that holds the stop, ignoring its
// context, until the returned release is called; it runs where the servers
// drain (engine.PriorityServerStop).
func slowStop(t *testing.T, b *engine.Bus) (release func()) {
	t.Helper()
	ch := make(chan struct{})
	t.Cleanup(b.Subscribe(engine.ChannelStop, engine.Func(func(context.Context) error {
		<-ch
		return nil
	}), engine.PriorityServerStop))
	return func() { close(ch) }
}

// goStop runs b.Stop in a goroutine and returns where its error arrives.
func goStop(ctx context.Context, b *engine.Bus) <-chan error {
	stopped := make(chan error, 1)
	go func() { stopped <- b.Stop(ctx) }()
	return stopped
}

// TestSystemdNotifySequence follows one life of the bus on synctest's fake
// clock, with WATCHDOG_USEC=2s (pings every second) and WATCHDOG_PID this
// process: READY=1, the pings, RELOADING=1 and READY=1 on graceful, no
// ping while a slow stop listener drains but STOPPING=1 and an
// EXTEND_TIMEOUT_USEC every 5 s, nothing once the stop is over, pings again
// after a new start, and nothing after the exit.
func TestSystemdNotifySequence(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		conn := sdSocket(t)
		t.Setenv("WATCHDOG_USEC", "2000000")
		t.Setenv("WATCHDOG_PID", strconv.Itoa(os.Getpid()))
		b := newBus(t)
		t.Cleanup((&SystemdNotify{Status: sdStatus}).Subscribe(b))
		ctx := t.Context()

		advance(5 * time.Second)
		assert.Empty(t, sdDrain(t, conn), "nothing before the start")

		require.NoError(t, b.Start(ctx))
		assert.Equal(t, []string{sdReady}, sdDrain(t, conn))
		advance(999 * time.Millisecond)
		assert.Empty(t, sdDrain(t, conn), "the first ping comes WATCHDOG_USEC/2 after READY=1")
		advance(time.Millisecond)
		assert.Equal(t, []string{sdPing}, sdDrain(t, conn))
		advance(time.Second)
		assert.Equal(t, []string{sdPing}, sdDrain(t, conn))

		require.NoError(t, b.Graceful(ctx))
		msgs := sdDrain(t, conn)
		require.Len(t, msgs, 2, "%q", msgs)
		assert.Regexp(t, sdReload, msgs[0])
		assert.Equal(t, sdReady, msgs[1])
		advance(time.Second)
		assert.Equal(t, []string{sdPing}, sdDrain(t, conn), "pings go on after a graceful reload")

		release := slowStop(t, b)
		stopped := goStop(ctx, b)
		synctest.Wait()
		assert.Equal(t, []string{sdStopping, sdExtend}, sdDrain(t, conn))
		for i := range 3 {
			advance(extendPeriod)
			assert.Equal(t, []string{sdExtend}, sdDrain(t, conn), "extension %d, and no ping while stopping", i+2)
		}
		release()
		require.NoError(t, receive(t, stopped, "the stop"))
		advance(time.Minute)
		assert.Empty(t, sdDrain(t, conn), "nothing once the stop is over")

		require.NoError(t, b.Start(ctx))
		assert.Equal(t, []string{sdReady}, sdDrain(t, conn))
		advance(time.Second)
		assert.Equal(t, []string{sdPing}, sdDrain(t, conn), "pings resume after a new start")

		// The exit drains slowly too; its extensions keep a schedule of
		// their own, 5 s after its STOPPING=1 (the first stop's would
		// have come 4 s after).
		release = slowStop(t, b)
		exited := make(chan error, 1)
		go func() { exited <- b.Exit(ctx) }()
		synctest.Wait()
		assert.Equal(t, []string{sdStopping, sdExtend}, sdDrain(t, conn))
		advance(extendPeriod - time.Millisecond)
		assert.Empty(t, sdDrain(t, conn), "an extension off the exit's schedule")
		advance(time.Millisecond)
		assert.Equal(t, []string{sdExtend}, sdDrain(t, conn))
		release()
		require.NoError(t, receive(t, exited, "the exit"))
		advance(time.Minute)
		assert.Empty(t, sdDrain(t, conn), "nothing after the exit")
	})
}

// TestSystemdNotifyExtendBoundedByStopTimeout: a stop listener that hangs
// is extended for the bus's stop timeout, not for ever, so that systemd's
// TimeoutStopSec still ends it.
func TestSystemdNotifyExtendBoundedByStopTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		conn := sdSocket(t)
		b := newBus(t, engine.WithStopTimeout(12*time.Second))
		t.Cleanup((&SystemdNotify{Status: sdStatus}).Subscribe(b))
		ctx := t.Context()
		require.NoError(t, b.Start(ctx))
		assert.Equal(t, []string{sdReady}, sdDrain(t, conn))

		release := slowStop(t, b)
		stopped := goStop(ctx, b)
		synctest.Wait()
		assert.Equal(t, []string{sdStopping, sdExtend}, sdDrain(t, conn))
		advance(extendPeriod)
		assert.Equal(t, []string{sdExtend}, sdDrain(t, conn), "at 5 s")
		advance(extendPeriod)
		assert.Equal(t, []string{sdExtend}, sdDrain(t, conn), "at 10 s")
		advance(extendPeriod)
		assert.Empty(t, sdDrain(t, conn), "none at 15 s, past the 12 s stop timeout")
		advance(time.Minute)
		assert.Empty(t, sdDrain(t, conn))

		release()
		require.NoError(t, receive(t, stopped, "the stop"))
		synctest.Wait()
		assert.Empty(t, sdDrain(t, conn))
	})
}

// TestSystemdNotifyWatchdogOtherPID: WATCHDOG_PID names another process,
// so this one sends no pings (daemon.SdWatchdogEnabled's rule).
func TestSystemdNotifyWatchdogOtherPID(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		conn := sdSocket(t)
		t.Setenv("WATCHDOG_USEC", "2000000")
		t.Setenv("WATCHDOG_PID", strconv.Itoa(os.Getpid()+1))
		b := newBus(t)
		t.Cleanup((&SystemdNotify{Status: sdStatus}).Subscribe(b))
		ctx := t.Context()

		require.NoError(t, b.Start(ctx))
		assert.Equal(t, []string{sdReady}, sdDrain(t, conn))
		advance(10 * time.Second)
		assert.Empty(t, sdDrain(t, conn), "a ping for another process's watchdog")
		require.NoError(t, b.Graceful(ctx))
		assert.Len(t, sdDrain(t, conn), 2)
		advance(10 * time.Second)
		assert.Empty(t, sdDrain(t, conn))
	})
}

// TestSystemdNotifyBadWatchdogUsec: a WATCHDOG_USEC that is not a number
// is logged, and the other messages still go out.
func TestSystemdNotifyBadWatchdogUsec(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		conn := sdSocket(t)
		t.Setenv("WATCHDOG_USEC", "soon")
		log, buf := newLogger()
		b := newBus(t, engine.WithLogger(log))
		t.Cleanup((&SystemdNotify{Status: sdStatus}).Subscribe(b))
		assert.Contains(t, buf.String(), "no watchdog pings")

		require.NoError(t, b.Start(t.Context()))
		assert.Equal(t, []string{sdReady}, sdDrain(t, conn))
		advance(10 * time.Second)
		assert.Empty(t, sdDrain(t, conn))
	})
}

// TestSystemdNotifyWithoutSocket: without NOTIFY_SOCKET nothing is
// subscribed and nothing is sent, WATCHDOG_USEC or not.
func TestSystemdNotifyWithoutSocket(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		conn := sdSocket(t)
		t.Setenv("NOTIFY_SOCKET", "")
		t.Setenv("WATCHDOG_USEC", "2000000")
		b := newBus(t)
		t.Cleanup((&SystemdNotify{Status: sdStatus}).Subscribe(b))
		for _, ch := range []string{engine.ChannelStart, engine.ChannelGraceful, engine.ChannelStop} {
			assert.Zero(t, b.Listeners(ch), ch)
		}
		ctx := t.Context()

		require.NoError(t, b.Start(ctx))
		advance(10 * time.Second)
		require.NoError(t, b.Graceful(ctx))
		require.NoError(t, b.Stop(ctx))
		advance(time.Minute)
		assert.Empty(t, sdDrain(t, conn))
	})
}

// TestSystemdNotifyNoPingWhileStarting: a start listener after READY=1
// holds the start; the bus is not Started yet, so no ping goes out until
// it is.
func TestSystemdNotifyNoPingWhileStarting(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		conn := sdSocket(t)
		t.Setenv("WATCHDOG_USEC", "2000000")
		b := newBus(t)
		t.Cleanup((&SystemdNotify{Status: sdStatus}).Subscribe(b))
		ctx := t.Context()
		hold := make(chan struct{})
		t.Cleanup(b.Subscribe(engine.ChannelStart, engine.Func(func(context.Context) error {
			<-hold
			return nil
		}), priorityNotifyLast+1))

		started := make(chan error, 1)
		go func() { started <- b.Start(ctx) }()
		synctest.Wait()
		assert.Equal(t, []string{sdReady}, sdDrain(t, conn))
		advance(3500 * time.Millisecond)
		assert.Empty(t, sdDrain(t, conn), "a ping while the bus is still starting")
		close(hold)
		require.NoError(t, receive(t, started, "the start"))
		advance(500 * time.Millisecond)
		assert.Equal(t, []string{sdPing}, sdDrain(t, conn), "the first tick once started")
	})
}

// TestSystemdNotifyFailedStartStopsWatchdog: a start listener after
// READY=1 fails, the roll-back stops the pings, and the next start pings
// on a ticker of its own (half a second after it, the old one would have
// ticked).
func TestSystemdNotifyFailedStartStopsWatchdog(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		conn := sdSocket(t)
		t.Setenv("WATCHDOG_USEC", "2000000")
		b := newBus(t)
		t.Cleanup((&SystemdNotify{Status: sdStatus}).Subscribe(b))
		ctx := t.Context()
		unsubFail := b.Subscribe(engine.ChannelStart, engine.Func(func(context.Context) error {
			return errors.New("no")
		}), priorityNotifyLast+1)

		require.Error(t, b.Start(ctx))
		sdDrain(t, conn) // READY=1 went out before the failure
		advance(10 * time.Second)
		assert.Empty(t, sdDrain(t, conn), "a ping after a failed start")

		unsubFail()
		advance(500 * time.Millisecond)
		require.NoError(t, b.Start(ctx))
		assert.Equal(t, []string{sdReady}, sdDrain(t, conn))
		advance(500 * time.Millisecond)
		assert.Empty(t, sdDrain(t, conn), "the failed start's ticker still runs")
		advance(500 * time.Millisecond)
		assert.Equal(t, []string{sdPing}, sdDrain(t, conn))
	})
}

// TestSystemdNotifyUnsubscribe: unsubscribing a started bus stops the
// pings at once and removes every listener; the returned function is
// idempotent.
func TestSystemdNotifyUnsubscribe(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		conn := sdSocket(t)
		t.Setenv("WATCHDOG_USEC", "2000000")
		b := newBus(t)
		unsubscribe := (&SystemdNotify{Status: sdStatus}).Subscribe(b)
		t.Cleanup(unsubscribe)
		ctx := t.Context()
		require.NoError(t, b.Start(ctx))
		advance(time.Second)
		assert.Equal(t, []string{sdReady, sdPing}, sdDrain(t, conn))

		unsubscribe()
		unsubscribe()
		for _, ch := range []string{engine.ChannelStart, engine.ChannelGraceful, engine.ChannelStop} {
			assert.Zero(t, b.Listeners(ch), ch)
		}
		advance(10 * time.Second)
		require.NoError(t, b.Stop(ctx))
		synctest.Wait()
		assert.Empty(t, sdDrain(t, conn))
	})
}

// TestSystemdNotifyRealClock runs the same protocol on the real clock with
// a 20 ms watchdog (pings every 10 ms), reading the socket as systemd
// would, from a goroutine of its own. After the exit the test sends a
// message of its own: whatever arrives before it was sent before it, so
// the pings may fall anywhere between READY=1 and STOPPING=1, but nowhere
// else, and nothing follows the exit.
func TestSystemdNotifyRealClock(t *testing.T) {
	conn := sdSocket(t)
	t.Setenv("WATCHDOG_USEC", "20000")
	msgs := make(chan string, 1024)
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		defer close(msgs)
		buf := make([]byte, 4096)
		for {
			n, _, err := conn.ReadFromUnix(buf)
			if err != nil {
				return
			}
			msgs <- string(buf[:n])
		}
	}()
	t.Cleanup(func() { conn.Close(); <-readerDone }) // before sdSocket's own Close
	next := func(what string) string {
		t.Helper()
		m := receive(t, msgs, what) // "" once the reader is gone: no message is empty
		require.NotEmpty(t, m, "the socket closed before %s", what)
		return m
	}

	b := newBus(t)
	t.Cleanup((&SystemdNotify{Status: sdStatus}).Subscribe(b))
	ctx := testCtx(t)
	require.NoError(t, b.Start(ctx))
	assert.Equal(t, sdReady, next("READY=1"))
	assert.Equal(t, sdPing, next("the first ping"))
	assert.Equal(t, sdPing, next("the second ping"))

	require.NoError(t, b.Graceful(ctx))
	release := slowStop(t, b)
	stopped := make(chan error, 1)
	go func() { stopped <- b.Exit(ctx) }()
	var rest []string
	for m := next("STOPPING=1"); m != sdStopping; m = next("STOPPING=1") {
		rest = append(rest, m)
	}
	assert.Equal(t, sdExtend, next("EXTEND_TIMEOUT_USEC"), "the first extension comes with the stop")
	release()
	require.NoError(t, receive(t, stopped, "the exit"))
	require.NoError(t, b.Block(ctx))

	const sentinel = "X_TEST=end"
	sent, err := conn.WriteToUnix([]byte(sentinel), conn.LocalAddr().(*net.UnixAddr))
	require.NoError(t, err)
	require.Equal(t, len(sentinel), sent)
	assert.Equal(t, sentinel, next("the test's own message"), "a message after the exit")

	var other []string
	for _, m := range rest {
		if m != sdPing {
			other = append(other, m)
		}
	}
	require.Len(t, other, 2, "between the pings: %q", rest)
	assert.Regexp(t, sdReload, other[0])
	assert.Equal(t, sdReady, other[1])
}

// A shutdown delay (ChannelStopRequested) says STOPPING=1 at once, with a
// status naming the delay and an extension covering it; the stop after it
// says STOPPING=1 again as its drain begins.
func TestSystemdNotifyShutdownDelay(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		conn := sdSocket(t)
		b := newBus(t)
		t.Cleanup((&SystemdNotify{Status: sdStatus}).Subscribe(b))
		require.NoError(t, b.Start(t.Context()))
		synctest.Wait()
		require.Equal(t, []string{"READY=1\nSTATUS=serving: test"}, sdDrain(t, conn))

		sigs, _ := signalSetup(t, b, &SignalHandler{Delay: 3 * time.Second})
		sigs <- syscall.SIGTERM
		synctest.Wait()
		assert.Equal(t, []string{"STOPPING=1\nSTATUS=stopping: serving on for the shutdown delay (3s)\nEXTEND_TIMEOUT_USEC=13000000"}, sdDrain(t, conn))
		require.NoError(t, b.Block(t.Context()))
		msgs := sdDrain(t, conn)
		require.NotEmpty(t, msgs)
		assert.Equal(t, "STOPPING=1", msgs[0], "the drain after the delay")
	})
}
