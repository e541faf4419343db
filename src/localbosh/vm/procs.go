package vm

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
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

// namespaces are sets of namespaces by type, as /proc/<pid>/ns names
// them: "net", "mnt", "pid", "uts".
type namespaces map[string][]nsID

// processesIn lists the processes in any of the namespaces. Processes that
// exit while being looked at, and zombies, which have no namespaces, are
// skipped.
func processesIn(ns namespaces) ([]int, error) {
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
		for typ, ids := range ns {
			if inAny(fmt.Sprintf("/proc/%d/ns/%s", pid, typ), ids) {
				pids = append(pids, pid)
				break
			}
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

// HostPID is the host's pid of a process of the VM given by its pid in the
// VM (as the VM's /proc, its monit and its pid files number it).
func (v *VM) HostPID(pid int) (int, error) {
	id, err := namespaceID(v.pidNSPath())
	if err != nil {
		return 0, fmt.Errorf("VM %s: %w", v.rec.CID, ErrNamespacesGone)
	}
	pids, err := processesIn(namespaces{"pid": {id}})
	if err != nil {
		return 0, err
	}
	for _, host := range pids {
		if inner, ok := innermostPID(host); ok && inner == pid {
			return host, nil
		}
	}
	return 0, fmt.Errorf("VM %s has no process %d: %w", v.rec.CID, pid, ErrNotFound)
}

// innermostPID reads the last pid of a process's NSpid line: its pid in
// the innermost PID namespace it is in.
func innermostPID(hostPID int) (int, bool) {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", hostPID))
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(status), "\n") {
		if rest, ok := strings.CutPrefix(line, "NSpid:"); ok {
			fields := strings.Fields(rest)
			if len(fields) == 0 {
				return 0, false
			}
			n, err := strconv.Atoi(fields[len(fields)-1])
			return n, err == nil
		}
	}
	return 0, false
}

// killTimeout bounds how long killing a VM's processes may take; a process
// that survives SIGKILL this long is stuck in the kernel (D state).
const killTimeout = 30 * time.Second

// killProcessesIn SIGKILLs every process in the given namespaces until none
// is left (a dying process may have forked) and returns the pids it killed.
func killProcessesIn(ctx context.Context, clock Clock, ns namespaces) ([]int, error) {
	var killed []int
	deadline := clock.Now().Add(killTimeout)
	for {
		pids, err := processesIn(ns)
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
