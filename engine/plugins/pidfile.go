package plugins

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"

	"github.com/seed-49a6713b/cherrygo/engine"
)

// PIDFileError is returned when the PID file names another process that is
// still alive: a second copy of the program is probably running.
type PIDFileError struct {
	Path string // the PID file
	PID  int    // the live process it names
}

func (e *PIDFileError) Error() string {
	return fmt.Sprintf("plugins: PID file %s names process %d, which is still running", e.Path, e.PID)
}

// PIDFile writes the process ID to Path when the bus starts and removes the
// file when the bus exits.
//
// The file is written atomically: the PID goes to a temporary file in the
// same directory, which is then linked (when Path does not exist yet) or
// renamed to Path, so a reader never sees a partial file. Linking is an
// exclusive creation: of two processes starting at once, one fails. When Path
// already exists:
//
//   - it names this process (a second start, or a restart by re-exec,
//     which keeps the PID): it is rewritten;
//   - it names a process that no longer exists (kill(pid, 0) fails with
//     ESRCH): it is stale, a warning is logged and it is replaced;
//   - it names a live process, even one of another user: start fails with
//     a *PIDFileError naming the file and the PID;
//   - it names the old process of a zero-downtime upgrade that started
//     this one (see Upgrader): it is replaced, once this process's servers
//     are verified serving (so that the file names the old process as long
//     as that one is the service, and still does if the upgrade fails);
//   - it is empty: it is replaced; any other content is an error, as Path
//     then probably is not a PID file at all.
//
// The file stays while the bus is stopped and started again, and also when
// a later start listener fails: it is the process that it describes, not
// the bus state. On exit it is removed, but only while it still holds this
// process's PID.
type PIDFile struct {
	// Path is the file to write. It must be set.
	Path string
}

// Subscribe writes the file on start (at engine.PriorityPIDFile) and
// removes it on exit. The returned function removes both listeners (it
// does not remove the file) and is idempotent.
func (p *PIDFile) Subscribe(b *engine.Bus) (unsubscribe func()) {
	log := b.Logger()
	path := p.Path
	// In the new process of an upgrade the file is written once the
	// servers are verified, just before the old process is told: until
	// then the old process is the one serving, and if this one fails its
	// PID stays in the file.
	priority, from := engine.PriorityPIDFile, upgradedFrom
	if from != 0 {
		priority = priorityHandoff - 1
	}
	start := b.Subscribe(engine.ChannelStart, engine.Func(func(context.Context) error {
		return writePIDFile(path, os.Getpid(), from, log)
	}), priority)
	exit := b.Subscribe(engine.ChannelExit, engine.Func(func(context.Context) error {
		return removePIDFile(path, os.Getpid(), log)
	}), engine.DefaultPriority)
	var once sync.Once
	return func() {
		once.Do(func() {
			start()
			exit()
		})
	}
}

// pidFileAttempts bounds the check-then-link loop against a file that keeps
// appearing and disappearing under us.
const pidFileAttempts = 3

// writePIDFile writes pid to path as described on PIDFile; a live
// predecessor (the old process of an upgrade, or 0) is replaced.
func writePIDFile(path string, pid, predecessor int, log *slog.Logger) error {
	if path == "" {
		return errors.New("plugins: PID file: no path set")
	}
	tmp, err := writeTemp(path, pid)
	if err != nil {
		return err
	}
	defer os.Remove(tmp) // gone already after a rename; after a link, path keeps its own name

	for range pidFileAttempts {
		old, err := readPID(path)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			// Link fails when path appeared meanwhile: exclusive creation.
			err := os.Link(tmp, path)
			if err == nil {
				log.Info("PID file written", "path", path, "pid", pid)
				return nil
			}
			if errors.Is(err, fs.ErrExist) {
				continue // someone else created it: look at what they wrote
			}
			// No hard links on this file system: a plain rename still
			// writes atomically, only without the exclusive creation.
			log.Debug("PID file: link failed, renaming instead", "path", path, "err", err)
		case err != nil:
			return err
		case old != 0 && old == predecessor:
			log.Info("PID file: taking over from the old process of the upgrade", "path", path, "old_pid", old, "pid", pid)
		case old != 0 && old != pid && alive(old):
			return &PIDFileError{Path: path, PID: old}
		case old != 0 && old != pid:
			log.Warn("replacing stale PID file", "path", path, "stale_pid", old, "pid", pid)
		}
		if err := os.Rename(tmp, path); err != nil {
			return fmt.Errorf("plugins: PID file %s: %w", path, err)
		}
		log.Info("PID file written", "path", path, "pid", pid)
		return nil
	}
	return fmt.Errorf("plugins: PID file %s keeps changing: gave up after %d attempts", path, pidFileAttempts)
}

// writeTemp writes pid to a new temporary file beside path and returns its
// name.
func writeTemp(path string, pid int) (string, error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return "", fmt.Errorf("plugins: PID file %s: %w", path, err)
	}
	name := f.Name()
	_, err = f.WriteString(strconv.Itoa(pid) + "\n")
	if err == nil {
		err = f.Chmod(0o644)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(name)
		return "", fmt.Errorf("plugins: PID file %s: %w", path, err)
	}
	return name, nil
}

// readPID returns the PID in path, 0 for an empty file, or an error wrapping
// fs.ErrNotExist when there is no file.
func readPID(path string) (int, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("plugins: PID file %s: %w", path, err)
	}
	text := bytes.TrimSpace(data)
	if len(text) == 0 {
		return 0, nil
	}
	pid, err := strconv.Atoi(string(text))
	if err != nil || pid <= 0 {
		return 0, fmt.Errorf("plugins: PID file %s exists and does not hold a process ID; not overwriting it", path)
	}
	return pid, nil
}

// alive reports whether process pid exists. Signal 0 checks without
// sending anything: ESRCH means no such process, EPERM means it exists but
// belongs to someone else.
func alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// removePIDFile removes path if it still names pid.
func removePIDFile(path string, pid int, log *slog.Logger) error {
	old, err := readPID(path)
	if errors.Is(err, fs.ErrNotExist) {
		log.Warn("PID file already gone", "path", path)
		return nil
	}
	if err != nil {
		return err
	}
	if old != pid {
		log.Warn("PID file names another process: left in place", "path", path, "file_pid", old, "pid", pid)
		return nil
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("plugins: PID file: %w", err)
	}
	log.Info("PID file removed", "path", path)
	return nil
}
