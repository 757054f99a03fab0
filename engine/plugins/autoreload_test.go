package plugins

import (
	"os"
	"path/filepath"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-49a6713b/cherrygo/engine"
	"github.com/seed-49a6713b/cherrygo/internal/exechook"
)

// reloadSetup subscribes an Autoreloader watching files, with an action
// that reports the changed paths on the returned channel.
func reloadSetup(t *testing.T, b *engine.Bus, interval time.Duration, files ...string) <-chan []string {
	t.Helper()
	changes := make(chan []string, 16)
	a := &Autoreloader{Files: files, Interval: interval, Action: func(changed []string) {
		select {
		case changes <- changed:
		default:
		}
	}}
	t.Cleanup(a.Subscribe(b))
	return changes
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
}

func TestAutoreloadDetectsChanges(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "app.conf")
	later := filepath.Join(dir, "later.conf")
	writeFile(t, conf, "a=1\n")

	b := newBus(t)
	changes := reloadSetup(t, b, 5*time.Millisecond, conf, later)
	require.NoError(t, b.Start(testCtx(t)))

	writeFile(t, conf, "a=10\n") // the size changes too, whatever the clock resolution
	assert.Equal(t, []string{conf}, receive(t, changes, "the change of "+conf))

	writeFile(t, later, "new\n")
	assert.Equal(t, []string{later}, receive(t, changes, "the creation of "+later))

	require.NoError(t, os.Remove(conf))
	assert.Equal(t, []string{conf}, receive(t, changes, "the removal of "+conf))
}

func TestAutoreloadModTimeOnly(t *testing.T) {
	conf := filepath.Join(t.TempDir(), "app.conf")
	writeFile(t, conf, "a=1\n")
	b := newBus(t)
	changes := reloadSetup(t, b, 5*time.Millisecond, conf)
	require.NoError(t, b.Start(testCtx(t)))
	future := time.Now().Add(time.Hour)
	require.NoError(t, os.Chtimes(conf, future, future))
	assert.Equal(t, []string{conf}, receive(t, changes, "the touch"))
}

// TestAutoreloadOncePerChange runs on synctest's fake clock: the sleeps
// advance it without waiting.
func TestAutoreloadOncePerChange(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		conf := filepath.Join(t.TempDir(), "app.conf")
		writeFile(t, conf, "a=1\n")
		b := newBus(t)
		changes := reloadSetup(t, b, time.Second, conf)
		// Changed before the start: the reference is taken at start.
		writeFile(t, conf, "a=2\n")
		require.NoError(t, b.Start(testCtx(t)))

		advance(10 * time.Second)
		assert.Empty(t, changes, "nothing changed since the start")

		writeFile(t, conf, "a=300\n")
		advance(1500 * time.Millisecond)
		require.Len(t, changes, 1)
		assert.Equal(t, []string{conf}, <-changes)

		advance(10 * time.Second)
		assert.Empty(t, changes, "the changed state is the new reference")

		require.NoError(t, b.Stop(testCtx(t)))
		writeFile(t, conf, "a=4000\n")
		advance(10 * time.Second)
		assert.Empty(t, changes, "no polling while stopped")
	})
}

func TestAutoreloadDefaultActionRestarts(t *testing.T) {
	conf := filepath.Join(t.TempDir(), "app.conf")
	writeFile(t, conf, "a=1\n")
	execs := make(chan []string, 2)
	ctx := exechook.With(testCtx(t), func(_ string, argv []string, _ []string) error {
		select {
		case execs <- argv:
		default:
		}
		return nil
	})
	b := newBus(t)
	t.Cleanup((&Autoreloader{Files: []string{conf}, Interval: 5 * time.Millisecond}).Subscribe(b))
	require.NoError(t, b.Start(ctx))
	writeFile(t, conf, "a=22\n")
	require.NoError(t, b.Block(ctx), "the bus exits and re-executes")
	assert.Equal(t, os.Args, receive(t, execs, "the re-exec"))
}

func TestAutoreloadWatchesExecutable(t *testing.T) {
	exe, err := os.Executable()
	require.NoError(t, err)
	log, _ := newLogger()
	a := &Autoreloader{Files: []string{"a.conf", exe, "a.conf"}}
	assert.Equal(t, []string{exe, "a.conf"}, a.paths(log))
}

func TestAutoreloadUnsubscribe(t *testing.T) {
	b := newBus(t)
	unsubscribe := (&Autoreloader{Action: func([]string) {}}).Subscribe(b)
	require.NoError(t, b.Start(testCtx(t)))
	unsubscribe()
	unsubscribe()
	for _, ch := range []string{engine.ChannelStart, engine.ChannelStop, engine.ChannelGraceful} {
		assert.Zero(t, b.Listeners(ch), ch)
	}
}
