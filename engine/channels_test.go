package engine_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/seed-49a6713b/cherrygo/engine"
)

// orderRecorder returns a listener that appends name to *order (under mu) and
// returns name as its result.
func orderRecorder(mu *sync.Mutex, order *[]string, name string) engine.Listener {
	return func(context.Context, any) (any, error) {
		mu.Lock()
		defer mu.Unlock()
		*order = append(*order, name)
		return name, nil
	}
}

func TestDefaultPriorityIs50(t *testing.T) {
	if engine.DefaultPriority != 50 {
		t.Fatalf("DefaultPriority = %d, want 50", engine.DefaultPriority)
	}
}

func TestPublishOrdersByPriorityThenSubscription(t *testing.T) {
	b := newBus(t)
	var (
		mu    sync.Mutex
		order []string
	)
	b.Subscribe("c", orderRecorder(&mu, &order, "default-1"), engine.DefaultPriority)
	b.Subscribe("c", orderRecorder(&mu, &order, "late-90"), 90)
	b.Subscribe("c", orderRecorder(&mu, &order, "early-10"), 10)
	b.Subscribe("c", orderRecorder(&mu, &order, "default-2"), engine.DefaultPriority)
	b.Subscribe("c", orderRecorder(&mu, &order, "negative"), -5)
	b.Subscribe("c", orderRecorder(&mu, &order, "default-3"), engine.DefaultPriority)
	b.Subscribe("other", orderRecorder(&mu, &order, "other"), 0)

	results, err := b.Publish(busCtx(t), "c", nil)
	if err != nil {
		t.Fatalf("Publish: %v", err)
	}
	want := []string{"negative", "early-10", "default-1", "default-2", "default-3", "late-90"}
	if !slices.Equal(order, want) {
		t.Errorf("order = %v, want %v", order, want)
	}
	if got := fmt.Sprint(results); got != fmt.Sprint(want) {
		t.Errorf("results = %v, want %v", got, want)
	}
}

func TestPublishPassesArgAndContext(t *testing.T) {
	b := newBus(t)
	type key struct{}
	ctx := context.WithValue(busCtx(t), key{}, "v")
	b.Subscribe("c", func(ctx context.Context, arg any) (any, error) {
		return fmt.Sprint(ctx.Value(key{}), arg), nil
	}, engine.DefaultPriority)
	results, err := b.Publish(ctx, "c", 42)
	if err != nil || len(results) != 1 || results[0] != "v42" {
		t.Fatalf("Publish = %v, %v; want [v42], nil", results, err)
	}
}

func TestPublishUnknownChannelIsNoOp(t *testing.T) {
	b := newBus(t)
	results, err := b.Publish(busCtx(t), "nobody-listens", "x")
	if results != nil || err != nil {
		t.Fatalf("Publish = %v, %v; want nil, nil", results, err)
	}
}

func TestUnsubscribe(t *testing.T) {
	b := newBus(t)
	var (
		mu    sync.Mutex
		order []string
	)
	unA := b.Subscribe("c", orderRecorder(&mu, &order, "a"), engine.DefaultPriority)
	b.Subscribe("c", orderRecorder(&mu, &order, "b"), engine.DefaultPriority)
	if n := b.Listeners("c"); n != 2 {
		t.Fatalf("Listeners = %d, want 2", n)
	}
	unA()
	unA() // idempotent: must not remove b
	if n := b.Listeners("c"); n != 1 {
		t.Fatalf("Listeners after unsubscribe = %d, want 1", n)
	}
	if _, err := b.Publish(busCtx(t), "c", nil); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(order, []string{"b"}) {
		t.Errorf("order = %v, want [b]", order)
	}
}

func TestSubscribeFromInsideListener(t *testing.T) {
	b := newBus(t)
	var (
		mu    sync.Mutex
		order []string
	)
	b.Subscribe("c", func(context.Context, any) (any, error) {
		// Both calls take the subscription lock: they must not deadlock
		// with the publish that is running.
		b.Subscribe("c", orderRecorder(&mu, &order, "added"), 99)
		unsub := b.Subscribe("other", orderRecorder(&mu, &order, "x"), 0)
		unsub()
		return orderRecorder(&mu, &order, "first")(context.Background(), nil)
	}, 1)

	done := make(chan error, 1)
	go func() {
		_, err := b.Publish(context.Background(), "c", nil)
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(busWaitTimeout):
		t.Fatal("Publish deadlocked when a listener subscribed")
	}
	// The running publish kept the listeners it started with.
	if !slices.Equal(order, []string{"first"}) {
		t.Fatalf("first publish ran %v, want [first]", order)
	}
	order = nil
	b.Subscribe("c", func(context.Context, any) (any, error) { return nil, nil }, 100)
	if _, err := b.Publish(busCtx(t), "c", nil); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(order, []string{"first", "added"}) {
		t.Errorf("second publish ran %v, want [first added]", order)
	}
}

