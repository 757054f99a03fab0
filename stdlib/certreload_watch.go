package stdlib

import (
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"
)

// certQuiet is how long the TLS files must be left alone after a change
// before they are read again: a pair written in steps (the certificate,
// then the key) is read once both are there.
const certQuiet = 250 * time.Millisecond

// certWatch watches the directories of a server's TLS files during one run
// and reloads the pair when they change.
type certWatch struct {
	w    *fsnotify.Watcher
	stop chan struct{} // closed by close
	done chan struct{} // closed when the watching goroutine returns
}

// watch starts watching the directories of s's files (the directories,
// not the files: a file replaced by a rename, or Kubernetes swapping the
// ..data link of a mounted Secret, leaves a watch on the old file behind).
// When no directory can be watched it logs a warning and returns nil:
// ReloadCertificate still works.
func (s *certSource) watch(log *slog.Logger) *certWatch {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		log.Warn("TLS certificate files are not watched: reload through ReloadCertificate or a graceful reload (SIGUSR1)", "err", err)
		return nil
	}
	var dirs []string
	for _, d := range s.files.dirs() {
		if err := w.Add(d); err != nil {
			log.Warn("TLS certificate directory is not watched", "dir", d, "err", err)
			continue
		}
		dirs = append(dirs, d)
	}
	if len(dirs) == 0 {
		_ = w.Close()
		log.Warn("TLS certificate files are not watched: reload through ReloadCertificate or a graceful reload (SIGUSR1)")
		return nil
	}
	cw := &certWatch{w: w, stop: make(chan struct{}), done: make(chan struct{})}
	d := debouncer{
		quiet:    certQuiet,
		relevant: s.files.touchedBy,
		fire:     func() { _ = s.reload(log, "file change") },
		warn:     func(err error) { log.Warn("watching the TLS certificate files", "err", err) },
	}
	go func() {
		defer close(cw.done)
		d.run(cw.stop, w.Events, w.Errors)
	}()
	log.Debug("watching the TLS certificate files", "dirs", dirs)
	return cw
}

// close stops the watch and returns once its goroutine is gone. A nil
// watch does nothing.
func (cw *certWatch) close() {
	if cw == nil {
		return
	}
	close(cw.stop)
	<-cw.done
	_ = cw.w.Close()
}

// dirs returns the directories of the files, each once.
func (f tlsFiles) dirs() []string {
	var dirs []string
	for _, p := range f.paths() {
		if d := filepath.Dir(p); !slices.Contains(dirs, d) {
			dirs = append(dirs, d)
		}
	}
	return dirs
}

// paths returns the files that are set.
func (f tlsFiles) paths() []string {
	ps := []string{f.cert, f.key}
	if f.chain != "" {
		ps = append(ps, f.chain)
	}
	return ps
}

// touchedBy reports whether ev, an event in one of the files'
// directories, may have changed what the files hold: it names one of them,
// or an entry beginning with "..", as those Kubernetes swaps to update a
// mounted Secret or ConfigMap do (..data, ..2006_01_02_15_04_05.…).
func (f tlsFiles) touchedBy(ev fsnotify.Event) bool {
	name := filepath.Clean(ev.Name)
	for _, p := range f.paths() {
		if filepath.Clean(p) == name {
			return true
		}
	}
	return strings.HasPrefix(filepath.Base(name), "..")
}

// debouncer turns a burst of file events into one call of fire, made once
// no relevant event came for quiet.
type debouncer struct {
	quiet    time.Duration
	relevant func(fsnotify.Event) bool
	fire     func()      // runs on run's goroutine
	warn     func(error) // a watch error (events lost, say)
}

// run reads events and errs until stop is closed or events is closed. A
// relevant event (re)arms a timer of quiet; fire is called when it goes
// off. An event that comes while fire runs arms the timer again, so a
// pair that failed half-written is read again after the next change.
func (d debouncer) run(stop <-chan struct{}, events <-chan fsnotify.Event, errs <-chan error) {
	timer := time.NewTimer(d.quiet)
	timer.Stop()
	defer timer.Stop()
	var due <-chan time.Time // nil while nothing is pending
	for {
		select {
		case <-stop:
			return
		case ev, ok := <-events:
			if !ok {
				return
			}
			if d.relevant(ev) {
				timer.Reset(d.quiet) // since Go 1.23 no stale tick can follow
				due = timer.C
			}
		case err, ok := <-errs:
			if !ok {
				errs = nil
				continue
			}
			d.warn(err)
		case <-due:
			due = nil
			d.fire()
		}
	}
}
