package systemd

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seed-49a6713b/cherrygo/adapter/settings"
)

// installedBinary is where the units expect the hello binary.
const installedBinary = "/usr/local/bin/hello"

// unitFiles are the files of this directory that systemd reads.
var unitFiles = []string{"hello.service", "hello-activated.socket", "hello-activated.service"}

// services are the service units among unitFiles.
var services = []string{"hello.service", "hello-activated.service"}

// unit is a parsed unit file: section, then key, then every value the key
// was given, in order.
type unit map[string]map[string][]string

// get returns the values of key in section (nil when it is not set).
func (u unit) get(section, key string) []string { return u[section][key] }

// parseUnit reads a unit file the simple way: one directive a line, "#"
// and ";" comments, "[Section]" headers. Continuation lines are not used
// in these files, and a line ending in a backslash fails the test rather
// than be misread.
func parseUnit(t *testing.T, name string) unit {
	t.Helper()
	data, err := os.ReadFile(name)
	require.NoError(t, err)
	u := unit{}
	section := ""
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";") {
			continue
		}
		require.Falsef(t, strings.HasSuffix(line, `\`), "%s:%d: continuation lines are not supported by this test", name, i+1)
		if strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]") {
			section = line[1 : len(line)-1]
			if u[section] == nil {
				u[section] = map[string][]string{}
			}
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		require.Truef(t, ok, "%s:%d: not a directive: %q", name, i+1, line)
		require.NotEmptyf(t, section, "%s:%d: directive before any section", name, i+1)
		key = strings.TrimSpace(key)
		u[section][key] = append(u[section][key], strings.TrimSpace(value))
	}
	return u
}

// seconds parses a systemd time span of the simple kinds these files use:
// a bare number of seconds, or a Go-style span such as "30s" or "1min".
func seconds(t *testing.T, span string) time.Duration {
	t.Helper()
	if !strings.ContainsFunc(span, func(r rune) bool { return r < '0' || r > '9' }) {
		span += "s"
	}
	d, err := time.ParseDuration(strings.ReplaceAll(span, "min", "m"))
	require.NoErrorf(t, err, "time span %q", span)
	return d
}

// environment returns the variables the Environment= lines of a service
// set. Quoted assignments are not used in these files and fail the test.
func environment(t *testing.T, u unit) map[string]string {
	t.Helper()
	env := map[string]string{}
	for _, line := range u.get("Service", "Environment") {
		require.NotContainsf(t, line, `"`, "Environment=%s: quoting is not supported by this test", line)
		for _, kv := range strings.Fields(line) {
			k, v, ok := strings.Cut(kv, "=")
			require.Truef(t, ok, "Environment=%s: %q is not NAME=value", line, kv)
			env[k] = v
		}
	}
	return env
}

func TestServices(t *testing.T) {
	for _, name := range services {
		t.Run(name, func(t *testing.T) {
			u := parseUnit(t, name)
			require.Equal(t, []string{"notify"}, u.get("Service", "Type"))
			require.Equal(t, []string{"all"}, u.get("Service", "NotifyAccess"),
				"the upgrade's MAINPID= and the new process's messages come from non-main processes")
			require.Equal(t, []string{installedBinary}, u.get("Service", "ExecStart"))
			reload := u.get("Service", "ExecReload")
			require.Len(t, reload, 1)
			require.Contains(t, reload[0], "-HUP $MAINPID")
			require.Empty(t, u.get("Service", "PIDFile"), "Type=notify needs no PID file")
			if km := u.get("Service", "KillMode"); km != nil {
				require.Equal(t, []string{"control-group"}, km)
			}
			require.Equal(t, []string{"on-failure"}, u.get("Service", "Restart"))
			require.Equal(t, []string{"30s"}, u.get("Service", "WatchdogSec"))
			for _, key := range []string{"DynamicUser", "NoNewPrivileges", "ProtectHome", "PrivateTmp"} {
				require.Equalf(t, []string{"yes"}, u.get("Service", key), "%s=", key)
			}
			require.Equal(t, []string{"strict"}, u.get("Service", "ProtectSystem"))

			// The stop timeout leaves the drain room: at least twice the
			// SHUTDOWN_TIMEOUT the unit's own settings give the program.
			cfgs, err := settings.Load(environment(t, u))
			require.NoError(t, err, "the unit's SERVER_* settings")
			stop := u.get("Service", "TimeoutStopSec")
			require.Len(t, stop, 1)
			for _, cfg := range cfgs {
				require.GreaterOrEqualf(t, seconds(t, stop[0]), 2*cfg.ShutdownTimeout,
					"TimeoutStopSec=%s against SHUTDOWN_TIMEOUT %s", stop[0], cfg.ShutdownTimeout)
			}
		})
	}

	t.Run("hello.service binds loopback", func(t *testing.T) {
		env := environment(t, parseUnit(t, "hello.service"))
		require.Equal(t, "127.0.0.1", env["SERVER_SOCKET_HOST"])
		require.Equal(t, "8080", env["SERVER_SOCKET_PORT"])
	})

	t.Run("hello-activated.service needs its socket", func(t *testing.T) {
		u := parseUnit(t, "hello-activated.service")
		require.Contains(t, strings.Fields(strings.Join(u.get("Unit", "Requires"), " ")), "hello-activated.socket")
		require.Contains(t, strings.Fields(strings.Join(u.get("Unit", "After"), " ")), "hello-activated.socket")
		require.Empty(t, environment(t, u)["SERVER_SOCKET_HOST"], "the socket unit sets the address")
	})
}