func TestPublishRunsEveryListenerAndJoinsFailures(t *testing.T) {
	b := newBus(t)
	errA := errors.New("a failed")
	errC := errors.New("c failed")
	var (
		mu    sync.Mutex
		order []string
	)
	b.Subscribe("c", func(context.Context, any) (any, error) { return nil, errA }, 10)
	b.Subscribe("c", func(context.Context, any) (any, error) { panic("b exploded") }, 20)
	b.Subscribe("c", func(context.Context, any) (any, error) { return "partial", errC }, 30)
	b.Subscribe("c", func(context.Context, any) (any, error) { panic(fmt.Errorf("wrapped: %w", errA)) }, 40)
	b.Subscribe("c", orderRecorder(&mu, &order, "last"), 50)

	results, err := b.Publish(busCtx(t), "c", nil)
	if !slices.Equal(order, []string{"last"}) {
		t.Errorf("the listener after the failures did not run: %v", order)
	}
	if want := []any{nil, nil, "partial", nil, "last"}; fmt.Sprint(results) != fmt.Sprint(want) {
		t.Errorf("results = %v, want %v", results, want)
	}
	if !errors.Is(err, errA) || !errors.Is(err, errC) {
		t.Errorf("errors.Is does not reach each failure: %v", err)
	}
	var chErr *engine.ChannelError
	if !errors.As(err, &chErr) {
		t.Fatalf("error %T is not a *ChannelError", err)
	}
	if chErr.Channel != "c" || len(chErr.Errs) != 4 {
		t.Fatalf("ChannelError = channel %q with %d errors, want c with 4", chErr.Channel, len(chErr.Errs))
	}
	var priorities []int
	for _, e := range chErr.Errs {
		var le *engine.ListenerError
		if !errors.As(e, &le) {
			t.Fatalf("failure %T is not a *ListenerError", e)
		}
		priorities = append(priorities, le.Priority)
	}
	if !slices.Equal(priorities, []int{10, 20, 30, 40}) {
		t.Errorf("failure priorities = %v, want [10 20 30 40]", priorities)
	}
	var panicked *engine.ListenerError
	errors.As(chErr.Errs[1], &panicked)
	if panicked.Panic != "b exploded" {
		t.Errorf("Panic = %v, want b exploded", panicked.Panic)
	}
	if !strings.Contains(string(panicked.Stack), "channels_test.go") {
		t.Errorf("Stack does not show the panicking listener:\n%s", panicked.Stack)
	}
	if !strings.Contains(panicked.Error(), "panicked: b exploded") {
		t.Errorf("Error() = %q", panicked.Error())
	}
	if !errors.Is(chErr.Errs[3], errA) {
		t.Errorf("a panic with an error value does not unwrap to it: %v", chErr.Errs[3])
	}
	if !strings.Contains(err.Error(), "4 failure(s)") {
		t.Errorf("Error() = %q", err.Error())
	}
}

func TestExitRequestStopsPublishAndExitsBus(t *testing.T) {
	for _, tc := range []struct {
		name        string
		failFirst   bool
		requestCode int
		wantCode    int
	}{
		{"clean exit", false, 0, 0},
		{"code kept", false, 3, 3},
		{"failure before makes code 1", true, 0, 1},
		{"failure before keeps non-zero code", true, 4, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newBus(t)
			ctx := busCtx(t)
			if err := b.Start(ctx); err != nil {
				t.Fatal(err)
			}
			if tc.failFirst {
				b.Subscribe("c", func(context.Context, any) (any, error) { return nil, errors.New("boom") }, 1)
			}
			b.Subscribe("c", func(context.Context, any) (any, error) {
				return nil, &engine.ExitRequest{Code: tc.requestCode}
			}, 2)
			ran := false
			b.Subscribe("c", func(context.Context, any) (any, error) { ran = true; return nil, nil }, 3)

			_, err := b.Publish(ctx, "c", nil)
			var exit *engine.ExitRequest
			if !errors.As(err, &exit) || exit.Code != tc.requestCode {
				t.Fatalf("Publish error %v does not carry the exit request", err)
			}
			waitState(t, b, engine.Exiting)
			if ran {
				t.Error("a listener after the exit request ran")
			}
			if err := b.Block(ctx); err != nil {
				t.Fatalf("Block: %v", err)
			}
			if got := b.ExitCode(); got != tc.wantCode {
				t.Errorf("ExitCode = %d, want %d", got, tc.wantCode)
			}
		})
	}
}

func TestFuncAdapter(t *testing.T) {
	b := newBus(t)
	want := errors.New("from Func")
	b.Subscribe("c", engine.Func(func(context.Context) error { return want }), engine.DefaultPriority)
	if _, err := b.Publish(busCtx(t), "c", "ignored"); !errors.Is(err, want) {
		t.Fatalf("Publish = %v, want %v", err, want)
	}
}

// TestConcurrentSubscribePublishUnsubscribe is for the race detector: it
// hammers the listener table from several goroutines at once.
func TestConcurrentSubscribePublishUnsubscribe(t *testing.T) {
	b := newBus(t)
	const (
		workers = 8
		rounds  = 200
	)
	ctx := busCtx(t)
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			channel := fmt.Sprintf("c%d", w%2)
			for i := range rounds {
				if ctx.Err() != nil {
					errs <- ctx.Err()
					return
				}
				unsub := b.Subscribe(channel, func(context.Context, any) (any, error) { return i, nil }, i%7)
				if _, err := b.Publish(ctx, channel, nil); err != nil {
					errs <- err
					return
				}
				_ = b.Listeners(channel)
				unsub()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for _, c := range []string{"c0", "c1"} {
		if n := b.Listeners(c); n != 0 {
			t.Errorf("%s still has %d listeners", c, n)
		}
	}
}

func TestPublishWithoutListenersDoesNotAllocate(t *testing.T) {
	b := engine.New()
	ctx := context.Background()
	allocs := testing.AllocsPerRun(1000, func() {
		_, _ = b.Publish(ctx, engine.ChannelBeforeRequest, nil)
	})
	if allocs != 0 {
		t.Fatalf("Publish on a channel with no listener: %v allocs/op, want 0", allocs)
	}
}
