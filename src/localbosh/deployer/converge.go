package deployer

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"

	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/api"
	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/manifest"
	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/vm"
)

// converge brings a prepared deployment to its plan: compile, create
// missing VMs, delete obsolete instances, update the groups (canaries
// first, then max_in_flight at a time; the first failure stops the update,
// as BOSH does) and run post-deploy if anything changed.
func (d *Deployer) converge(ctx context.Context, log api.TaskLog, keeper *recordKeeper, p prepared, opts updateOptions) error {
	inUse := p.plan.IPsInUse()
	elsewhere, err := d.ipsElsewhere(p.manifest.Name)
	if err != nil {
		return err
	}
	for ip, who := range elsewhere {
		inUse[ip] = who
	}
	if _, err := d.compile(ctx, log, p.cc, inUse, p.sets); err != nil {
		return err
	}
	if err := d.createMissingVMs(ctx, log, keeper, p, opts); err != nil {
		return err
	}
	if len(p.plan.Obsolete) > 0 {
		if err := d.deleteInstances(ctx, log, keeper, "", p.plan.Obsolete, 1, "keep", false); err != nil {
			return err
		}
	}

	var changed atomic.Bool
	for _, partition := range partitionBySerial(p.plan.Groups) {
		if err := log.Checkpoint(); err != nil {
			return err
		}
		n := 1
		if !partition[0].Update.Serial {
			n = len(partition)
		}
		if err := inPool(n, partition, func(g manifest.GroupPlan) error {
			if len(g.Obsolete) > 0 {
				changed.Store(true)
				inFlight, _ := manifest.MaxInFlight(g.Group.Update.Over(p.manifest.Update).MaxInFlight, len(g.Obsolete))
				if err := d.deleteInstances(ctx, log, keeper, g.Group.Name, g.Obsolete, inFlight, "keep", false); err != nil {
					return err
				}
			}
			groupChanged, err := d.updateGroup(ctx, log, keeper, p, g, opts)
			if groupChanged {
				changed.Store(true)
			}
			return err
		}); err != nil {
			return err
		}
	}
	if changed.Load() {
		if err := d.postDeploy(ctx, log, keeper); err != nil {
			return err
		}
	}
	return keeper.save()
}

// createMissingVMs creates a VM (and persistent disk) for every service
// instance that has none and is not (to be) detached, as BOSH's "Creating
// missing vms" stage does.
func (d *Deployer) createMissingVMs(ctx context.Context, log api.TaskLog, keeper *recordKeeper, p prepared, opts updateOptions) error {
	var missing []manifest.InstancePlan
	for _, g := range p.plan.Groups {
		if g.Errand {
			continue
		}
		for _, inst := range g.Instances {
			st, _ := keeper.instance(inst.ID)
			target := cmp.Or(opts.states[inst.ID], st.State, stateStarted)
			if opts.only != nil && !opts.only[inst.ID] {
				continue
			}
			if target != stateDetached && !d.vmExists(st.VMCID) {
				missing = append(missing, inst)
			}
		}
	}
	if len(missing) == 0 {
		return nil
	}
	if err := d.vms.EnsureNetwork(ctx); err != nil {
		return err
	}
	stage := api.NewStage(log, "Creating missing vms", nil, len(missing))
	for _, inst := range missing {
		item := fmt.Sprintf("%s (%d)", inst.Name(), inst.Index)
		if err := stage.Run(item, func() error {
			_, err := d.createVM(ctx, keeper, p.desired[inst.ID])
			return err
		}); err != nil {
			return err
		}
	}
	return nil
}

// createVM makes an instance's VM and attaches its persistent disk (made
// if the group wants one and the instance has none), recording both, and
// records the instance as needing its jobs applied.
func (d *Deployer) createVM(ctx context.Context, keeper *recordKeeper, di desiredInstance) (*vm.VM, error) {
	st, _ := keeper.instance(di.plan.ID)
	if st.ID == "" {
		st = di.plan.State()
	}
	var dns []string
	if di.boshDNS && d.boshDNS {
		dns = append(dns, d.vms.Options().Gateway.String()) // BOSH DNS first, as bosh-dns is on a BOSH VM
	}
	for _, n := range di.plan.Networks {
		dns = append(dns, addrStrings(n.DNS)...)
	}
	// A BOSH VM's host name is its instance's id.
	v, err := d.vms.Create(ctx, vm.Spec{CID: "vm-" + newID(), IP: di.plan.Address(), DNS: dns, Hostname: di.plan.ID})
	if err != nil {
		return nil, err
	}
	st.VMCID = v.CID()
	dirty := "" // a new VM has no jobs yet: whatever was applied before is gone
	if err := keeper.put(st, &dirty); err != nil {
		return nil, err
	}
	if err := d.ensureDisk(ctx, keeper, v, st, di.group.PersistentDiskMB); err != nil {
		return nil, err
	}
	return v, nil
}

