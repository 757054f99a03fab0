package plugins

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/user"
	"strconv"
	"sync"
	"syscall"

	"github.com/seed-49a6713b/cherrygo/engine"
)

// DropPrivileges switches a process started as root to an unprivileged
// user and group when the bus starts, at engine.PriorityDropPrivs (77):
// after the servers have bound their sockets (75), so that a privileged
// port can be bound first.
//
// In this order it sets the group ID (setgid), clears the supplementary
// groups (setgroups with an empty list), sets the user ID (setuid) and,
// if SetUmask is true, the umask. Since Go 1.16 these calls apply to every
// thread of the process. The drop cannot be undone, which is the point.
//
// When the process does not run as root there is nothing to drop: the
// plugin logs so and only applies the umask. User and Group are still
// resolved, so a typing mistake is reported on every machine.
//
// A restart by re-exec (engine.Bus.Restart) keeps the process's user: after
// a drop, the new program runs unprivileged from the start and cannot bind
// privileged ports again. Prefer a graceful reload, or let a service manager
// do the restart.
type DropPrivileges struct {
	// User is the user to become, as a name ("www-data") or a numeric ID.
	// Empty keeps the user ID.
	User string

	// Group is the group to become, as a name or a numeric ID. Empty means
	// the primary group of User; with User empty too, the group ID is kept.
	Group string

	// Umask is set as the process umask when SetUmask is true (the zero
	// value keeps the umask, as CherryPy's default None does).
	Umask    fs.FileMode
	SetUmask bool
}

// Subscribe drops privileges on start. The returned function removes the
// listener; it is idempotent.
func (d *DropPrivileges) Subscribe(b *engine.Bus) (unsubscribe func()) {
	log := b.Logger()
	cfg := *d
	u := b.Subscribe(engine.ChannelStart, engine.Func(func(context.Context) error {
		return cfg.apply(log, realCreds{})
	}), engine.PriorityDropPrivs)
	var once sync.Once
	return func() { once.Do(u) }
}

// credentials abstracts the system calls, so that the decisions can be
// tested without root.
type credentials interface {
	Geteuid() int
	Getuid() int
	Getgid() int
	Setgid(gid int) error
	Setgroups(gids []int) error
	Setuid(uid int) error
	Umask(mask int) int
}

type realCreds struct{}

func (realCreds) Geteuid() int               { return os.Geteuid() }
func (realCreds) Getuid() int                { return os.Getuid() }
func (realCreds) Getgid() int                { return os.Getgid() }
func (realCreds) Setgid(gid int) error       { return syscall.Setgid(gid) }
func (realCreds) Setgroups(gids []int) error { return syscall.Setgroups(gids) }
func (realCreds) Setuid(uid int) error       { return syscall.Setuid(uid) }
func (realCreds) Umask(mask int) int         { return syscall.Umask(mask) }

// apply performs the drop through c.
func (d *DropPrivileges) apply(log *slog.Logger, c credentials) error {
	uid, gid, err := d.resolve()
	if err != nil {
		return err
	}
	if d.SetUmask {
		old := c.Umask(int(d.Umask.Perm()))
		log.Info("umask set", "umask", fmt.Sprintf("%#o", d.Umask.Perm()), "was", fmt.Sprintf("%#o", old))
	}
	if uid < 0 && gid < 0 {
		log.Info("privilege drop: no user or group configured: nothing to do")
		return nil
	}
	if c.Geteuid() != 0 {
		log.Info("privilege drop: not running as root: nothing to do", "uid", c.Getuid(), "gid", c.Getgid())
		return nil
	}
	if gid >= 0 {
		if err := c.Setgid(gid); err != nil {
			return fmt.Errorf("plugins: privilege drop: setgid %d: %w", gid, err)
		}
		if err := c.Setgroups([]int{}); err != nil {
			return fmt.Errorf("plugins: privilege drop: clearing supplementary groups: %w", err)
		}
	}
	if uid >= 0 {
		if err := c.Setuid(uid); err != nil {
			return fmt.Errorf("plugins: privilege drop: setuid %d: %w", uid, err)
		}
	}
	log.Info("privileges dropped", "uid", c.Getuid(), "gid", c.Getgid())
	return nil
}

// resolve turns User and Group into IDs; -1 means keep.
func (d *DropPrivileges) resolve() (uid, gid int, err error) {
	uid, gid = -1, -1
	if d.User != "" {
		u, err := lookupUser(d.User)
		if err != nil {
			return -1, -1, err
		}
		if uid, err = strconv.Atoi(u.Uid); err != nil {
			return -1, -1, fmt.Errorf("plugins: privilege drop: user %q has a non-numeric ID %q", d.User, u.Uid)
		}
		if d.Group == "" {
			if u.Gid == "" {
				return -1, -1, fmt.Errorf("plugins: privilege drop: user %q has no known primary group; set Group", d.User)
			}
			if gid, err = strconv.Atoi(u.Gid); err != nil {
				return -1, -1, fmt.Errorf("plugins: privilege drop: user %q has a non-numeric group ID %q", d.User, u.Gid)
			}
		}
	}
	if d.Group != "" {
		if gid, err = lookupGroup(d.Group); err != nil {
			return -1, -1, err
		}
	}
	return uid, gid, nil
}

// lookupUser finds a user by name or numeric ID. A numeric ID that the user
// database does not know is accepted (containers often run such IDs), but
// then has no primary group.
func lookupUser(name string) (*user.User, error) {
	if id, err := strconv.Atoi(name); err == nil {
		if id < 0 {
			return nil, fmt.Errorf("plugins: privilege drop: user ID %d is negative", id)
		}
		u, err := user.LookupId(name)
		var unknown user.UnknownUserIdError
		if errors.As(err, &unknown) {
			return &user.User{Uid: name}, nil
		}
		if err != nil {
			return nil, fmt.Errorf("plugins: privilege drop: user %s: %w", name, err)
		}
		return u, nil
	}
	u, err := user.Lookup(name)
	if err != nil {
		return nil, fmt.Errorf("plugins: privilege drop: user %q: %w", name, err)
	}
	return u, nil
}

// lookupGroup finds a group ID by name or numeric ID; numeric IDs are
// taken as they are.
func lookupGroup(name string) (int, error) {
	if gid, err := strconv.Atoi(name); err == nil {
		if gid < 0 {
			return -1, fmt.Errorf("plugins: privilege drop: group ID %d is negative", gid)
		}
		return gid, nil
	}
	g, err := user.LookupGroup(name)
	if err != nil {
		return -1, fmt.Errorf("plugins: privilege drop: group %q: %w", name, err)
	}
	gid, err := strconv.Atoi(g.Gid)
	if err != nil {
		return -1, fmt.Errorf("plugins: privilege drop: group %q has a non-numeric ID %q", name, g.Gid)
	}
	return gid, nil
}
