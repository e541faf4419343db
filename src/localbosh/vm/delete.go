package vm

import (
	"context"
	"errors"
	"fmt"
	"os"
)

// Delete removes a VM: monit stops its services (bounded by
// Options.StopTimeout), every process left in the VM is killed, its mounts
// and namespaces are removed and its directory deleted. An attached disk is
// unmounted and kept. Deleting a VM that does not exist, or only partly
// exists, succeeds.
func (m *Manager) Delete(ctx context.Context, cid string) error {
	_, err := m.delete(ctx, cid, true)
	return err
}

// delete removes whatever exists of the VM and lists what it removed.
// graceful asks monit to stop the services first.
func (m *Manager) delete(ctx context.Context, cid string, graceful bool) ([]string, error) {
	if err := checkCID("VM", cid); err != nil {
		return nil, err
	}
	n := namesFor(m.opts.Prefix, cid)
	v := &VM{m: m, rec: record{CID: cid, NetNS: n.NetNS, Veth: n.Veth}}
	var removed []string
	var errs []error
	if graceful && v.namespacesExist() {
		stopCtx, cancel := context.WithTimeout(ctx, m.opts.StopTimeout)
		if err := v.stopEverything(stopCtx); err != nil {
			// Killing below still removes the VM; say why it was not graceful.
			m.opts.Logger.Warn("monit did not stop the VM's services; killing them", "cid", cid, "error", err.Error())
		}
		cancel()
	}
	killed, err := m.killVMProcesses(ctx, v)
	for _, pid := range killed {
		removed = append(removed, fmt.Sprintf("process %d of VM %s", pid, cid))
	}
	if err != nil {
		// Namespaces with live processes cannot be removed cleanly.
		return removed, fmt.Errorf("deleting VM %s: %w", cid, err)
	}
	if unbound, err := m.deleteNamespaceFiles(ctx, cid); err != nil {
		errs = append(errs, err)
	} else {
		for _, what := range unbound {
			removed = append(removed, what+" namespace of VM "+cid)
		}
	}
	netRemoved, err := m.deleteVMNetwork(ctx, n)
	removed = append(removed, netRemoved...)
	errs = append(errs, err)
	if existed, err := m.removeVMDir(ctx, cid); err != nil {
		errs = append(errs, err)
	} else if existed {
		removed = append(removed, "directory "+m.paths.vmDir(cid))
	}
	if err := errors.Join(errs...); err != nil {
		return removed, fmt.Errorf("deleting VM %s: %w", cid, err)
	}
	m.opts.Logger.Info("deleted VM", "cid", cid)
	return removed, nil
}

// killVMProcesses kills every process in the VM's network, mount or PID
// namespace: job processes monit did not stop, monit, and the VM's init.
func (m *Manager) killVMProcesses(ctx context.Context, v *VM) ([]int, error) {
	ns := namespaces{}
	for typ, path := range map[string]string{"net": v.netnsPath(), "mnt": v.mountNSPath(), "pid": v.pidNSPath()} {
		if id, err := namespaceID(path); err == nil {
			ns[typ] = []nsID{id}
		}
	}
	if len(ns) == 0 {
		return nil, nil
	}
	return killProcessesIn(ctx, m.opts.Clock, ns)
}

// removeVMDir deletes the VM's directory after unmounting anything mounted
// below it on the host, so that RemoveAll never descends into a mount. It
// reports whether the directory existed.
func (m *Manager) removeVMDir(ctx context.Context, cid string) (bool, error) {
	dir := m.paths.vmDir(cid)
	if _, err := os.Lstat(dir); errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	mounts, err := hostMounts()
	if err != nil {
		return true, err
	}
	for _, p := range mountsUnder(mounts, dir) {
		if _, err := run(ctx, m.opts.Runner, "umount", "--lazy", p); err != nil {
			return true, fmt.Errorf("unmounting %s before removing the VM directory: %w", p, err)
		}
	}
	if err := os.RemoveAll(dir); err != nil {
		return true, fmt.Errorf("removing VM directory: %w", err)
	}
	return true, nil
}

// stopEverything asks monit to stop all services (not only the vcap group)
// and waits until none is monitored.
func (v *VM) stopEverything(ctx context.Context) error {
	if err := v.remonitorLiveServices(ctx, ""); err != nil {
		return err
	}
	if _, err := v.monit(ctx, "stop", "all"); err != nil {
		return err
	}
	return v.waitServices(ctx, "", func(s ServiceStatus) bool {
		return s.Type == "System" || s.stopped()
	})
}

// namespacesExist reports whether all of the VM's namespace files exist.
func (v *VM) namespacesExist() bool {
	for _, p := range v.namespacePaths() {
		if _, err := namespaceID(p); err != nil {
			return false
		}
	}
	return true
}
