package plugins

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-49a6713b/cherrygo/engine"
)

// fakeCreds records the credential calls instead of making them.
type fakeCreds struct {
	euid, uid, gid int
	calls          []string
	fail           string // the call that fails
}

func (f *fakeCreds) Geteuid() int { return f.euid }
func (f *fakeCreds) Getuid() int  { return f.uid }
func (f *fakeCreds) Getgid() int  { return f.gid }

func (f *fakeCreds) record(call string) error {
	f.calls = append(f.calls, call)
	if strings.HasPrefix(call, f.fail+"(") && f.fail != "" {
		return syscall.EPERM
	}
	return nil
}

func (f *fakeCreds) Setgid(gid int) error {
	err := f.record(fmt.Sprintf("setgid(%d)", gid))
	if err == nil {
		f.gid = gid
	}
	return err
}

func (f *fakeCreds) Setgroups(gids []int) error {
	return f.record(fmt.Sprintf("setgroups(%v)", gids))
}

func (f *fakeCreds) Setuid(uid int) error {
	err := f.record(fmt.Sprintf("setuid(%d)", uid))
	if err == nil {
		f.uid, f.euid = uid, uid
	}
	return err
}

func (f *fakeCreds) Umask(mask int) int {
	_ = f.record(fmt.Sprintf("umask(%#o)", mask))
	return 0o022
}

// nobody returns the IDs of the user "nobody", or skips.
func nobody(t *testing.T) (uid, gid int) {
	t.Helper()
	u, err := user.Lookup("nobody")
	if err != nil {
		t.Skipf("no user nobody on this machine: %v", err)
	}
	uid, err = strconv.Atoi(u.Uid)
	require.NoError(t, err)
	gid, err = strconv.Atoi(u.Gid)
	require.NoError(t, err)
	return uid, gid
}

func TestDropPrivilegesAsRootOrder(t *testing.T) {
	uid, gid := nobody(t)
	log, _ := newLogger()
	c := &fakeCreds{}
	d := &DropPrivileges{User: "nobody", Umask: 0o027, SetUmask: true}
	require.NoError(t, d.apply(log, c))
	assert.Equal(t, []string{
		"umask(027)",
		fmt.Sprintf("setgid(%d)", gid),
		"setgroups([])",
		fmt.Sprintf("setuid(%d)", uid),
	}, c.calls)
}

func TestDropPrivilegesNumericIDs(t *testing.T) {
	c := &fakeCreds{}
	log, _ := newLogger()
	require.NoError(t, (&DropPrivileges{User: "4242", Group: "4343"}).apply(log, c))
	assert.Equal(t, []string{"setgid(4343)", "setgroups([])", "setuid(4242)"}, c.calls)

	c = &fakeCreds{}
	require.NoError(t, (&DropPrivileges{Group: "4343"}).apply(log, c))
	assert.Equal(t, []string{"setgid(4343)", "setgroups([])"}, c.calls, "group only: uid kept")
}

func TestDropPrivilegesNotRoot(t *testing.T) {
	log, buf := newLogger()
	c := &fakeCreds{euid: 1000, uid: 1000, gid: 1000}
	require.NoError(t, (&DropPrivileges{User: "nobody", Umask: 0o077, SetUmask: true}).apply(log, c))
	assert.Equal(t, []string{"umask(077)"}, c.calls, "only the umask applies")
	assert.Contains(t, buf.String(), "not running as root: nothing to do")
}

func TestDropPrivilegesNothingConfigured(t *testing.T) {
	log, buf := newLogger()
	c := &fakeCreds{}
	require.NoError(t, (&DropPrivileges{}).apply(log, c))
	assert.Empty(t, c.calls)
	assert.Contains(t, buf.String(), "nothing to do")
}

func TestDropPrivilegesCallFails(t *testing.T) {
	log, _ := newLogger()
	for _, call := range []string{"setgid", "setgroups", "setuid"} {
		c := &fakeCreds{fail: call}
		err := (&DropPrivileges{User: "4242", Group: "4343"}).apply(log, c)
		require.ErrorIs(t, err, syscall.EPERM, call)
		assert.Contains(t, err.Error(), "privilege drop", call)
	}
}

func TestDropPrivilegesResolveErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		d    DropPrivileges
		want string
	}{
		{"unknown user", DropPrivileges{User: "no-such-user-cherrygo"}, `user "no-such-user-cherrygo"`},
		{"unknown group", DropPrivileges{User: "nobody", Group: "no-such-group-cherrygo"}, `group "no-such-group-cherrygo"`},
		{"negative user", DropPrivileges{User: "-2"}, "user ID -2 is negative"},
		{"negative group", DropPrivileges{Group: "-2"}, "group ID -2 is negative"},
		{"unknown uid without group", DropPrivileges{User: "4242"}, "no known primary group"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newBus(t)
			t.Cleanup(tc.d.Subscribe(b))
			err := b.Start(testCtx(t))
			require.ErrorContains(t, err, tc.want)
			assert.Equal(t, engine.Stopped, b.State())
		})
	}
}

func TestDropPrivilegesUnknownUserError(t *testing.T) {
	_, err := lookupUser("no-such-user-cherrygo")
	var unknown user.UnknownUserError
	require.ErrorAs(t, err, &unknown)
}

func TestDropPrivilegesRunsAfterServers(t *testing.T) {
	b := newBus(t)
	served := false
	t.Cleanup(b.Subscribe(engine.ChannelStart, engine.Func(func(context.Context) error {
		served = true
		return nil
	}), engine.PriorityServerStart))
	// An unknown user makes the drop fail without touching the process;
	// the failure tells at which priority the drop ran.
	t.Cleanup((&DropPrivileges{User: "no-such-user-cherrygo"}).Subscribe(b))
	err := b.Start(testCtx(t))
	var le *engine.ListenerError
	require.ErrorAs(t, err, &le)
	assert.Equal(t, engine.PriorityDropPrivs, le.Priority)
	assert.Greater(t, engine.PriorityDropPrivs, engine.PriorityServerStart)
	assert.True(t, served, "the server bound before the drop")
}

// helperEnv marks the child process of TestDropPrivilegesReal.
const helperEnv = "CHERRYGO_PLUGINS_DROP_HELPER"

// TestDropPrivilegesReal drops root to nobody for real, in a child process
// (the test binary run again), because the drop cannot be undone.
func TestDropPrivilegesReal(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("not running as root: the real privilege drop is only tested as root")
	}
	uid, gid := nobody(t)
	cmd := exec.CommandContext(testCtx(t), os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
	// atexit_sleep_ms=0 spares the race detector's 1 s pause at exit.
	cmd.Env = append(os.Environ(), helperEnv+"=1", "GORACE=atexit_sleep_ms=0")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "child output:\n%s", out)
	assert.Contains(t, string(out), fmt.Sprintf("uid=%d euid=%d gid=%d egid=%d groups=[] umask=027\n", uid, uid, gid, gid))
}

// TestHelperProcess is not a test: run by TestDropPrivilegesReal with
// helperEnv set, it drops to nobody and prints what it became.
func TestHelperProcess(t *testing.T) {
	if os.Getenv(helperEnv) != "1" {
		t.Skip("helper process for TestDropPrivilegesReal")
	}
	b := engine.New()
	(&DropPrivileges{User: "nobody", Umask: 0o027, SetUmask: true}).Subscribe(b)
	if err := b.Start(t.Context()); err != nil {
		fmt.Println("start:", err)
		os.Exit(3)
	}
	groups, err := syscall.Getgroups()
	if err != nil {
		fmt.Println("getgroups:", err)
		os.Exit(3)
	}
	mask := syscall.Umask(0o027)
	fmt.Printf("uid=%d euid=%d gid=%d egid=%d groups=%v umask=%#o\n",
		os.Getuid(), os.Geteuid(), os.Getgid(), os.Getegid(), groups, mask)
	// Try to become root again: it must fail.
	if err := syscall.Setuid(0); err == nil {
		fmt.Println("setuid(0) succeeded after the drop")
		os.Exit(4)
	}
	os.Exit(0)
}
