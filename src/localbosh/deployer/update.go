package deployer

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/api"
	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/manifest"
	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/vm"
)

// updateGroup updates a group's changed instances: the canaries one at a
// time, then the rest max_in_flight at a time. It stops at the first
// failure. changed reports whether any instance was touched.
func (d *Deployer) updateGroup(ctx context.Context, log api.TaskLog, keeper *recordKeeper, p prepared, g manifest.GroupPlan, opts updateOptions) (changed bool, err error) {
	var todo []desiredInstance
	for _, inst := range g.Instances {
		di := p.desired[inst.ID]
		st, _ := keeper.instance(inst.ID)
		if opts.recreate || keeper.applied(inst.ID) != di.digest || st.State != stateStarted {
			todo = append(todo, di)
		}
	}
	if len(todo) == 0 {
		return false, nil
	}
	stage := api.NewStage(log, "Updating instance", []string{g.Group.Name}, len(todo))
	canaries := min(g.Update.Canaries, len(todo))
	for _, di := range todo[:canaries] {
		item := fmt.Sprintf("%s (%d) (canary)", di.plan.Name(), di.plan.Index)
		if err := stage.Run(item, func() error {
			return d.updateInstance(ctx, keeper, di, g.Update.CanaryWatch, opts)
		}); err != nil {
			return true, err
		}
	}
	rest := todo[canaries:]
	for len(rest) > 0 {
		batch := rest[:min(g.Update.MaxInFlight, len(rest))]
		rest = rest[len(batch):]
		var wg sync.WaitGroup
		errs := make([]error, len(batch))
		for i, di := range batch {
			wg.Add(1)
			go func() {
				defer wg.Done()
				item := fmt.Sprintf("%s (%d)", di.plan.Name(), di.plan.Index)
				errs[i] = stage.Run(item, func() error {
					return d.updateInstance(ctx, keeper, di, g.Update.UpdateWatch, opts)
				})
			}()
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			return true, err
		}
	}
	return true, nil
}

const (
	stateStarted = "started"
	stateStopped = "stopped"
)

// updateInstance applies an instance's desired state to its VM: stop what
// runs there, recreate the VM if asked (or if it is gone), install the new
// packages and jobs, start and watch them. From the moment it stops the
// jobs until the instance runs again, the instance is recorded as dirty, so
// that a deploy after a failed or interrupted update updates it again even
// when its desired state is the one it had before.
func (d *Deployer) updateInstance(ctx context.Context, keeper *recordKeeper, di desiredInstance, watch manifest.WatchWindow, opts updateOptions) error {
	st, _ := keeper.instance(di.plan.ID)
	v, err := d.vms.Get(st.VMCID)
	if st.VMCID == "" || err != nil {
		v = nil
	}
	if v != nil && len(installedJobs(v)) > 0 {
		env := stopEnv{instanceNext: "keep", deploymentNext: "keep", diskBefore: st.DiskSizeMB, diskAfter: di.group.PersistentDiskMB,
			jobChange: "job_changed", hashChange: "hash_unchanged"}
		if keeper.applied(di.plan.ID) != di.digest {
			env.hashChange = "hash_changed"
		}
		dirty := "" // matches no desired state
		if err := keeper.put(st, &dirty); err != nil {
			return err
		}
		if err := d.stopInstance(ctx, v, installedJobs(v), env, opts.skipsDrain(di.group.Group.Name)); err != nil {
			return fmt.Errorf("stopping %s: %w", di.plan.Name(), err)
		}
	}
	if v != nil && opts.recreate {
		if err := d.deleteVM(ctx, keeper, v); err != nil {
			return err
		}
		v = nil
	}
	if v == nil {
		if v, err = d.createVM(ctx, keeper, di); err != nil {
			return err
		}
	} else if err := d.ensureDisk(ctx, keeper, v, st, di.group.PersistentDiskMB); err != nil {
		return err
	}
	if err := d.applyInstance(v, di); err != nil {
		return fmt.Errorf("applying %s: %w", di.plan.Name(), err)
	}
	if err := d.startInstance(ctx, v, di.jobNames(), watch); err != nil {
		var notRunning *vm.NotRunningError
		if errors.As(err, &notRunning) {
			var names []string
			for _, svc := range notRunning.Services {
				names = append(names, svc.Name)
			}
			return fmt.Errorf("'%s (%d)' is not running after update. Review logs for failed jobs: %s", di.plan.Name(), di.plan.Index, strings.Join(names, ", "))
		}
		return fmt.Errorf("starting %s (%d): %w", di.plan.Name(), di.plan.Index, err)
	}
	st, _ = keeper.instance(di.plan.ID)
	st.State = stateStarted
	return keeper.put(st, &di.digest)
}

