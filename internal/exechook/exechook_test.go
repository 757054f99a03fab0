package exechook

import (
	"context"
	"errors"
	"testing"
)

func TestWithFrom(t *testing.T) {
	if _, ok := From(context.Background()); ok {
		t.Fatal("From found a hook in a bare context")
	}
	if ctx := With(context.Background(), nil); ctx != context.Background() {
		t.Error("With(nil) did not return the context unchanged")
	}
	sentinel := errors.New("sentinel")
	var got string
	ctx := With(context.Background(), func(argv0 string, _, _ []string) error {
		got = argv0
		return sentinel
	})
	ctx, cancel := context.WithCancel(ctx) // a derived context keeps the hook
	defer cancel()
	exec, ok := From(ctx)
	if !ok {
		t.Fatal("From did not find the hook")
	}
	if err := exec("/bin/prog", nil, nil); !errors.Is(err, sentinel) || got != "/bin/prog" {
		t.Errorf("hook returned %v after seeing %q", err, got)
	}
}
