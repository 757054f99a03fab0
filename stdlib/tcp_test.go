package stdlib

import (
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-49a6713b/cherrygo/adapter/settings"
)

func TestBindErrorNamesAddress(t *testing.T) {
	taken, err := net.Listen("tcp4", "127.0.0.1:0")
	require.NoError(t, err)
	defer taken.Close()
	port := taken.Addr().(*net.TCPAddr).Port

	cfg := testConfig()
	cfg.Port = port
	srv, err := New(cfg, hello)
	require.NoError(t, err)
	err = srv.Start()
	require.Error(t, err)
	assert.True(t, errors.Is(err, syscall.EADDRINUSE), "errors.Is(%v, EADDRINUSE)", err)
	assert.Equal(t, "stdlib: listen tcp 127.0.0.1:"+strconv.Itoa(port)+": bind: address already in use", err.Error())
	assert.Nil(t, srv.Addr())
	assert.NoError(t, srv.Stop(t.Context()))
}

func TestHostForms(t *testing.T) {
	v6 := ipv6Loopback()
	tests := []struct {
		host       string
		wantBound  string // the bound address's host
		via4, via6 bool   // reachable through 127.0.0.1 / ::1
	}{
		{host: "", wantBound: "::", via4: true, via6: true},
		{host: "*", wantBound: "::", via4: true, via6: true},
		{host: "::", wantBound: "::", via4: true, via6: true},
		{host: "[::]", wantBound: "::", via4: true, via6: true},
		{host: "0.0.0.0", wantBound: "0.0.0.0", via4: true},
		{host: "127.0.0.1", wantBound: "127.0.0.1", via4: true},
		{host: "::1", wantBound: "::1", via6: true},
		{host: "[::1]", wantBound: "::1", via6: true},
		{host: "localhost", wantBound: "", via4: true},
	}
	for _, tt := range tests {
		t.Run("host="+tt.host, func(t *testing.T) {
			if !v6 && (tt.wantBound == "::1") {
				t.Skip("no IPv6 loopback here")
			}
			cfg := testConfig()
			cfg.Host = tt.host
			srv := newTestServer(t, cfg, hello)
			addr := srv.Addr().(*net.TCPAddr)
			if tt.wantBound != "" {
				assert.Equal(t, tt.wantBound, addr.IP.String())
			}
			port := strconv.Itoa(addr.Port)
			c := newClient(t, nil)
			check := func(host string, want bool) {
				resp, err := c.Get("http://" + net.JoinHostPort(host, port) + "/")
				if !want {
					if err == nil {
						_ = resp.Body.Close()
					}
					assert.Error(t, err, "reached %s through %s", tt.host, host)
					return
				}
				require.NoError(t, err, "through %s", host)
				body, _ := io.ReadAll(resp.Body)
				_ = resp.Body.Close()
				assert.Equal(t, "hello", string(body))
			}
			check("127.0.0.1", tt.via4)
			if v6 && tt.host != "localhost" {
				check("::1", tt.via6)
			}
		})
	}
}

func TestHostNameBindsEachAddress(t *testing.T) {
	// A host name's addresses, as planTCP would resolve them: with port 0
	// the second address must reuse the port the first one got.
	second := net.ParseIP("127.0.0.2")
	if ipv6Loopback() {
		second = net.IPv6loopback
	}
	plan := tcpPlan{resolved: true, specs: []socketSpec{
		{family: syscall.AF_INET, ip: net.ParseIP("127.0.0.1").To4(), backlog: 16},
		{family: syscall.AF_INET6, ip: second, v6only: true, backlog: 16},
	}}
	if second.To4() != nil {
		plan.specs[1].family, plan.specs[1].ip = syscall.AF_INET, second.To4()
	}
	ls, err := bindTCP(plan, testLogger(t))
	require.NoError(t, err)
	defer closeListeners(ls)
	require.Len(t, ls, 2)
	p0, p1 := ls[0].Addr().(*net.TCPAddr).Port, ls[1].Addr().(*net.TCPAddr).Port
	assert.Equal(t, p0, p1, "the second address reuses the first one's port")
	assert.NotZero(t, p0)
}

