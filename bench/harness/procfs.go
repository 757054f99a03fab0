package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// cpuTicks returns utime+stime of pid, in clock ticks.
func cpuTicks(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("cpu ticks: %w", err)
	}
	// The command name (field 2) may hold spaces; fields after it are
	// plain. utime and stime are fields 14 and 15.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, fmt.Errorf("cpu ticks: odd /proc/%d/stat", pid)
	}
	f := strings.Fields(s[i+1:])
	// f[0] is field 3 (state), so field n is f[n-3].
	if len(f) < 13 {
		return 0, fmt.Errorf("cpu ticks: short /proc/%d/stat", pid)
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("cpu ticks: bad /proc/%d/stat", pid)
	}
	return ut + st, nil
}

// rssKiB returns VmRSS of pid in KiB.
func rssKiB(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("rss: %w", err)
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(rest)
			if len(f) == 0 {
				break
			}
			n, err := strconv.ParseInt(f[0], 10, 64)
			if err != nil {
				return 0, fmt.Errorf("rss: %w", err)
			}
			return n, nil
		}
	}
	return 0, fmt.Errorf("rss: no VmRSS for pid %d", pid)
}

// openFDs counts the file descriptors pid holds.
func openFDs(pid int) (int, error) {
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return 0, fmt.Errorf("fds: %w", err)
	}
	return len(ents), nil
}

// treeCPUTicks returns utime+stime of pid and of its direct children
// (nginx's master and its workers), in clock ticks.
func treeCPUTicks(pid int) (int64, error) {
	total, err := cpuTicks(pid)
	if err != nil {
		return 0, err
	}
	kids, err := childPIDs(pid)
	if err != nil {
		return 0, err
	}
	for _, k := range kids {
		n, err := cpuTicks(k)
		if err != nil {
			continue // exited meanwhile
		}
		total += n
	}
	return total, nil
}

// childPIDs lists the processes whose parent is pid, from /proc/*/stat.
func childPIDs(pid int) ([]int, error) {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil, fmt.Errorf("children: %w", err)
	}
	var kids []int
	for _, e := range ents {
		n, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", n))
		if err != nil {
			continue // exited meanwhile
		}
		if ppid, ok := parentPID(string(b)); ok && ppid == pid {
			kids = append(kids, n)
		}
	}
	return kids, nil
}

// parentPID reads field 4 (ppid) of a /proc/<pid>/stat line.
func parentPID(stat string) (int, bool) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(stat[i+1:])
	if len(f) < 2 {
		return 0, false
	}
	n, err := strconv.Atoi(f[1])
	return n, err == nil
}
