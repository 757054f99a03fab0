package leakcheck

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

// Option changes what Check and Main accept.
type Option func(*config)

type config struct {
	grace  time.Duration
	ignore []string
}

// IgnoreTopFunction accepts goroutines whose innermost function is fn, a
// fully qualified name as stacks print it ("net/http.(*persistConn).readLoop").
func IgnoreTopFunction(fn string) Option {
	return func(c *config) { c.ignore = append(c.ignore, fn) }
}

// Grace sets how long Check and Main wait for goroutines to end before they
// report them (5 s by default).
func Grace(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.grace = d
		}
	}
}

func newConfig(opts []Option) *config {
	c := &config{grace: 5 * time.Second}
	for _, o := range opts {
		o(c)
	}
	return c
}

// pollInterval is how often the stacks are read again while waiting.
const pollInterval = 5 * time.Millisecond

// Check records the goroutines alive now and registers a cleanup on t that
// fails t, listing the stacks, if goroutines started after this call are
// still running once the grace period is over.
//
// Call it from the test's own goroutine, before registering the cleanups
// that stop what the test starts.
func Check(t testing.TB, opts ...Option) {
	t.Helper()
	c := newConfig(opts)
	before := snapshot()
	self := currentID()
	t.Cleanup(func() {
		if leaked := c.wait(before, self); len(leaked) > 0 {
			t.Errorf("leakcheck: %d goroutine(s) leaked:\n\n%s", len(leaked), format(leaked))
		}
	})
}

// Main runs the package's tests and then checks that no goroutine other
// than the main one is left. It ends the process: with m.Run's code, or
// with 1 when the tests passed but goroutines leaked (their stacks go to
// standard error). Call it as the whole body of TestMain.
func Main(m *testing.M, opts ...Option) {
	os.Exit(run(m.Run, os.Stderr, opts...))
}

// run is Main without the exit, for tests.
func run(tests func() int, stderr io.Writer, opts ...Option) int {
	c := newConfig(opts)
	self := currentID()
	code := tests()
	if code != 0 {
		return code // the failing tests tell the story; leaks are likely noise
	}
	if leaked := c.wait(nil, self); len(leaked) > 0 {
		fmt.Fprintf(stderr, "leakcheck: %d goroutine(s) leaked after the tests:\n\n%s\n", len(leaked), format(leaked))
		return 1
	}
	return code
}

// wait polls until no goroutine other than those in before, self and the
// accepted ones is left, or the grace period is over; it returns what is
// left.
func (c *config) wait(before map[uint64]*goroutine, self uint64) []*goroutine {
	deadline := time.Now().Add(c.grace)
	for {
		leaked := c.leaked(before, self)
		if len(leaked) == 0 || time.Now().After(deadline) {
			return leaked
		}
		time.Sleep(pollInterval)
	}
}

// leaked returns the goroutines that are neither in before, nor self, nor
// accepted, in id order.
func (c *config) leaked(before map[uint64]*goroutine, self uint64) []*goroutine {
	now := snapshot()
	var out []*goroutine
	for id, g := range now {
		if id == self || before[id] != nil || c.accepted(g) || otherTest(g, now, self) {
			continue
		}
		out = append(out, g)
	}
	slices.SortFunc(out, func(a, b *goroutine) int {
		switch {
		case a.id < b.id:
			return -1
		case a.id > b.id:
			return 1
		}
		return 0
	})
	return out
}

// framework reports whether fn marks a goroutine of the testing package or
// of the test binary's main rather than of the code under test.
func framework(fn string) bool {
	switch fn {
	case "testing.tRunner", "testing.(*T).Run", "testing.(*M).Run",
		"testing.(*F).Fuzz", "testing.runTests", "testing.runFuzzTests",
		"testing.runFuzzing", "testing.(*B).run1", "testing.(*B).doBench",
		"testing.(*B).launch", "testing.runExamples", "main.main":
		return true
	}
	return false
}

// longLived reports whether fn is the innermost function of a goroutine the
// runtime or the standard library starts on demand and never stops.
func longLived(fn string) bool {
	switch fn {
	case "os/signal.signal_recv", "os/signal.loop", "runtime.ensureSigM",
		"runtime.ensureSigM.func1", "runtime.goexit", "runtime/trace.Start.func1":
		return true
	}
	return false
}

func (c *config) accepted(g *goroutine) bool {
	if slices.ContainsFunc(g.funcs, framework) {
		return true
	}
	top := g.top()
	return longLived(top) || slices.Contains(c.ignore, top) ||
		g.created == "os/signal.Notify.func1.1"
}

// otherTest reports whether g descends, through the "created by" lines of
// goroutines still alive, from a test goroutine other than self: with
// parallel tests, that goroutine is the other test's business.
func otherTest(g *goroutine, all map[uint64]*goroutine, self uint64) bool {
	for range len(all) { // bounded: ancestry cannot be longer than all
		if g.parent == 0 || g.parent == self {
			return false
		}
		p := all[g.parent]
		if p == nil {
			return false
		}
		if p.has("testing.tRunner") {
			return true
		}
		g = p
	}
	return false
}

func format(gs []*goroutine) string {
	var b strings.Builder
	for i, g := range gs {
		if i > 0 {
			b.WriteString("\n\n")
		}
		b.WriteString(g.text)
	}
	return b.String()
}
