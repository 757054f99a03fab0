package engine_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/seed-49a6713b/cherrygo/engine"
)

// Listeners run in priority order, lower first; equal priorities run in the
// order they subscribed. Every listener runs even when one fails, and
// Publish reports the failures together.
func ExampleBus_Subscribe() {
	b := engine.New()
	ctx := context.Background()
	say := func(msg string) engine.Listener {
		return func(_ context.Context, arg any) (any, error) {
			fmt.Println(msg, arg)
			return msg, nil
		}
	}
	b.Subscribe("greet", say("third"), 90)
	b.Subscribe("greet", say("first"), 10)
	b.Subscribe("greet", say("second (default priority)"), engine.DefaultPriority)
	unsubscribe := b.Subscribe("greet", say("never"), engine.DefaultPriority)
	unsubscribe()
	b.Subscribe("greet", engine.Func(func(context.Context) error {
		return errors.New("out of cheese")
	}), 95)

	results, err := b.Publish(ctx, "greet", "hello")
	fmt.Println(results)
	var failed *engine.ListenerError
	if errors.As(err, &failed) {
		fmt.Printf("listener at priority %d failed: %v\n", failed.Priority, failed.Err)
	}
	// Output:
	// first hello
	// second (default priority) hello
	// third hello
	// [first second (default priority) third <nil>]
	// listener at priority 95 failed: out of cheese
}

// exampleServer stands in for an HTTP server: a component with a start
// and a stop.
type exampleServer struct{ name string }

func (s *exampleServer) Start(context.Context) error { fmt.Println(s.name, "listening"); return nil }
func (s *exampleServer) Stop(context.Context) error  { fmt.Println(s.name, "closed"); return nil }

// A component subscribes its Start and Stop at once; servers start late (75)
// and stop early (25).
func ExampleBus_Start() {
	b := engine.New()
	ctx := context.Background()
	b.SubscribeComponent(&exampleServer{name: "http"}, engine.PriorityServerStart, engine.PriorityServerStop)
	b.Subscribe(engine.ChannelStop, engine.Func(func(context.Context) error {
		fmt.Println("flushing logs")
		return nil
	}), engine.DefaultPriority)

	if err := b.Start(ctx); err != nil {
		fmt.Println("start failed:", err)
		return
	}
	fmt.Println(b.State())
	if err := b.Stop(ctx); err != nil {
		fmt.Println("stop failed:", err)
	}
	fmt.Println(b.State())
	// Output:
	// http listening
	// STARTED
	// http closed
	// flushing logs
	// STOPPED
}

// When a start listener fails, the components that had started are stopped
// again and Start returns the error: the program decides what to do.
func ExampleBus_Start_rollBack() {
	b := engine.New()
	ctx := context.Background()
	errNoCert := errors.New("no certificate")
	b.SubscribeComponent(&exampleServer{name: "metrics"}, 60, engine.PriorityServerStop)
	b.Subscribe(engine.ChannelStart, engine.Func(func(context.Context) error {
		return errNoCert
	}), engine.PriorityServerStart)

	err := b.Start(ctx)
	fmt.Println(errors.Is(err, errNoCert), b.State())
	// Output:
	// metrics listening
	// metrics closed
	// true STOPPED
}

// A program's main runs the bus until something asks it to exit, then turns
// the outcome into an exit code.
func ExampleBus_Block() {
	b := engine.New()
	ctx := context.Background()
	if err := b.StartWithCallback(ctx, func(context.Context) {
		fmt.Println("started; asking to exit")
		b.RequestExit(0)
	}); err != nil {
		fmt.Println(err)
		return
	}
	if err := b.Block(ctx); err != nil {
		fmt.Println(err)
	}
	fmt.Println(b.State(), b.ExitCode())
	// Output:
	// started; asking to exit
	// EXITING 0
}