func TestSocket(t *testing.T) {
	u := parseUnit(t, "hello-activated.socket")
	require.Equal(t, []string{"127.0.0.1:8080"}, u.get("Socket", "ListenStream"))
	require.Equal(t, []string{"default"}, u.get("Socket", "FileDescriptorName"),
		"the program maps the fd named default to its default server")
	require.Empty(t, u.get("Socket", "Service"), "the service is found by the socket's name")
	if accept := u.get("Socket", "Accept"); accept != nil {
		require.Equal(t, []string{"no"}, accept)
	}
}

// verify runs systemd-analyze verify on files and returns its exit error
// and its output, one entry a line.
func verify(t *testing.T, files ...string) ([]string, error) {
	t.Helper()
	args := append([]string{"verify", "--man=no"}, files...)
	cmd := exec.Command("systemd-analyze", args...)
	// Log to stderr at info level whatever the caller's environment says,
	// or the warnings could go to the journal or be filtered out.
	cmd.Env = append(os.Environ(), "SYSTEMD_LOG_LEVEL=info", "SYSTEMD_LOG_TARGET=console", "SYSTEMD_LOG_COLOR=0")
	out, err := cmd.CombinedOutput()
	t.Logf("systemd-analyze %s\n%s", strings.Join(args, " "), out)
	var lines []string
	for _, line := range strings.Split(string(bytes.TrimSpace(out)), "\n") {
		if line != "" {
			lines = append(lines, line)
		}
	}
	return lines, err
}

// naming returns the lines that name one of the files (by base name, as
// systemd-analyze does: "/dir/x.service:12: …" or "x.service: …").
func naming(lines []string, files ...string) []string {
	var hits []string
	for _, line := range lines {
		for _, f := range files {
			if strings.Contains(line, filepath.Base(f)) {
				hits = append(hits, line)
				break
			}
		}
	}
	return hits
}

func TestSystemdAnalyzeVerify(t *testing.T) {
	if _, err := exec.LookPath("systemd-analyze"); err != nil {
		t.Skip("systemd-analyze is not on PATH (apt-get install systemd); the unit files were not verified")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go is not on PATH: the hello binary that ExecStart= must name cannot be built")
	}
	dir := t.TempDir()

	// First make sure systemd-analyze works here and that its complaints
	// reach this test: a unit with a bad Type= must be reported.
	brokenDir := filepath.Join(dir, "broken")
	require.NoError(t, os.Mkdir(brokenDir, 0o755))
	broken := filepath.Join(brokenDir, "broken.service")
	require.NoError(t, os.WriteFile(broken, []byte("[Service]\nType=no-such-type\nExecStart=/bin/sh -c true\n"), 0o644))
	lines, err := verify(t, broken)
	if len(naming(lines, broken)) == 0 {
		t.Skipf("systemd-analyze verify cannot check units here: it said nothing about a unit with Type=no-such-type (exit: %v; output: %q)", err, lines)
	}

	// ExecStart= must name an executable file, so build the real one and
	// point copies of the units at it.
	bin := filepath.Join(dir, "hello")
	build := exec.Command("go", "build", "-o", bin, "../../examples/hello")
	out, err := build.CombinedOutput()
	require.NoErrorf(t, err, "go build ../../examples/hello:\n%s", out)

	var copies []string
	for _, name := range unitFiles {
		data, err := os.ReadFile(name)
		require.NoError(t, err)
		text := string(data)
		if strings.HasSuffix(name, ".service") {
			require.Containsf(t, text, "ExecStart="+installedBinary, "%s runs %s", name, installedBinary)
		}
		dst := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(dst, []byte(strings.ReplaceAll(text, installedBinary, bin)), 0o644))
		copies = append(copies, dst)
	}

	lines, err = verify(t, copies...)
	if problems := naming(lines, copies...); len(problems) > 0 {
		t.Fatalf("systemd-analyze verify reports problems in our units:\n%s", strings.Join(problems, "\n"))
	}
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		// Nothing names our files: the failure is in a unit of this
		// machine that ours pull in (a target, say), not in ours.
		t.Logf("systemd-analyze verify exited %d without naming our units", exit.ExitCode())
	} else {
		require.NoError(t, err)
	}
}
