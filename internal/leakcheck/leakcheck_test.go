package leakcheck

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeTB records what Check does with a testing.TB, so that a leak can be
// provoked without failing the real test.
type fakeTB struct {
	testing.TB
	mu       sync.Mutex
	cleanups []func()
	errs     []string
}

func (f *fakeTB) Helper() {}

func (f *fakeTB) Cleanup(fn func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cleanups = append(f.cleanups, fn)
}

func (f *fakeTB) Errorf(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.errs = append(f.errs, fmt.Sprintf(format, args...))
}

// finish runs the cleanups last-registered first, as testing does.
func (f *fakeTB) finish() []string {
	for i := len(f.cleanups) - 1; i >= 0; i-- {
		f.cleanups[i]()
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.errs
}

func blockedUntil(release <-chan struct{}, done chan<- struct{}) {
	<-release
	close(done)
}

func TestCheckReportsLeak(t *testing.T) {
	release, done := make(chan struct{}), make(chan struct{})
	t.Cleanup(func() {
		close(release)
		<-done
	})
	fake := &fakeTB{TB: t}
	Check(fake, Grace(50*time.Millisecond))
	go blockedUntil(release, done)

	errs := fake.finish()
	if len(errs) != 1 {
		t.Fatalf("got %d errors, want 1: %q", len(errs), errs)
	}
	for _, want := range []string{"1 goroutine(s) leaked", "leakcheck.blockedUntil"} {
		if !strings.Contains(errs[0], want) {
			t.Errorf("error %q does not mention %q", errs[0], want)
		}
	}
}

func TestCheckPassesWhenGoroutinesEnd(t *testing.T) {
	fake := &fakeTB{TB: t}
	Check(fake)
	release, done := make(chan struct{}), make(chan struct{})
	go blockedUntil(release, done)
	// Released by a cleanup that runs before Check's.
	fake.Cleanup(func() { close(release) })
	// Still busy when the check starts: the check waits for it to end.
	go time.Sleep(20 * time.Millisecond)
	if errs := fake.finish(); len(errs) > 0 {
		t.Errorf("unexpected leak report: %q", errs)
	}
	<-done
}

func TestCheckIgnoresEarlierGoroutinesAndIgnoredTops(t *testing.T) {
	release, done := make(chan struct{}), make(chan struct{})
	go blockedUntil(release, done) // alive before Check: not a leak
	release2, done2 := make(chan struct{}), make(chan struct{})
	t.Cleanup(func() {
		close(release)
		close(release2)
		<-done
		<-done2
	})

	fake := &fakeTB{TB: t}
	Check(fake, Grace(50*time.Millisecond), IgnoreTopFunction("github.com/seed-49a6713b/cherrygo/internal/leakcheck.blockedUntil"))
	go blockedUntil(release2, done2)
	if errs := fake.finish(); len(errs) > 0 {
		t.Errorf("unexpected leak report: %q", errs)
	}
}

func TestCheckIgnoresOtherParallelTests(t *testing.T) {
	fake := &fakeTB{TB: t}
	Check(fake, Grace(50*time.Millisecond))
	release, done := make(chan struct{}), make(chan struct{})
	started := make(chan struct{})
	// A subtest stands in for another test running in parallel: the
	// goroutine it starts is its own, not this test's.
	t.Run("other", func(t *testing.T) {
		go blockedUntil(release, done)
		// The check runs while the subtest is still alive.
		close(started)
		if errs := fake.finish(); len(errs) > 0 {
			t.Errorf("unexpected leak report: %q", errs)
		}
	})
	<-started
	close(release)
	<-done
}

func TestRunReportsLeakAfterTests(t *testing.T) {
	release, done := make(chan struct{}), make(chan struct{})
	t.Cleanup(func() {
		close(release)
		<-done
	})
	var stderr bytes.Buffer
	code := run(func() int {
		go blockedUntil(release, done)
		return 0
	}, &stderr, Grace(50*time.Millisecond))
	if code != 1 {
		t.Errorf("code = %d, want 1", code)
	}
	if !strings.Contains(stderr.String(), "leakcheck.blockedUntil") {
		t.Errorf("stderr does not list the leaked goroutine:\n%s", stderr.String())
	}
}

func TestRunKeepsFailureCodeAndPassesClean(t *testing.T) {
	var stderr bytes.Buffer
	if code := run(func() int { return 3 }, &stderr); code != 3 {
		t.Errorf("failing tests: code = %d, want 3", code)
	}
	if code := run(func() int { return 0 }, &stderr); code != 0 {
		t.Errorf("clean tests: code = %d, want 0", code)
	}
	if stderr.Len() > 0 {
		t.Errorf("unexpected output: %s", stderr.String())
	}
}

func TestParse(t *testing.T) {
	const block = `goroutine 12 [chan receive, 2 minutes]:
example.com/p.(*Server).loop(0xc000010000, {0x1, 0x2})
	/src/p/server.go:40 +0x1d
example.com/p.Serve(...)
	/src/p/server.go:12
created by example.com/p.Start in goroutine 7
	/src/p/server.go:8 +0x22`
	g := parse(block)
	if g == nil {
		t.Fatal("parse returned nil")
	}
	got := fmt.Sprintf("%d %d %q %q %q %q", g.id, g.parent, g.state, g.funcs, g.created, g.top())
	want := `12 7 "chan receive, 2 minutes" ["example.com/p.(*Server).loop" "example.com/p.Serve"] "example.com/p.Start" "example.com/p.(*Server).loop"`
	if got != want {
		t.Errorf("parsed\n%s\nwant\n%s", got, want)
	}
	if !strings.HasPrefix(g.text, "goroutine 12") {
		t.Errorf("text = %q", g.text)
	}
	for _, bad := range []string{"not a goroutine", "goroutine x [running]:"} {
		if parse(bad) != nil {
			t.Errorf("parse(%q) is not nil", bad)
		}
	}
}

func TestSnapshotSeesCurrentGoroutine(t *testing.T) {
	all := snapshot()
	g := all[currentID()]
	if g == nil {
		t.Fatal("the current goroutine is not in the snapshot")
	}
	const fn = "github.com/seed-49a6713b/cherrygo/internal/leakcheck.TestSnapshotSeesCurrentGoroutine"
	if !g.has(fn) {
		t.Errorf("frames %q do not include %s", g.funcs, fn)
	}
}
