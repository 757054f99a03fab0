package plugins

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/seed-49a6713b/cherrygo/engine"
)

// DefaultReloadInterval is how often Autoreloader looks at its files when
// Interval is zero.
const DefaultReloadInterval = time.Second

// Autoreloader restarts the program when one of its files changes: the
// program's own executable (os.Executable), so that a rebuilt binary takes
// over, and every path in Files.
//
// It polls: every Interval it compares each file's modification time, size
// and existence with what it saw when the bus started. Polling needs no
// dependency beyond the standard library (the kit has no fsnotify), works
// on every file system, network mounts included, and costs one stat per
// file per interval. A change is noticed within one Interval; a file
// replaced by another of the same size within the file system's timestamp
// resolution is missed. A file that does not exist at start counts as a
// change when it appears.
//
// On a change it calls Action with the changed paths, once per poll, and
// then takes the new state as its reference. The default action logs the
// paths and asks the bus to restart (engine.Bus.RequestRestart), which
// re-executes the program once the bus has exited.
//
// It is off unless subscribed, and meant for development: in production a
// deployment restarts the service itself. It runs as a BackgroundTask: it
// starts with the bus (at engine.PriorityMonitor), stops with it and
// restarts on graceful, taking a fresh reference each time it starts.
type Autoreloader struct {
	// Files are watched besides the executable.
	Files []string

	// Interval is the time between two polls. Zero means
	// DefaultReloadInterval.
	Interval time.Duration

	// Action is called with the changed paths. If nil, the bus restarts.
	Action func(changed []string)
}

// Subscribe starts watching on start. The returned function removes the
// listeners and stops the polling; it is idempotent.
func (a *Autoreloader) Subscribe(b *engine.Bus) (unsubscribe func()) {
	log := b.Logger()
	w := &watcher{
		paths:  a.paths(log),
		action: a.Action,
		log:    log,
	}
	if w.action == nil {
		w.action = func(changed []string) {
			log.Info("autoreload: files changed: restarting", "changed", changed)
			b.RequestRestart()
		}
	}
	interval := a.Interval
	if interval <= 0 {
		interval = DefaultReloadInterval
	}
	task := &BackgroundTask{Name: "autoreload", Interval: interval, Fn: w.poll}
	// On equal priority, listeners run in subscription order: the reference
	// is taken before the task starts.
	unsubRef := b.Subscribe(engine.ChannelStart, engine.Func(func(context.Context) error {
		w.reset()
		return nil
	}), engine.PriorityMonitor)
	unsubRefGraceful := b.Subscribe(engine.ChannelGraceful, engine.Func(func(context.Context) error {
		w.reset()
		return nil
	}), engine.DefaultPriority)
	unsubTask := task.Subscribe(b)
	var once sync.Once
	return func() {
		once.Do(func() {
			unsubTask()
			unsubRef()
			unsubRefGraceful()
		})
	}
}

// paths returns the executable followed by Files, without duplicates.
func (a *Autoreloader) paths(log *slog.Logger) []string {
	var out []string
	if exe, err := os.Executable(); err == nil {
		out = append(out, exe)
	} else {
		log.Warn("autoreload: cannot find the executable: not watching it", "err", err)
	}
	for _, f := range a.Files {
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out
}

// fileState is what a poll compares.
type fileState struct {
	exists  bool
	size    int64
	modTime time.Time
}

func (s fileState) equal(o fileState) bool {
	return s.exists == o.exists && s.size == o.size && s.modTime.Equal(o.modTime)
}

func statFile(path string, log *slog.Logger) fileState {
	fi, err := os.Stat(path)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			log.Warn("autoreload: cannot stat file", "path", path, "err", err)
		}
		return fileState{}
	}
	return fileState{exists: true, size: fi.Size(), modTime: fi.ModTime()}
}

// watcher holds the reference state of the watched files.
type watcher struct {
	paths  []string
	action func(changed []string)
	log    *slog.Logger

	mu   sync.Mutex // guards seen
	seen []fileState
}

// reset takes the current state as the reference.
func (w *watcher) reset() {
	seen := make([]fileState, len(w.paths))
	for i, p := range w.paths {
		seen[i] = statFile(p, w.log)
	}
	w.mu.Lock()
	w.seen = seen
	w.mu.Unlock()
}

// poll compares every file with the reference and calls the action on a
// change. It is the BackgroundTask function.
func (w *watcher) poll(context.Context) error {
	var changed []string
	w.mu.Lock()
	if w.seen == nil {
		w.mu.Unlock()
		w.reset()
		return nil
	}
	for i, p := range w.paths {
		now := statFile(p, w.log)
		if !now.equal(w.seen[i]) {
			changed = append(changed, p)
			w.seen[i] = now
		}
	}
	w.mu.Unlock()
	if len(changed) > 0 {
		w.action(changed)
	}
	return nil
}
