package plugins

import (
	"context"
	"os"
	"strconv"

	"github.com/coreos/go-systemd/v22/daemon"

	"github.com/seed-49a6713b/cherrygo/engine"
)

// Priorities of the notifications: READY=1 once everything else started
// (after the servers and the privilege drop), STOPPING=1 before anything
// stops, RELOADING=1 before the graceful listeners and READY=1 after them.
const (
	priorityNotifyFirst = 1
	priorityNotifyLast  = 99
)

// SystemdNotify tells systemd (Type=notify, or anything else that listens
// on NOTIFY_SOCKET) what the bus is doing, through go-systemd's sd_notify:
//
//   - READY=1 once the bus started, that is once every server is bound
//     and verified serving, with a STATUS= line from Status;
//   - RELOADING=1 with MONOTONIC_USEC before a graceful reload (SIGHUP,
//     SIGUSR1), and READY=1 once it is over;
//   - STOPPING=1 as the stop begins, before the servers drain.
//
// Without NOTIFY_SOCKET it does nothing. A message that cannot be sent is
// logged as a warning on the bus's logger.
type SystemdNotify struct {
	// Status, if not nil, gives the STATUS= text sent with READY=1 (the
	// addresses served, say).
	Status func() string
}

// Subscribe hooks the notifications to the start, graceful and stop
// channels of b and returns the function that unhooks them. Without
// NOTIFY_SOCKET in the environment it subscribes nothing.
func (n *SystemdNotify) Subscribe(b *engine.Bus) (unsubscribe func()) {
	if os.Getenv("NOTIFY_SOCKET") == "" {
		return func() {}
	}
	send := func(state string) {
		if _, err := daemon.SdNotify(false, state); err != nil {
			b.Logger().Warn("sd_notify failed", "state", state, "err", err)
		}
	}
	ready := func(context.Context, any) (any, error) {
		state := daemon.SdNotifyReady
		if n.Status != nil {
			state += "\nSTATUS=" + n.Status()
		}
		send(state)
		return nil, nil
	}
	reloading := func(context.Context, any) (any, error) {
		state := daemon.SdNotifyReloading
		if usec, ok := monotonicUsec(); ok {
			state += "\nMONOTONIC_USEC=" + strconv.FormatInt(usec, 10)
		}
		send(state)
		return nil, nil
	}
	stopping := func(context.Context, any) (any, error) {
		send(daemon.SdNotifyStopping)
		return nil, nil
	}
	unsubs := []func(){
		b.Subscribe(engine.ChannelStart, ready, priorityNotifyLast),
		b.Subscribe(engine.ChannelGraceful, reloading, priorityNotifyFirst),
		b.Subscribe(engine.ChannelGraceful, ready, priorityNotifyLast),
		b.Subscribe(engine.ChannelStop, stopping, priorityNotifyFirst),
	}
	return func() {
		for _, u := range unsubs {
			u()
		}
	}
}
