package plugins

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-49a6713b/cherrygo/engine"
)

// pidFileBus returns a bus with a PIDFile on a path in a fresh directory.
func pidFileBus(t *testing.T) (*engine.Bus, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "app.pid")
	b := newBus(t)
	t.Cleanup((&PIDFile{Path: path}).Subscribe(b))
	return b, path
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(data)
}

// livePID starts a child process that lives until the test ends.
func livePID(t *testing.T) int {
	t.Helper()
	if _, err := exec.LookPath("sleep"); err != nil {
		t.Skipf("no sleep program to run as a live process: %v", err)
	}
	cmd := exec.Command("sleep", "30")
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait() // reaps it; the kill is the expected exit
	})
	return cmd.Process.Pid
}

// deadPID returns a process ID that cannot exist: the kernel hands out IDs
// below pid_max only.
func deadPID(t *testing.T) int {
	t.Helper()
	max := 1 << 22 // the kernel's highest possible pid_max
	if data, err := os.ReadFile("/proc/sys/kernel/pid_max"); err == nil {
		if n, err := strconv.Atoi(strings.TrimSpace(string(data))); err == nil {
			max = n
		}
	}
	require.False(t, alive(max), "pid %d should not exist", max)
	return max
}

func TestPIDFileWrittenOnStartRemovedOnExit(t *testing.T) {
	b, path := pidFileBus(t)
	require.NoError(t, b.Start(testCtx(t)))
	assert.Equal(t, strconv.Itoa(os.Getpid())+"\n", readFile(t, path))
	info, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o644), info.Mode().Perm())

	entries, err := os.ReadDir(filepath.Dir(path))
	require.NoError(t, err)
	require.Len(t, entries, 1, "no temporary file left behind")

	// Stop and start again: the file names us, so it is kept and rewritten.
	require.NoError(t, b.Stop(testCtx(t)))
	assert.FileExists(t, path)
	require.NoError(t, b.Start(testCtx(t)))

	require.NoError(t, b.Exit(testCtx(t)))
	assert.NoFileExists(t, path)
}

func TestPIDFileLiveProcessRefused(t *testing.T) {
	for name, pid := range map[string]func(*testing.T) int{
		"child":  livePID,
		"parent": func(*testing.T) int { return os.Getppid() },
	} {
		t.Run(name, func(t *testing.T) {
			b, path := pidFileBus(t)
			other := pid(t)
			content := strconv.Itoa(other) + "\n"
			require.NoError(t, os.WriteFile(path, []byte(content), 0o644))

			err := b.Start(testCtx(t))
			require.Error(t, err)
			var conflict *PIDFileError
			require.ErrorAs(t, err, &conflict)
			assert.Equal(t, path, conflict.Path)
			assert.Equal(t, other, conflict.PID)
			assert.Contains(t, err.Error(), path)
			assert.Contains(t, err.Error(), strconv.Itoa(other))
			assert.Equal(t, engine.Stopped, b.State())

			// Neither the start nor the exit touches the other process's file.
			assert.Equal(t, content, readFile(t, path))
			require.NoError(t, b.Exit(testCtx(t)))
			assert.Equal(t, content, readFile(t, path))
		})
	}
}

func TestPIDFileStaleReplaced(t *testing.T) {
	log, buf := newLogger()
	path := filepath.Join(t.TempDir(), "app.pid")
	b := newBus(t, engine.WithLogger(log))
	t.Cleanup((&PIDFile{Path: path}).Subscribe(b))
	stale := deadPID(t)
	require.NoError(t, os.WriteFile(path, []byte(strconv.Itoa(stale)+"\n"), 0o644))

	require.NoError(t, b.Start(testCtx(t)))
	assert.Equal(t, strconv.Itoa(os.Getpid())+"\n", readFile(t, path))
	assert.Contains(t, buf.String(), "replacing stale PID file")
	assert.Contains(t, buf.String(), "stale_pid="+strconv.Itoa(stale))
}

func TestPIDFileExistingContent(t *testing.T) {
	for _, tc := range []struct {
		name, content string
		wantErr       bool
	}{
		{"own pid", strconv.Itoa(os.Getpid()) + "\n", false},
		{"empty", "", false},
		{"not a pid", "hello\n", true},
		{"negative", "-4\n", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, path := pidFileBus(t)
			require.NoError(t, os.WriteFile(path, []byte(tc.content), 0o644))
			err := b.Start(testCtx(t))
			if !tc.wantErr {
				require.NoError(t, err)
				assert.Equal(t, strconv.Itoa(os.Getpid())+"\n", readFile(t, path))
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), path)
			assert.Equal(t, tc.content, readFile(t, path), "left untouched")
		})
	}
}

func TestPIDFileReplacedByAnotherIsLeftOnExit(t *testing.T) {
	b, path := pidFileBus(t)
	require.NoError(t, b.Start(testCtx(t)))
	other := strconv.Itoa(os.Getppid()) + "\n"
	require.NoError(t, os.WriteFile(path, []byte(other), 0o644))
	require.NoError(t, b.Exit(testCtx(t)))
	assert.Equal(t, other, readFile(t, path))
}

func TestPIDFileErrors(t *testing.T) {
	t.Run("no path", func(t *testing.T) {
		b := newBus(t)
		t.Cleanup((&PIDFile{}).Subscribe(b))
		require.ErrorContains(t, b.Start(testCtx(t)), "no path set")
	})
	t.Run("missing directory", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "missing", "app.pid")
		b := newBus(t)
		t.Cleanup((&PIDFile{Path: path}).Subscribe(b))
		err := b.Start(testCtx(t))
		require.Error(t, err)
		assert.Contains(t, err.Error(), path)
		assert.True(t, errors.Is(err, os.ErrNotExist), "%v", err)
	})
	t.Run("already removed on exit", func(t *testing.T) {
		b, path := pidFileBus(t)
		require.NoError(t, b.Start(testCtx(t)))
		require.NoError(t, os.Remove(path))
		require.NoError(t, b.Exit(testCtx(t)))
	})
}

func TestPIDFileUnsubscribe(t *testing.T) {
	path := filepath.Join(t.TempDir(), "app.pid")
	b := newBus(t)
	unsubscribe := (&PIDFile{Path: path}).Subscribe(b)
	unsubscribe()
	unsubscribe()
	require.NoError(t, b.Start(testCtx(t)))
	assert.NoFileExists(t, path)
}

// TestPIDFileExclusiveCreation races two writers for the same new file,
// each on behalf of a live process: exactly one must win.
func TestPIDFileExclusiveCreation(t *testing.T) {
	log, _ := newLogger()
	dir := t.TempDir()
	pids := []int{os.Getpid(), os.Getppid()}
	for i := range 20 {
		path := filepath.Join(dir, "race"+strconv.Itoa(i)+".pid")
		errs := make(chan error, len(pids))
		for _, pid := range pids {
			go func() { errs <- writePIDFile(path, pid, 0, log) }()
		}
		var wins, conflicts int
		for range pids {
			err := receive(t, errs, "a writer")
			var conflict *PIDFileError
			switch {
			case err == nil:
				wins++
			case errors.As(err, &conflict):
				conflicts++
			default:
				t.Fatalf("round %d: %v", i, err)
			}
		}
		require.Equal(t, 1, wins, "round %d", i)
		require.Equal(t, 1, conflicts, "round %d", i)
	}
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 20, "no temporary file left behind")
}
