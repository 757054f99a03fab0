package leakcheck

import (
	"bytes"
	"runtime"
	"strconv"
	"strings"
)

// goroutine is one goroutine parsed from runtime.Stack output.
type goroutine struct {
	id      uint64
	parent  uint64   // creator's id, 0 when unknown
	state   string   // "chan receive", "running", …
	funcs   []string // function names, innermost first
	created string   // function named by the "created by" line
	text    string   // the goroutine's whole stack as printed
}

// top returns the innermost function, or "" for an empty stack.
func (g *goroutine) top() string {
	if len(g.funcs) == 0 {
		return ""
	}
	return g.funcs[0]
}

// has reports whether fn is one of the goroutine's frames.
func (g *goroutine) has(fn string) bool {
	for _, f := range g.funcs {
		if f == fn {
			return true
		}
	}
	return false
}

// snapshot returns every goroutine alive now, keyed by id.
func snapshot() map[uint64]*goroutine {
	buf := make([]byte, 64<<10)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	all := make(map[uint64]*goroutine)
	for _, block := range bytes.Split(buf, []byte("\n\n")) {
		if g := parse(string(block)); g != nil {
			all[g.id] = g
		}
	}
	return all
}

// currentID returns the id of the calling goroutine.
func currentID() uint64 {
	buf := make([]byte, 128)
	n := runtime.Stack(buf, false)
	if g := parse(string(buf[:n])); g != nil {
		return g.id
	}
	return 0
}

// parse reads one goroutine block:
//
//	goroutine 7 [chan receive]:
//	pkg.fn(args)
//		/file.go:12 +0x1d
//	created by pkg.other in goroutine 1
//		/file.go:8 +0x22
func parse(block string) *goroutine {
	block = strings.TrimSpace(block)
	header, rest, _ := strings.Cut(block, "\n")
	after, ok := strings.CutPrefix(header, "goroutine ")
	if !ok {
		return nil
	}
	idText, state, ok := strings.Cut(after, " ")
	if !ok {
		return nil
	}
	id, err := strconv.ParseUint(idText, 10, 64)
	if err != nil {
		return nil
	}
	g := &goroutine{
		id:    id,
		state: strings.TrimSuffix(strings.TrimPrefix(state, "["), "]:"),
		text:  block,
	}
	for line := range strings.SplitSeq(rest, "\n") {
		if line == "" || line[0] == '\t' || line[0] == ' ' {
			continue // a file:line, or blank
		}
		if c, ok := strings.CutPrefix(line, "created by "); ok {
			fn, parent, _ := strings.Cut(c, " in goroutine ")
			g.created = fn
			g.parent, _ = strconv.ParseUint(parent, 10, 64)
			continue
		}
		g.funcs = append(g.funcs, funcName(line))
	}
	return g
}

// funcName strips the argument list from a frame line:
// "pkg.(*T).m(0x1, 0x2)" becomes "pkg.(*T).m".
func funcName(line string) string {
	if i := strings.LastIndex(line, "("); i > 0 && strings.HasSuffix(line, ")") {
		return line[:i]
	}
	return line
}
