package engine

import "context"

// Standard priorities. Lower runs first on every channel.
const (
	PriorityPIDFile      = 70 // start: write the PID file
	PriorityMonitor      = 70 // start: background tasks and the autoreloader
	PriorityServerStart  = 75 // start: servers bind
	PriorityDropPrivs    = 77 // start: after the bind, so root can take port 80
	PriorityServerStop   = 25 // stop: servers stop before everything else
	PriorityDefaultStart = DefaultPriority
)

// Component is something with a start and a matching stop, such as a
// server. The bus rolls a started component back when a later start
// listener fails.
type Component interface {
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
}

// SubscribeComponent subscribes c.Start to the start channel and c.Stop to
// the stop channel with the given priorities, and links them: if a start
// listener that runs after c.Start fails, Start calls c.Stop to roll it
// back. The returned function removes both.
func (b *Bus) SubscribeComponent(c Component, startPriority, stopPriority int) (unsubscribe func()) {
	stop := Func(c.Stop)
	start := &subscription{channel: ChannelStart, priority: startPriority, fn: Func(c.Start), undo: stop}
	stopSub := &subscription{channel: ChannelStop, priority: stopPriority, fn: stop}
	b.add(start, stopSub)
	return func() { b.remove(start, stopSub) }
}
