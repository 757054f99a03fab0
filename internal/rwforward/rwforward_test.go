package rwforward

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
)

// plain is a ResponseWriter with no optional method at all.
type plain struct {
	h   http.Header
	buf bytes.Buffer
}

func (p *plain) Header() http.Header {
	if p.h == nil {
		p.h = http.Header{}
	}
	return p.h
}
func (p *plain) Write(b []byte) (int, error) { return p.buf.Write(b) }
func (p *plain) WriteHeader(int)             {}

// rich has every optional method, each noting that it ran.
type rich struct {
	plain
	calls []string
}

func (r *rich) WriteString(s string) (int, error) {
	r.calls = append(r.calls, "WriteString")
	return r.buf.WriteString(s)
}

func (r *rich) ReadFrom(src io.Reader) (int64, error) {
	r.calls = append(r.calls, "ReadFrom")
	return r.buf.ReadFrom(src)
}

func (r *rich) FlushError() error { r.calls = append(r.calls, "FlushError"); return nil }

func (r *rich) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	r.calls = append(r.calls, "Hijack")
	return nil, nil, nil
}

// flusher has Flush but not FlushError.
type flusher struct {
	plain
	flushed bool
}

func (f *flusher) Flush() { f.flushed = true }

// wrapped hides its writer behind Unwrap only.
type wrapped struct {
	plain
	inner http.ResponseWriter
}

func (w *wrapped) Unwrap() http.ResponseWriter { return w.inner }

func TestWriteString(t *testing.T) {
	r := &rich{}
	if n, err := WriteString(r, "hello"); n != 5 || err != nil || r.buf.String() != "hello" {
		t.Errorf("rich: %d, %v, %q", n, err, r.buf.String())
	}
	if len(r.calls) != 1 || r.calls[0] != "WriteString" {
		t.Errorf("rich: calls %q, want its WriteString", r.calls)
	}
	p := &plain{}
	if n, err := WriteString(p, "hello"); n != 5 || err != nil || p.buf.String() != "hello" {
		t.Errorf("plain: %d, %v, %q", n, err, p.buf.String())
	}
}

func TestReadFrom(t *testing.T) {
	r := &rich{}
	if n, err := ReadFrom(r, strings.NewReader("body")); n != 4 || err != nil || r.buf.String() != "body" {
		t.Errorf("rich: %d, %v, %q", n, err, r.buf.String())
	}
	if len(r.calls) != 1 || r.calls[0] != "ReadFrom" {
		t.Errorf("rich: calls %q, want its ReadFrom", r.calls)
	}
	p := &plain{}
	// A reader without WriteTo, so io.Copy has to look at the writer.
	src := struct{ io.Reader }{strings.NewReader("body")}
	if n, err := ReadFrom(p, src); n != 4 || err != nil || p.buf.String() != "body" {
		t.Errorf("plain: %d, %v, %q", n, err, p.buf.String())
	}
}

func TestCopyHidesReadFrom(t *testing.T) {
	r := &rich{}
	src := struct{ io.Reader }{strings.NewReader("body")}
	if n, err := Copy(r, src); n != 4 || err != nil || r.buf.String() != "body" {
		t.Errorf("Copy: %d, %v, %q", n, err, r.buf.String())
	}
	if len(r.calls) != 0 {
		t.Errorf("Copy called %q; it must only Write", r.calls)
	}
}

func TestFlush(t *testing.T) {
	r := &rich{}
	if err := Flush(r); err != nil || len(r.calls) != 1 || r.calls[0] != "FlushError" {
		t.Errorf("rich: %v, calls %q", err, r.calls)
	}
	f := &flusher{}
	if err := Flush(f); err != nil || !f.flushed {
		t.Errorf("flusher: %v, flushed %v", err, f.flushed)
	}
	inner := &flusher{}
	if err := Flush(&wrapped{inner: inner}); err != nil || !inner.flushed {
		t.Errorf("through Unwrap: %v, flushed %v", err, inner.flushed)
	}
	if err := Flush(&plain{}); !errors.Is(err, http.ErrNotSupported) {
		t.Errorf("plain: %v, want http.ErrNotSupported", err)
	}
}

func TestHijack(t *testing.T) {
	r := &rich{}
	if _, _, err := Hijack(r); err != nil || len(r.calls) != 1 || r.calls[0] != "Hijack" {
		t.Errorf("rich: %v, calls %q", err, r.calls)
	}
	inner := &rich{}
	if _, _, err := Hijack(&wrapped{inner: inner}); err != nil || len(inner.calls) != 1 {
		t.Errorf("through Unwrap: %v, calls %q", err, inner.calls)
	}
	if _, _, err := Hijack(&plain{}); !errors.Is(err, http.ErrNotSupported) {
		t.Errorf("plain: %v, want http.ErrNotSupported", err)
	}
}

func TestIsFinal(t *testing.T) {
	for code, want := range map[int]bool{
		100: false, 102: false, 103: false, 199: false,
		101: true, 200: true, 204: true, 304: true, 404: true, 500: true,
	} {
		if got := IsFinal(code); got != want {
			t.Errorf("IsFinal(%d) = %v, want %v", code, got, want)
		}
	}
}

func TestBodyAllowed(t *testing.T) {
	for _, c := range []struct {
		method string
		status int
		want   bool
	}{
		{http.MethodGet, 200, true},
		{http.MethodPost, 201, true},
		{http.MethodGet, 404, true},
		{http.MethodHead, 200, false},
		{http.MethodHead, 404, false},
		{http.MethodGet, 0, false},
		{http.MethodGet, 100, false},
		{http.MethodGet, 101, false},
		{http.MethodGet, 103, false},
		{http.MethodGet, 204, false},
		{http.MethodGet, 304, false},
	} {
		if got := BodyAllowed(c.method, c.status); got != c.want {
			t.Errorf("BodyAllowed(%s, %d) = %v, want %v", c.method, c.status, got, c.want)
		}
	}
}

// The helpers make no allocation of their own on the paths the writers
// take for every request.
func TestNoAllocation(t *testing.T) {
	r := &rich{}
	r.buf.Grow(1 << 16)
	var w http.ResponseWriter = r
	allocs := testing.AllocsPerRun(100, func() {
		r.calls = r.calls[:0]
		_, _ = WriteString(w, "x")
		_ = Flush(w)
		_ = IsFinal(200)
		_ = BodyAllowed(http.MethodGet, 200)
	})
	if allocs != 0 {
		t.Errorf("%v allocations per run, want 0", allocs)
	}
}