func TestHostNameSkipsUnbindableAddress(t *testing.T) {
	// 192.0.2.1 (TEST-NET-1) is no address of this machine.
	plan := tcpPlan{resolved: true, specs: []socketSpec{
		{family: syscall.AF_INET, ip: net.ParseIP("192.0.2.1").To4(), backlog: 16},
		{family: syscall.AF_INET, ip: net.ParseIP("127.0.0.1").To4(), backlog: 16},
	}}
	ls, err := bindTCP(plan, testLogger(t))
	require.NoError(t, err)
	defer closeListeners(ls)
	require.Len(t, ls, 1)
	assert.Equal(t, "127.0.0.1", ls[0].Addr().(*net.TCPAddr).IP.String())

	plan.specs = plan.specs[:1]
	_, err = bindTCP(plan, testLogger(t))
	require.Error(t, err)
	assert.ErrorIs(t, err, syscall.EADDRNOTAVAIL)
	assert.Contains(t, err.Error(), "192.0.2.1")
}

func TestMultiAddressServer(t *testing.T) {
	cfg := testConfig()
	cfg.Host = "localhost"
	srv := newTestServer(t, cfg, hello)
	addrs := srv.Addrs()
	require.NotEmpty(t, addrs)
	assert.Equal(t, addrs[0], srv.Addr())
	c := newClient(t, nil)
	for _, a := range addrs {
		resp, err := c.Get("http://" + a.String() + "/")
		require.NoError(t, err)
		_ = resp.Body.Close()
		assert.Equal(t, http.StatusOK, resp.StatusCode)
	}
}

// TestBacklogApplied shows that SOCKET_QUEUE_SIZE reaches listen(2): with
// nobody accepting, the kernel completes only about backlog handshakes
// (Linux: backlog+1) and leaves the next client waiting.
func TestBacklogApplied(t *testing.T) {
	const backlogSize, attempts = 3, 12
	count := func(backlog int) int {
		l, err := listenSocket(socketSpec{family: syscall.AF_INET, ip: net.ParseIP("127.0.0.1").To4(), backlog: backlog})
		require.NoError(t, err)
		defer l.Close()
		var conns []net.Conn
		defer func() {
			for _, c := range conns {
				_ = c.Close()
			}
		}()
		for range attempts {
			c, err := net.DialTimeout("tcp", l.Addr().String(), 300*time.Millisecond)
			if err != nil {
				break
			}
			conns = append(conns, c)
		}
		return len(conns)
	}
	got := count(backlogSize)
	assert.GreaterOrEqual(t, got, backlogSize)
	assert.LessOrEqual(t, got, backlogSize+2, "more connections queued than the backlog allows")
	assert.Equal(t, attempts, count(backlog(0)), "the system maximum queues them all")
}

func TestBacklogDefault(t *testing.T) {
	assert.Equal(t, 7, backlog(7))
	assert.Equal(t, systemBacklog(), backlog(0))
	assert.Positive(t, systemBacklog())
	cfg := testConfig()
	cfg.SocketQueueSize = 5
	srv, err := New(cfg, hello)
	require.NoError(t, err)
	assert.Equal(t, 5, srv.queue)
}

func TestNoDelay(t *testing.T) {
	for _, noDelay := range []bool{true, false} {
		t.Run("nodelay="+strconv.FormatBool(noDelay), func(t *testing.T) {
			raw, err := net.Listen("tcp", "127.0.0.1:0")
			require.NoError(t, err)
			l := &trackingListener{Listener: raw, t: newTracker(), noDelay: noDelay}
			defer l.Close()
			client := dial(t, "tcp", raw.Addr().String())
			_ = client
			c, err := l.Accept()
			require.NoError(t, err)
			defer c.Close()
			rc, err := c.(*trackedConn).Conn.(*net.TCPConn).SyscallConn()
			require.NoError(t, err)
			var opt int
			var optErr error
			require.NoError(t, rc.Control(func(fd uintptr) {
				opt, optErr = syscall.GetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_NODELAY)
			}))
			require.NoError(t, optErr)
			assert.Equal(t, noDelay, opt != 0)
		})
	}
}

func TestNewRejects(t *testing.T) {
	cfg := testConfig()
	_, err := New(cfg, nil)
	assert.ErrorIs(t, err, errNoHandler)

	cfg.Port = 70000
	_, err = New(cfg, hello)
	var ce *settings.ConfigError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "SERVER_SOCKET_PORT", ce.Problems[0].Var)

	cfg.Name = "admin"
	_, err = New(cfg, hello)
	require.ErrorAs(t, err, &ce)
	assert.True(t, strings.HasPrefix(ce.Problems[0].Var, "SERVER_ADMIN_"), ce.Problems[0].Var)
}

func TestStartTwiceRefused(t *testing.T) {
	srv := newTestServer(t, testConfig(), hello)
	assert.ErrorIs(t, srv.Start(), ErrRunning)
}
