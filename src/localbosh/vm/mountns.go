package vm

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
)

// ensureNSDir makes the directory that holds mount namespace files a
// private mount: a namespace can only be bound to a file on a mount that
// does not propagate, or every new namespace would see the binding.
func (m *Manager) ensureNSDir(ctx context.Context) error {
	dir := m.paths.nsDir()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("creating mount namespace directory: %w", err)
	}
	mounts, err := hostMounts()
	if err != nil {
		return err
	}
	if !isMountPoint(mounts, dir) {
		if _, err := run(ctx, m.opts.Runner, "mount", "--bind", dir, dir); err != nil {
			return fmt.Errorf("bind-mounting the mount namespace directory onto itself: %w", err)
		}
	}
	if _, err := run(ctx, m.opts.Runner, "mount", "--make-private", dir); err != nil {
		return fmt.Errorf("making the mount namespace directory private: %w", err)
	}
	return nil
}

// createMountNS makes the VM's persistent mount namespace (bound to a file
// under the state directory), mounts the VM's directory at /var/vcap and
// its resolv.conf at /etc/resolv.conf inside it, and hides the host behind
// them (isolateMountNS). It also makes the files its init binds the VM's
// PID and UTS namespaces to.
func (m *Manager) createMountNS(ctx context.Context, cid string) error {
	nsFile := m.paths.mountNS(cid)
	for _, path := range []string{nsFile, m.paths.pidNS(cid), m.paths.utsNS(cid)} {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err != nil {
			return fmt.Errorf("creating namespace file of VM %s: %w", cid, err)
		}
		f.Close()
	}
	if err := os.MkdirAll(vcapDir, 0o755); err != nil {
		return fmt.Errorf("creating the mount point %s on the host: %w", vcapDir, err)
	}
	if _, err := os.Stat(resolvConf); err != nil {
		return fmt.Errorf("VM %s needs %s on the host as a mount point: %w", cid, resolvConf, err)
	}
	if _, err := run(ctx, m.opts.Runner, "unshare", "--mount="+nsFile, "--propagation", "private", "--", "true"); err != nil {
		return fmt.Errorf("creating mount namespace of VM %s: %w", cid, err)
	}
	if err := m.dropNamespaceFiles(ctx, nsFile); err != nil {
		return fmt.Errorf("mount namespace of VM %s: %w", cid, err)
	}
	binds := [][2]string{{m.paths.root(cid), vcapDir}, {m.paths.resolvConf(cid), resolvConf}}
	for _, b := range binds {
		if _, err := run(ctx, m.opts.Runner, "nsenter", "--mount="+nsFile, "--", "mount", "--bind", b[0], b[1]); err != nil {
			return fmt.Errorf("mounting %s in VM %s: %w", b[1], cid, err)
		}
	}
	if err := m.isolateMountNS(ctx, nsFile); err != nil {
		return fmt.Errorf("isolating the mounts of VM %s: %w", cid, err)
	}
	m.opts.Logger.Info("created mount namespace", "cid", cid, "file", nsFile)
	return nil
}

// dropNamespaceFiles unmounts, inside a new mount namespace, the copies of
// the host's namespace files (other VMs' mount namespaces, /run/netns). A
// copy would keep another VM's namespaces alive after that VM is deleted.
func (m *Manager) dropNamespaceFiles(ctx context.Context, nsFile string) error {
	points, err := m.namespaceFiles(ctx, nsFile)
	if err != nil || len(points) == 0 {
		return err
	}
	argv := append([]string{"nsenter", "--mount=" + nsFile, "--", "umount", "--lazy"}, points...)
	if _, err := run(ctx, m.opts.Runner, argv...); err != nil {
		// A VM deleted meanwhile, by this or another director, unlinks its
		// namespace file, which detaches the copy here too, and umount then
		// fails on it. Only copies still mounted are a failure.
		left, listErr := m.namespaceFiles(ctx, nsFile)
		if listErr != nil || len(left) > 0 {
			return fmt.Errorf("unmounting namespace files: %w", err)
		}
	}
	return nil
}

// namespaceFiles lists the mount points inside the mount namespace nsFile
// that dropNamespaceFiles removes.
func (m *Manager) namespaceFiles(ctx context.Context, nsFile string) ([]string, error) {
	info, err := run(ctx, m.opts.Runner, "nsenter", "--mount="+nsFile, "--", "cat", "/proc/self/mountinfo")
	if err != nil {
		return nil, fmt.Errorf("listing mounts: %w", err)
	}
	entries, err := parseMountinfo(strings.NewReader(info))
	if err != nil {
		return nil, err
	}
	nsDir := m.paths.nsDir()
	var points []string
	if isMountPoint(entries, nsDir) {
		points = append(points, nsDir) // a lazy unmount takes the files below it along
	}
	for _, e := range entries {
		if e.FSType == "nsfs" && !isUnder(e.Point, nsDir) {
			points = append(points, e.Point)
		}
	}
	return points, nil
}

// deleteNamespaceFiles unbinds and removes the files of the VM's mount, PID
// and UTS namespaces. With no process left inside, the kernel then frees
// the namespaces and the mounts. It lists the namespaces it unbound.
func (m *Manager) deleteNamespaceFiles(ctx context.Context, cid string) ([]string, error) {
	mounts, err := hostMounts()
	if err != nil {
		return nil, err
	}
	var unbound []string
	var errs []error
	for _, f := range []struct{ what, path string }{
		{"mount", m.paths.mountNS(cid)}, {"PID", m.paths.pidNS(cid)}, {"UTS", m.paths.utsNS(cid)},
	} {
		if isMountPoint(mounts, f.path) {
			if _, err := run(ctx, m.opts.Runner, "umount", f.path); err != nil {
				errs = append(errs, fmt.Errorf("unbinding %s namespace of VM %s: %w", f.what, cid, err))
				continue
			}
			unbound = append(unbound, f.what)
			m.opts.Logger.Info("deleted namespace", "cid", cid, "type", f.what, "file", f.path)
		}
		if err := os.Remove(f.path); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, fmt.Errorf("removing %s namespace file of VM %s: %w", f.what, cid, err))
		}
	}
	return unbound, errors.Join(errs...)
}
