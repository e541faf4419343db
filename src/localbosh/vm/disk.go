package vm

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
)

// CreateDisk makes a persistent disk: a directory under
// <StateDir>/disks/<diskCID>, returned as a host path. A disk that exists
// already is an error wrapping ErrExists, so that old data is never handed
// out as a new disk.
func (m *Manager) CreateDisk(diskCID string) (string, error) {
	if err := checkCID("disk", diskCID); err != nil {
		return "", err
	}
	if err := os.MkdirAll(m.paths.disksDir(), 0o700); err != nil {
		return "", fmt.Errorf("creating disk %s: %w", diskCID, err)
	}
	path := m.paths.disk(diskCID)
	if err := os.Mkdir(path, 0o755); err != nil {
		if errors.Is(err, os.ErrExist) {
			return "", fmt.Errorf("creating disk %s: %w", diskCID, ErrExists)
		}
		return "", fmt.Errorf("creating disk %s: %w", diskCID, err)
	}
	m.opts.Logger.Info("created disk", "disk_cid", diskCID)
	return path, nil
}

// DiskDir is the host directory of a disk, the one AttachDisk mounts at
// /var/vcap/store; an unknown disk is an error wrapping ErrNotFound.
func (m *Manager) DiskDir(diskCID string) (string, error) {
	if err := checkCID("disk", diskCID); err != nil {
		return "", err
	}
	path := m.paths.disk(diskCID)
	if _, err := os.Stat(path); err != nil {
		return "", fmt.Errorf("disk %s: %w", diskCID, ErrNotFound)
	}
	return path, nil
}

// Disks lists the cids of all disks, sorted.
func (m *Manager) Disks() ([]string, error) {
	entries, err := os.ReadDir(m.paths.disksDir())
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("listing disks: %w", err)
	}
	var cids []string
	for _, e := range entries {
		if e.IsDir() {
			cids = append(cids, e.Name())
		}
	}
	slices.Sort(cids)
	return cids, nil
}

// AttachDisk bind-mounts the disk at /var/vcap/store inside the VM. Attaching
// the disk the VM already has is a no-op; a disk attached to another VM is
// an error wrapping ErrDiskAttached.
func (m *Manager) AttachDisk(ctx context.Context, vmCID, diskCID string) error {
	if err := checkCID("disk", diskCID); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	v, err := m.Get(vmCID)
	if err != nil {
		return fmt.Errorf("attaching disk %s: %w", diskCID, err)
	}
	switch v.rec.DiskCID {
	case diskCID:
		return nil
	case "":
	default:
		return fmt.Errorf("attaching disk %s to VM %s: the VM has disk %s attached; detach it first", diskCID, vmCID, v.rec.DiskCID)
	}
	if _, err := os.Stat(m.paths.disk(diskCID)); err != nil {
		return fmt.Errorf("attaching disk %s to VM %s: %w", diskCID, vmCID, ErrNotFound)
	}
	if owner, err := m.diskOwner(diskCID); err != nil {
		return err
	} else if owner != "" {
		return fmt.Errorf("attaching disk %s to VM %s: attached to VM %s: %w", diskCID, vmCID, owner, ErrDiskAttached)
	}
	// The VM does not see the disks directory; mountInto reaches it.
	if err := mountInto(v.mountNSPath(), m.paths.disk(diskCID), storeDir); err != nil {
		return fmt.Errorf("attaching disk %s to VM %s: %w", diskCID, vmCID, err)
	}
	v.rec.DiskCID = diskCID
	if err := writeRecord(m.paths.record(vmCID), v.rec); err != nil {
		return fmt.Errorf("attaching disk %s to VM %s: %w", diskCID, vmCID, err)
	}
	m.opts.Logger.Info("attached disk", "disk_cid", diskCID, "cid", vmCID)
	return nil
}

// DetachDisk unmounts the disk from the VM's /var/vcap/store. The VM's
// processes must not use it any more (stop them first). Detaching a disk
// that is not attached is a no-op.
func (m *Manager) DetachDisk(ctx context.Context, vmCID, diskCID string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, err := m.Get(vmCID)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("detaching disk %s: %w", diskCID, err)
	}
	switch v.rec.DiskCID {
	case "":
		return nil
	case diskCID:
	default:
		return fmt.Errorf("detaching disk %s from VM %s: the VM has disk %s attached, not %s", diskCID, vmCID, v.rec.DiskCID, diskCID)
	}
	if _, err := run(ctx, m.opts.Runner, "nsenter", "--mount="+v.mountNSPath(), "--", "umount", storeDir); err != nil && !isNotMounted(err) {
		hint := ""
		if strings.Contains(err.Error(), "busy") {
			hint = "; a process in the VM still uses it: stop the VM's jobs first"
		}
		return fmt.Errorf("detaching disk %s from VM %s: %w%s", diskCID, vmCID, err, hint)
	}
	v.rec.DiskCID = ""
	if err := writeRecord(m.paths.record(vmCID), v.rec); err != nil {
		return fmt.Errorf("detaching disk %s from VM %s: %w", diskCID, vmCID, err)
	}
	m.opts.Logger.Info("detached disk", "disk_cid", diskCID, "cid", vmCID)
	return nil
}

// DeleteDisk removes a disk and its data. A disk attached to a VM is an
// error wrapping ErrDiskAttached; deleting a missing disk succeeds.
func (m *Manager) DeleteDisk(diskCID string) error {
	if err := checkCID("disk", diskCID); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if owner, err := m.diskOwner(diskCID); err != nil {
		return err
	} else if owner != "" {
		return fmt.Errorf("deleting disk %s: attached to VM %s; detach it first: %w", diskCID, owner, ErrDiskAttached)
	}
	if err := os.RemoveAll(m.paths.disk(diskCID)); err != nil {
		return fmt.Errorf("deleting disk %s: %w", diskCID, err)
	}
	m.opts.Logger.Info("deleted disk", "disk_cid", diskCID)
	return nil
}

// diskOwner is the cid of the VM the disk is attached to, or "".
func (m *Manager) diskOwner(diskCID string) (string, error) {
	recs, err := m.records()
	if err != nil {
		return "", err
	}
	for _, r := range recs {
		if r.DiskCID == diskCID {
			return r.CID, nil
		}
	}
	return "", nil
}

// isNotMounted recognises umount's complaint about a path that is not a
// mount point, which idempotent removal ignores.
func isNotMounted(err error) bool {
	var ce *CommandError
	return errors.As(err, &ce) && strings.Contains(ce.Output, "not mounted")
}