// ensureDisk gives the instance the persistent disk its group asks for:
// it creates one if needed and attaches it; when the size changed it makes
// a new disk with the old one's data (the old one orphaned), and when the
// group no longer wants one it orphans it (drain was told persistent_disk
// 0 before), as BOSH does.
func (d *Deployer) ensureDisk(ctx context.Context, keeper *recordKeeper, v *vm.VM, st manifest.InstanceState, sizeMB int) error {
	switch {
	case sizeMB > 0 && st.DiskCID == "":
		cid := "disk-" + newID()
		if _, err := d.vms.CreateDisk(cid); err != nil {
			return err
		}
		st.DiskCID = cid
	case sizeMB > 0 && st.DiskSizeMB > 0 && st.DiskSizeMB != sizeMB:
		var err error
		if st, err = d.migrateDisk(ctx, keeper, st, v.CID(), sizeMB); err != nil {
			return err
		}
	case sizeMB == 0 && st.DiskCID != "":
		if v.DiskCID() == st.DiskCID {
			if err := d.vms.DetachDisk(ctx, v.CID(), st.DiskCID); err != nil {
				return err
			}
		}
		if err := d.orphanDisk(keeper.rec.Name, st); err != nil {
			return err
		}
		st.DiskCID, st.DiskSizeMB = "", 0
		return keeper.put(st, nil)
	}
	if st.DiskCID != "" && v.DiskCID() != st.DiskCID {
		if err := d.vms.AttachDisk(ctx, v.CID(), st.DiskCID); err != nil {
			return err
		}
	}
	st.DiskSizeMB = sizeMB
	return keeper.put(st, nil)
}

// vmExists reports whether the VM is still there.
func (d *Deployer) vmExists(cid string) bool {
	if cid == "" {
		return false
	}
	_, err := d.vms.Get(cid)
	return err == nil
}

// installedJobs lists the jobs installed on a VM, whatever deploy put them there.
func installedJobs(v *vm.VM) []string {
	entries, _ := os.ReadDir(filepath.Join(v.Root(), "jobs"))
	var jobs []string
	for _, e := range entries {
		if e.IsDir() {
			jobs = append(jobs, e.Name())
		}
	}
	return jobs
}

// partitionBySerial splits the service groups as BOSH's batch updater
// does: runs of neighbours with the same serial setting; a run of
// serial: false groups updates in parallel, a serial run one by one.
func partitionBySerial(groups []manifest.GroupPlan) [][]manifest.GroupPlan {
	var out [][]manifest.GroupPlan
	for _, g := range groups {
		if g.Errand {
			continue
		}
		if n := len(out); n > 0 && out[n-1][0].Update.Serial == g.Update.Serial {
			out[n-1] = append(out[n-1], g)
			continue
		}
		out = append(out, []manifest.GroupPlan{g})
	}
	return out
}

// postDeploy runs every instance's post-deploy scripts.
func (d *Deployer) postDeploy(ctx context.Context, log api.TaskLog, keeper *recordKeeper) error {
	keeper.mu.Lock()
	instances := append([]manifest.InstanceState(nil), keeper.rec.State.Instances...)
	keeper.mu.Unlock()
	var wg sync.WaitGroup
	errs := make([]error, len(instances))
	for i, st := range instances {
		v, err := d.vms.Get(st.VMCID)
		if st.VMCID == "" || err != nil || st.State == stateStopped {
			continue // as BOSH, only instances with an "important" VM: one not stopped
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := d.runHooks(ctx, v, installedJobs(v), "post-deploy", nil); err != nil {
				errs[i] = fmt.Errorf("instance %s: %w", st.Name(), err)
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}
