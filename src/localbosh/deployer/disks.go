package deployer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"time"

	"github.com/cloudfoundry-incubator/etcd-release/src/director"
	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/api"
	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/manifest"
)

// orphanedAtLayout is how the director prints when a disk was orphaned.
const orphanedAtLayout = "2006-01-02 15:04:05 -0700"

func (d *Deployer) orphansPath() (string, error) { return d.state.Path("orphaned-disks.json") }

func (d *Deployer) loadOrphans() ([]director.OrphanedDisk, error) {
	path, err := d.orphansPath()
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return []director.OrphanedDisk{}, nil
	}
	if err != nil {
		return nil, err
	}
	var out []director.OrphanedDisk
	if err := json.Unmarshal(data, &out); err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	return out, nil
}

// changeOrphans edits the list of orphaned disks under the deployer's lock.
func (d *Deployer) changeOrphans(change func([]director.OrphanedDisk) ([]director.OrphanedDisk, error)) error {
	d.orphanMu.Lock()
	defer d.orphanMu.Unlock()
	disks, err := d.loadOrphans()
	if err != nil {
		return err
	}
	if disks, err = change(disks); err != nil {
		return err
	}
	data, err := json.Marshal(disks)
	if err != nil {
		return err
	}
	path, err := d.orphansPath()
	if err != nil {
		return err
	}
	return writeFileAtomic(path, data)
}

// orphanDisk keeps a disk its instance no longer uses, as BOSH orphans the
// disk of a deleted instance or deployment, or one replaced by a new size:
// `bosh disks --orphaned` lists it, `bosh attach-disk` gives it back to an
// instance, `bosh delete-disk` deletes it.
func (d *Deployer) orphanDisk(deployment string, st manifest.InstanceState) error {
	return d.changeOrphans(func(disks []director.OrphanedDisk) ([]director.OrphanedDisk, error) {
		return append(disks, director.OrphanedDisk{CID: st.DiskCID, Size: st.DiskSizeMB, AZ: st.AZ, DeploymentName: deployment,
			InstanceName: st.Name(), CloudProperties: map[string]any{}, OrphanedAt: time.Now().UTC().Format(orphanedAtLayout)}), nil
	})
}

// OrphanedDisks lists the orphaned disks (GET /disks).
func (d *Deployer) OrphanedDisks(ctx context.Context) ([]director.OrphanedDisk, error) {
	d.orphanMu.Lock()
	defer d.orphanMu.Unlock()
	return d.loadOrphans()
}

// DeleteOrphanedDisk deletes an orphaned disk and its data (bosh delete-disk).
func (d *Deployer) DeleteOrphanedDisk(ctx context.Context, log api.TaskLog, cid string) error {
	return api.NewStage(log, "Deleting orphaned disks", nil, 1).Run(cid, func() error {
		return d.changeOrphans(func(disks []director.OrphanedDisk) ([]director.OrphanedDisk, error) {
			i := slices.IndexFunc(disks, func(o director.OrphanedDisk) bool { return o.CID == cid })
			if i < 0 {
				return nil, director.NewError(404, 290001, "Disk '%s' is not an orphaned disk", cid)
			}
			if err := d.vms.DeleteDisk(cid); err != nil {
				return nil, err
			}
			return slices.Delete(disks, i, i+1), nil
		})
	})
}

// AttachDisk gives an orphaned disk to an instance that is stopped or
// detached, as bosh attach-disk does: the instance's disk, if any, is
// orphaned in its place; the new one is mounted at the next start.
func (d *Deployer) AttachDisk(ctx context.Context, log api.TaskLog, deployment, group, instanceID, cid string) (string, error) {
	rec, err := d.existingRecord(deployment)
	if err != nil {
		return "", err
	}
	keeper := &recordKeeper{d: d, rec: rec}
	i := slices.IndexFunc(rec.State.Instances, func(s manifest.InstanceState) bool { return s.Group == group && s.ID == instanceID })
	if i < 0 {
		return "", director.NewError(404, 520003, "Instance '%s/%s' in deployment '%s' was not found", group, instanceID, deployment)
	}
	st := rec.State.Instances[i]
	if st.State != stateStopped && st.State != stateDetached {
		return "", director.NewError(400, 520004, "Instance '%s/%s' in deployment '%s' must be in 'bosh stopped' state", group, instanceID, deployment)
	}
	var disk director.OrphanedDisk
	if err := d.changeOrphans(func(disks []director.OrphanedDisk) ([]director.OrphanedDisk, error) {
		j := slices.IndexFunc(disks, func(o director.OrphanedDisk) bool { return o.CID == cid })
		if j < 0 {
			return nil, director.NewError(404, 290001, "Disk '%s' is not an orphaned disk", cid)
		}
		disk = disks[j]
		return slices.Delete(disks, j, j+1), nil
	}); err != nil {
		return "", err
	}
	if v, err := d.vms.Get(st.VMCID); st.VMCID != "" && err == nil && st.DiskCID != "" && v.DiskCID() == st.DiskCID {
		if err := d.vms.DetachDisk(ctx, v.CID(), st.DiskCID); err != nil {
			return "", err
		}
	}
	if st.DiskCID != "" {
		if err := d.orphanDisk(deployment, st); err != nil {
			return "", err
		}
	}
	st.DiskCID, st.DiskSizeMB = disk.CID, disk.Size
	dirty := "" // the next start mounts the disk and applies the jobs again
	if err := keeper.put(st, &dirty); err != nil {
		return "", err
	}
	return fmt.Sprintf("attached disk '%s' to '%s/%s' in deployment '%s'", cid, group, instanceID, deployment), nil
}

// migrateDisk gives an instance a new disk of the new size with the old
// one's data, as BOSH does for a disk size change; the old disk is orphaned.
func (d *Deployer) migrateDisk(ctx context.Context, keeper *recordKeeper, st manifest.InstanceState, vmCID string, sizeMB int) (manifest.InstanceState, error) {
	cid := "disk-" + newID()
	newDir, err := d.vms.CreateDisk(cid)
	if err != nil {
		return st, err
	}
	oldDir, err := d.vms.DiskDir(st.DiskCID)
	if err != nil {
		return st, err
	}
	if out, err := exec.CommandContext(ctx, "cp", "-a", "--", oldDir+"/.", newDir).CombinedOutput(); err != nil {
		return st, fmt.Errorf("migrating disk %s to %s: %v: %s", st.DiskCID, cid, err, out)
	}
	if v, err := d.vms.Get(vmCID); err == nil && v.DiskCID() == st.DiskCID {
		if err := d.vms.DetachDisk(ctx, vmCID, st.DiskCID); err != nil {
			return st, err
		}
	}
	if err := d.orphanDisk(keeper.rec.Name, st); err != nil {
		return st, err
	}
	st.DiskCID, st.DiskSizeMB = cid, sizeMB
	return st, keeper.put(st, nil)
}
