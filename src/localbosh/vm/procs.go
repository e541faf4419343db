package vm

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"syscall"
	"time"
)

// nsID identifies a namespace: the device and inode of its nsfs file, the
// same whether reached through /run/netns/<name>, a bind-mounted file or
// /proc/<pid>/ns/<type>.
type nsID struct{ dev, ino uint64 }

func namespaceID(path string) (nsID, error) {
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		return nsID{}, err
	}
	return nsID{dev: st.Dev, ino: st.Ino}, nil
}

// processesIn lists the processes whose network namespace is one of nets
// or whose mount namespace is one of mnts. Processes that exit while being
// looked at, and zombies, which have no namespaces, are skipped.
func processesIn(nets, mnts []nsID) ([]int, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, fmt.Errorf("listing processes: %w", err)
	}
	self := os.Getpid()
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		if inAny(fmt.Sprintf("/proc/%d/ns/net", pid), nets) || inAny(fmt.Sprintf("/proc/%d/ns/mnt", pid), mnts) {
			pids = append(pids, pid)
		}
	}
	return pids, nil
}

func inAny(nsLink string, ids []nsID) bool {
	if len(ids) == 0 {
		return false
	}
	id, err := namespaceID(nsLink)
	return err == nil && slices.Contains(ids, id)
}

// killTimeout bounds how long killing a VM's processes may take; a process
// that survives SIGKILL this long is stuck in the kernel (D state).
const killTimeout = 30 * time.Second

// killProcessesIn SIGKILLs every process in the given namespaces until none
// is left (a dying process may have forked) and returns the pids it killed.
func killProcessesIn(ctx context.Context, clock Clock, nets, mnts []nsID) ([]int, error) {
	var killed []int
	deadline := clock.Now().Add(killTimeout)
	for {
		pids, err := processesIn(nets, mnts)
		if err != nil {
			return killed, err
		}
		if len(pids) == 0 {
			return killed, nil
		}
		for _, pid := range pids {
			err := syscall.Kill(pid, syscall.SIGKILL)
			if err != nil && !errors.Is(err, syscall.ESRCH) {
				return killed, fmt.Errorf("killing process %d: %w", pid, err)
			}
			if err == nil && !slices.Contains(killed, pid) {
				killed = append(killed, pid)
			}
		}
		if clock.Now().After(deadline) {
			return killed, fmt.Errorf("processes %v are still running %s after SIGKILL; look at /proc/<pid>/stack", pids, killTimeout)
		}
		if err := sleep(ctx, clock, pollInterval); err != nil {
			return killed, fmt.Errorf("waiting for killed processes %v to exit: %w", pids, err)
		}
	}
}
