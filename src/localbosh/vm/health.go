package vm

import (
	"context"
	"fmt"
	"syscall"
	"time"
)

// Health is how a VM looks to a cloud check.
type Health int

const (
	// Healthy: the VM's namespaces are there, its init runs and its monit answers.
	Healthy Health = iota
	// Missing: the VM is gone, as a VM the cloud no longer has: its
	// namespaces are gone, or nothing runs in its PID namespace (its init,
	// and with it every process, was killed).
	Missing
	// Unresponsive: the VM is there but its monit (the agent's part) does not answer.
	Unresponsive
)

// Health checks the VM.
func (v *VM) Health(ctx context.Context) Health {
	if !v.namespacesExist() {
		return Missing
	}
	if _, err := v.HostPID(1); err != nil {
		return Missing
	}
	if _, err := v.monit(ctx, "status", "-B"); err != nil {
		return Unresponsive
	}
	return Healthy
}

// KillInit kills the VM's init with SIGKILL, which ends every process of
// its PID namespace, and waits until it is gone: the VM is then Missing, as
// a VM that died. For fault tests and a resurrector's tests.
func (v *VM) KillInit() error {
	pid, err := v.HostPID(1)
	if err != nil {
		return err
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		return fmt.Errorf("killing the init of VM %s (host pid %d): %w", v.rec.CID, pid, err)
	}
	deadline := time.Now().Add(killTimeout)
	for time.Now().Before(deadline) {
		if _, err := v.HostPID(1); err != nil {
			return nil
		}
		time.Sleep(pollInterval)
	}
	return fmt.Errorf("the init of VM %s (host pid %d) is still there %s after SIGKILL", v.rec.CID, pid, killTimeout)
}
