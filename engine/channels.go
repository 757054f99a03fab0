package engine

import (
	"cmp"
	"context"
	"errors"
	"runtime/debug"
	"slices"
)

// The channels the bus itself publishes on. Any other name is a custom
// channel; the signal plugin publishes each signal on its own name
// ("SIGTERM", "SIGHUP", …).
const (
	ChannelStart    = "start"
	ChannelStop     = "stop"
	ChannelGraceful = "graceful"
	ChannelExit     = "exit"
	ChannelMain     = "main"
	// ChannelBeforeRequest and ChannelAfterRequest are published for every
	// request by the gateway; with no listener they cost nothing.
	ChannelBeforeRequest = "before_request"
	ChannelAfterRequest  = "after_request"
)

// DefaultPriority is the priority of a listener that has no reason to run
// earlier or later than others.
const DefaultPriority = 50

// A Listener receives what is published on a channel it is subscribed to.
// arg is the value given to Publish (nil for the bus's own channels). The
// result is collected by Publish; a non-nil error is reported to the
// publisher together with every other failure of the same publish.
//
// A listener must not call the bus's lifecycle methods (Start, Stop, Exit,
// …) itself: it returns an *ExitRequest, or calls RequestExit, instead.
type Listener func(ctx context.Context, arg any) (any, error)

// Func adapts a function that needs neither the argument nor a result.
func Func(fn func(ctx context.Context) error) Listener {
	return func(ctx context.Context, _ any) (any, error) { return nil, fn(ctx) }
}

type subscription struct {
	channel  string
	priority int
	seq      uint64
	fn       Listener
	// undo, when set, is run to roll back this start listener after a later
	// start listener failed (see SubscribeComponent).
	undo Listener
}

// table maps a channel to its listeners in running order. A table is never
// modified once published through Bus.subs: Subscribe and Unsubscribe copy.
type table map[string][]*subscription

// Subscribe adds fn to channel with the given priority (lower runs first;
// equal priorities run in subscription order) and returns a function that
// removes it again. The returned function is idempotent.
//
// Subscribe is safe for concurrent use, also from inside a listener: a
// publish already running keeps the listeners it started with.
func (b *Bus) Subscribe(channel string, fn Listener, priority int) (unsubscribe func()) {
	s := &subscription{channel: channel, priority: priority, fn: fn}
	b.add(s)
	return func() { b.remove(s) }
}

func (b *Bus) add(subs ...*subscription) {
	b.subsMu.Lock()
	defer b.subsMu.Unlock()
	old := *b.subs.Load()
	next := make(table, len(old)+1)
	for k, v := range old {
		next[k] = v
	}
	for _, s := range subs {
		b.seq++
		s.seq = b.seq
		list := slices.Clone(next[s.channel])
		i, _ := slices.BinarySearchFunc(list, s, func(a, t *subscription) int {
			if c := cmp.Compare(a.priority, t.priority); c != 0 {
				return c
			}
			return -1 // same priority: the newcomer goes after every older one
		})
		next[s.channel] = slices.Insert(list, i, s)
	}
	b.subs.Store(&next)
	b.perRequest.Store(int32(len(next[ChannelBeforeRequest]) + len(next[ChannelAfterRequest])))
}

func (b *Bus) remove(subs ...*subscription) {
	b.subsMu.Lock()
	defer b.subsMu.Unlock()
	old := *b.subs.Load()
	next := make(table, len(old))
	for k, v := range old {
		next[k] = v
	}
	for _, s := range subs {
		list := next[s.channel]
		i := slices.Index(list, s)
		if i < 0 {
			continue
		}
		list = slices.Delete(slices.Clone(list), i, i+1)
		if len(list) == 0 {
			delete(next, s.channel)
		} else {
			next[s.channel] = list
		}
	}
	b.subs.Store(&next)
	b.perRequest.Store(int32(len(next[ChannelBeforeRequest]) + len(next[ChannelAfterRequest])))
}

// Listeners reports how many listeners channel has.
func (b *Bus) Listeners(channel string) int {
	return len((*b.subs.Load())[channel])
}

// Publish calls every listener of channel in priority order with arg and
// returns their results (one per listener that ran, nil for a failed one)
// and their failures joined in a *ChannelError.
//
// Every listener runs even when earlier ones fail or panic (only Start's
// own publish stops at the first failure); a panic becomes
// a *ListenerError carrying the stack. A listener that returns an
// *ExitRequest stops the publish at once and makes the bus exit in the
// background (see RequestExit). Publishing on a channel nobody listens to
// does nothing and allocates nothing.
func (b *Bus) Publish(ctx context.Context, channel string, arg any) ([]any, error) {
	list := (*b.subs.Load())[channel]
	if len(list) == 0 {
		return nil, nil
	}
	results, _, ce := b.publish(ctx, channel, list, arg, false)
	if ce == nil {
		return results, nil
	}
	return results, ce
}

// publish runs list and returns the failures as a *ChannelError, nil when
// there is none. With start set it is the start publish: it stops at the
// first failure (later start listeners must not run, see Start) and also
// returns the subscriptions that succeeded, in running order, for the
// roll-back; Publish needs neither and saves the allocations.
func (b *Bus) publish(ctx context.Context, channel string, list []*subscription, arg any, start bool) ([]any, []*subscription, *ChannelError) {
	results := make([]any, 0, len(list))
	var (
		errs []error
		ok   []*subscription
	)
	for _, s := range list {
		res, err := call(ctx, s, arg)
		results = append(results, res)
		if err == nil {
			if start {
				ok = append(ok, s)
			}
			continue
		}
		var exit *ExitRequest
		if errors.As(err, &exit) {
			code := exit.Code
			if code == 0 && len(errs) > 0 {
				code = 1
			}
			b.log.Info("exit requested by listener", "channel", channel, "code", code)
			errs = append(errs, err)
			b.RequestExit(code)
			break
		}
		b.log.Error("listener failed", "channel", channel, "priority", s.priority, "err", err)
		errs = append(errs, err)
		if start {
			break
		}
	}
	if len(errs) == 0 {
		return results, ok, nil
	}
	return results, ok, &ChannelError{Channel: channel, Errs: errs}
}

// call runs one listener, turning a panic into a *ListenerError.
func call(ctx context.Context, s *subscription, arg any) (res any, err error) {
	defer func() {
		if p := recover(); p != nil {
			le := &ListenerError{Channel: s.channel, Priority: s.priority, Panic: p, Stack: debug.Stack()}
			if pe, isErr := p.(error); isErr {
				le.Err = pe
			} else {
				le.Err = &panicError{value: p}
			}
			res, err = nil, le
		}
	}()
	res, err = s.fn(ctx, arg)
	if err != nil {
		var exit *ExitRequest
		if errors.As(err, &exit) {
			return res, err
		}
		err = &ListenerError{Channel: s.channel, Priority: s.priority, Err: err}
	}
	return res, err
}