// deleteVM deletes an instance's VM, keeping its persistent disk.
func (d *Deployer) deleteVM(ctx context.Context, keeper *recordKeeper, v *vm.VM) error {
	var owner manifest.InstanceState
	keeper.mu.Lock()
	for _, s := range keeper.rec.State.Instances {
		if s.VMCID == v.CID() {
			owner = s
		}
	}
	keeper.mu.Unlock()
	if owner.DiskCID != "" && v.DiskCID() == owner.DiskCID {
		if err := d.vms.DetachDisk(ctx, v.CID(), owner.DiskCID); err != nil {
			return err
		}
	}
	if err := d.vms.Delete(ctx, v.CID()); err != nil {
		return err
	}
	if owner.ID != "" {
		owner.VMCID = ""
		return keeper.put(owner, nil)
	}
	return nil
}

// deleteInstances deletes instances (scale down, removed groups, deleted
// deployments), max in flight at a time: their jobs are told they go
// (pre-stop BOSH_INSTANCE_NEXT_STATE=delete, drain persistent_disk 0), then
// their VMs and disks are deleted. force carries on past failures.
func (d *Deployer) deleteInstances(ctx context.Context, log api.TaskLog, keeper *recordKeeper, group string, instances []manifest.InstanceState, maxInFlight int, deploymentNext string, force bool) error {
	var tags []string
	if group != "" {
		tags = []string{group}
	}
	stage := api.NewStage(log, "Deleting unneeded instances", tags, len(instances))
	if deploymentNext == "delete" {
		stage = api.NewStage(log, "Deleting instances", tags, len(instances))
	}
	var errs []error
	for len(instances) > 0 {
		batch := instances[:min(max(maxInFlight, 1), len(instances))]
		instances = instances[len(batch):]
		var wg sync.WaitGroup
		batchErrs := make([]error, len(batch))
		for i, st := range batch {
			wg.Add(1)
			go func() {
				defer wg.Done()
				batchErrs[i] = stage.Run(fmt.Sprintf("%s (%d)", st.Name(), st.Index), func() error {
					return d.deleteInstance(ctx, keeper, st, deploymentNext, force)
				})
			}()
		}
		wg.Wait()
		errs = append(errs, batchErrs...)
		if err := errors.Join(errs...); err != nil && !force {
			return err
		}
	}
	if force {
		for _, err := range errs {
			if err != nil {
				log.Warning(err.Error())
			}
		}
		return nil
	}
	return errors.Join(errs...)
}

func (d *Deployer) deleteInstance(ctx context.Context, keeper *recordKeeper, st manifest.InstanceState, deploymentNext string, force bool) error {
	if v, err := d.vms.Get(st.VMCID); st.VMCID != "" && err == nil {
		env := stopEnv{instanceNext: "delete", deploymentNext: deploymentNext, diskBefore: st.DiskSizeMB, diskAfter: 0,
			jobChange: "job_shutdown", hashChange: "hash_unchanged"}
		if err := d.stopInstance(ctx, v, installedJobs(v), env, false); err != nil && !force {
			return fmt.Errorf("stopping %s: %w", st.Name(), err)
		}
		if err := d.vms.Delete(ctx, v.CID()); err != nil {
			return err
		}
	}
	if st.DiskCID != "" {
		if err := d.vms.DeleteDisk(st.DiskCID); err != nil {
			return err
		}
	}
	return keeper.remove(st.ID)
}
