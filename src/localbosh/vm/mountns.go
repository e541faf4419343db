package vm

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
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
// under the state directory) and mounts the VM's directory at /var/vcap and
// its resolv.conf at /etc/resolv.conf inside it.
func (m *Manager) createMountNS(ctx context.Context, cid string) error {
	nsFile := m.paths.mountNS(cid)
	f, err := os.OpenFile(nsFile, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("creating mount namespace file of VM %s: %w", cid, err)
	}
	f.Close()
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
	_, umountErr := run(ctx, m.opts.Runner, argv...)
	if umountErr == nil {
		return nil
	}
	// A VM deleted meanwhile, by this or another director, unlinks its
	// namespace file, which detaches the copy here too, and umount then
	// fails on it. And a directory of namespace files mounted over itself
	// (another director's, bound twice) hides the copies below the top
	// mount from umount's paths: unmount the directories holding what is
	// left, a layer a round. The namespace is private: the host keeps all.
	// Only copies still mounted after that are a failure.
	for range maxHiddenLayers {
		left, err := m.namespaceFiles(ctx, nsFile)
		if err != nil {
			return err
		}
		if len(left) == 0 {
			return nil
		}
		dirs := map[string]bool{}
		for _, p := range left {
			if dir := filepath.Dir(p); dir != "/" {
				dirs[dir] = true
			}
		}
		argv := append([]string{"nsenter", "--mount=" + nsFile, "--", "umount", "--lazy"}, slices.Sorted(maps.Keys(dirs))...)
		_, _ = run(ctx, m.opts.Runner, argv...) // a directory that is no mount point: the next listing tells
	}
	return fmt.Errorf("unmounting namespace files: %w", umountErr)
}

// maxHiddenLayers bounds the rounds dropNamespaceFiles unmounts the
// directories holding namespace files in.
const maxHiddenLayers = 4

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

// deleteMountNS unbinds and removes the VM's mount namespace file. With no
// process left inside, the kernel then frees the namespace and its mounts.
// It reports whether there was a namespace to unbind.
func (m *Manager) deleteMountNS(ctx context.Context, cid string) (bool, error) {
	nsFile := m.paths.mountNS(cid)
	mounts, err := hostMounts()
	if err != nil {
		return false, err
	}
	bound := isMountPoint(mounts, nsFile)
	if bound {
		if _, err := run(ctx, m.opts.Runner, "umount", nsFile); err != nil {
			return false, fmt.Errorf("unbinding mount namespace of VM %s: %w", cid, err)
		}
		m.opts.Logger.Info("deleted mount namespace", "cid", cid, "file", nsFile)
	}
	if err := os.Remove(nsFile); err != nil && !errors.Is(err, os.ErrNotExist) {
		return bound, fmt.Errorf("removing mount namespace file of VM %s: %w", cid, err)
	}
	return bound, nil
}
