package engine_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/seed-49a6713b/cherrygo/engine"
)

// BenchmarkPublish measures one publish with 0, 1 and 10 listeners. The
// 0-listener case is what every request pays for before_request and
// after_request when nobody listens: it must not allocate (see
// TestPublishWithoutListenersDoesNotAllocate).
func BenchmarkPublish(b *testing.B) {
	for _, n := range []int{0, 1, 10} {
		b.Run(fmt.Sprintf("listeners=%d", n), func(b *testing.B) {
			bus := engine.New()
			for i := range n {
				bus.Subscribe(engine.ChannelBeforeRequest, func(context.Context, any) (any, error) {
					return nil, nil
				}, i)
			}
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := bus.Publish(ctx, engine.ChannelBeforeRequest, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
