package deployer

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/api"
	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/manifest"
	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/vm"
)

// updateOptions are a deploy's switches, and what a job state change
// (bosh start, stop, restart, recreate) asks of the instances it names.
type updateOptions struct {
	recreate  bool
	skipDrain []string // instance groups, or "*"
	// states sets the state the named instances (by id) are to be in;
	// others keep their recorded one.
	states map[string]string
	// restartIDs and recreateIDs are the instances bosh restart and bosh
	// recreate name.
	restartIDs, recreateIDs map[string]bool
	// only restricts the update to these instances (an instance action).
	only map[string]bool
}

func (o updateOptions) skipsDrain(group string) bool {
	return slices.Contains(o.skipDrain, "*") || slices.Contains(o.skipDrain, group)
}

// instanceChange is an instance to update, and how.
type instanceChange struct {
	di      desiredInstance
	current string // the state it is in: started, stopped, detached
	target  string // the state it is to be in
	// recreate replaces the VM (recreate, an IP or network change);
	// restart stops and starts it without other changes.
	recreate, restart bool
}

// changes are the group's instances that need updating, as BOSH's instance
// plans that "changed": new templates or packages, a VM missing, recreate
// or restart asked, an IP the VM does not have (the VM is recreated), or a
// state change. An instance keeps its recorded state unless the operator
// asks for another (bosh stop keeps it stopped across deploys), and one
// already in the asked state with nothing else changed is left alone.
func (d *Deployer) changes(keeper *recordKeeper, p prepared, g manifest.GroupPlan, opts updateOptions) []instanceChange {
	var out []instanceChange
	for _, inst := range g.Instances {
		if opts.only != nil && !opts.only[inst.ID] {
			continue
		}
		di := p.desired[inst.ID]
		st, _ := keeper.instance(inst.ID)
		c := instanceChange{di: di, current: cmp.Or(st.State, stateStarted)}
		c.target = c.current
		if s, ok := opts.states[inst.ID]; ok {
			c.target = s
		}
		v, err := d.vms.Get(st.VMCID)
		hasVM := st.VMCID != "" && err == nil
		c.recreate = opts.recreate || opts.recreateIDs[inst.ID] || (hasVM && v.IP() != inst.Address())
		c.restart = opts.restartIDs[inst.ID]
		changed := keeper.applied(inst.ID) != di.digest
		var need bool
		switch c.target {
		case stateDetached:
			need = hasVM || c.current != stateDetached
		case stateStopped:
			// A stopped instance's new templates wait for its start, as on BOSH.
			need = c.current != stateStopped || !hasVM || c.recreate
		default:
			need = changed || !hasVM || c.recreate || c.restart || c.current != stateStarted
		}
		if need {
			out = append(out, c)
		}
	}
	return out
}

// updateGroup updates a group's instances that need it, as BOSH's instance
// group updater does: AZ by AZ, in the order the AZs first come among the
// instances; canaries (the first of the first AZ) first, up to
// max_in_flight at once, awaited; then the rest, max_in_flight at a time
// within each AZ. Counts given as a percentage are of the instances being
// updated in that AZ. The first failure stops the update: instances under
// way finish, no more start. changed reports whether any instance was
// touched.
func (d *Deployer) updateGroup(ctx context.Context, log api.TaskLog, keeper *recordKeeper, p prepared, g manifest.GroupPlan, opts updateOptions) (changed bool, err error) {
	todo := d.changes(keeper, p, g, opts)
	if len(todo) == 0 {
		return false, nil
	}
	spec := g.Group.Update.Over(p.manifest.Update)
	stage := api.NewStage(log, "Updating instance", []string{g.Group.Name}, len(todo))
	canariesDone := false
	for _, az := range changesByAZ(todo) {
		inFlight, err := manifest.MaxInFlight(spec.MaxInFlight, len(az))
		if err != nil {
			return true, err
		}
		rest := az
		if !canariesDone {
			n, err := manifest.Canaries(spec.Canaries, len(az))
			if err != nil {
				return true, err
			}
			n = min(n, len(az))
			canaries := az[:n]
			rest = az[n:]
			if err := inPool(inFlight, canaries, func(c instanceChange) error {
				item := fmt.Sprintf("%s (%d) (canary)", c.di.plan.Name(), c.di.plan.Index)
				return stage.Run(item, func() error { return d.updateInstance(ctx, keeper, c, g.Update.CanaryWatch, opts) })
			}); err != nil {
				return true, err
			}
			canariesDone = true
		}
		if err := inPool(inFlight, rest, func(c instanceChange) error {
			item := fmt.Sprintf("%s (%d)", c.di.plan.Name(), c.di.plan.Index)
			return stage.Run(item, func() error { return d.updateInstance(ctx, keeper, c, g.Update.UpdateWatch, opts) })
		}); err != nil {
			return true, err
		}
	}
	return true, nil
}

// changesByAZ groups changes by AZ, the AZs in the order they first come.
func changesByAZ(changes []instanceChange) [][]instanceChange {
	var order []string
	byAZ := map[string][]instanceChange{}
	for _, c := range changes {
		az := c.di.plan.AZ
		if _, ok := byAZ[az]; !ok {
			order = append(order, az)
		}
		byAZ[az] = append(byAZ[az], c)
	}
	out := make([][]instanceChange, 0, len(order))
	for _, az := range order {
		out = append(out, byAZ[az])
	}
	return out
}

// inPool runs fn on every item, at most n at once, as a thread pool: once
// one fails no more start; it returns when those started have ended, with
// their errors.
func inPool[T any](n int, items []T, fn func(T) error) error {
	sem := make(chan struct{}, max(n, 1))
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		errs   []error
		failed bool
	)
	for _, item := range items {
		sem <- struct{}{}
		mu.Lock()
		stop := failed
		mu.Unlock()
		if stop {
			<-sem
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := fn(item); err != nil {
				mu.Lock()
				failed = true
				errs = append(errs, err)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

const (
	stateStarted  = "started"
	stateStopped  = "stopped"
	stateDetached = "detached"
)

// updateInstance brings an instance to its target state with its desired
// jobs. A running instance is stopped first, as BOSH's stopper does: a
// shutdown drain (job_shutdown hash_unchanged) when it is to stop, its VM
// is replaced or its disk changes, else an update drain (the job change,
// the configuration hash change, the updated packages); pre-stop hears
// BOSH_VM_NEXT_STATE=delete when the VM goes. An instance already stopped
// is not stopped again. Then the VM is recreated if asked (deleted for
// detached), the new packages and jobs applied, and the jobs started and
// watched if the instance is to run. From the stop until the instance is
// in its target state it is recorded as dirty, so that a deploy after a
// failed or interrupted update updates it again.
func (d *Deployer) updateInstance(ctx context.Context, keeper *recordKeeper, c instanceChange, watch manifest.WatchWindow, opts updateOptions) error {
	di := c.di
	st, _ := keeper.instance(di.plan.ID)
	v, err := d.vms.Get(st.VMCID)
	if st.VMCID == "" || err != nil {
		v = nil
	}
	dropVM := c.recreate || c.target == stateDetached
	diskChanged := st.DiskSizeMB != di.group.PersistentDiskMB
	dirty := "" // matches no desired state
	if err := keeper.put(st, &dirty); err != nil {
		return err
	}
	if v != nil && len(installedJobs(v)) > 0 && c.current == stateStarted {
		env := stopEnv{vmNext: "keep", instanceNext: "keep", deploymentNext: "keep", diskBefore: st.DiskSizeMB, diskAfter: di.group.PersistentDiskMB}
		if dropVM {
			env.vmNext = "delete"
		}
		if c.target != stateStarted || dropVM || diskChanged {
			env.jobChange, env.hashChange = "job_shutdown", "hash_unchanged"
		} else {
			env.jobChange, env.hashChange, env.packages = updateDrainArgs(keeper.spec(di.plan.ID), di.spec())
		}
		if err := d.stopInstance(ctx, v, installedJobs(v), env, opts.skipsDrain(di.group.Group.Name)); err != nil {
			return fmt.Errorf("stopping %s: %w", di.plan.Name(), err)
		}
	}
	if v != nil && dropVM {
		if err := d.deleteVM(ctx, keeper, v); err != nil {
			return err
		}
		v = nil
	}
	if c.target == stateDetached {
		st, _ = keeper.instance(di.plan.ID)
		st.State = stateDetached
		return keeper.put(st, &dirty)
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
	if c.target == stateStarted {
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
	}
	st, _ = keeper.instance(di.plan.ID)
	st.State = c.target
	return keeper.done(st, di)
}

// updateDrainArgs are an update drain's arguments, as the BOSH agent
// makes them (drain.NewUpdateParams): job_unchanged when the first job's
// sha1 (the apply spec's legacy job.sha1) is the same, else job_changed
// (the agent's job_new, for a VM without jobs, never arises: drain runs
// only on a VM with jobs); hash_new, hash_unchanged or hash_changed for
// the configuration hash; and the packages whose version changed or that
// are new, sorted. A spec recorded before localbosh kept the job's sha1
// counts as changed.
func updateDrainArgs(old, next appliedSpec) (jobChange, hashChange string, packages []string) {
	jobChange = "job_changed"
	if old.JobSHA1 != "" && old.JobSHA1 == next.JobSHA1 {
		jobChange = "job_unchanged"
	}
	hashChange = "hash_changed"
	switch {
	case old.ConfigHash == "":
		hashChange = "hash_new"
	case old.ConfigHash == next.ConfigHash:
		hashChange = "hash_unchanged"
	}
	for name, version := range next.Packages {
		if old.Packages[name] != version {
			packages = append(packages, name)
		}
	}
	slices.Sort(packages)
	return jobChange, hashChange, packages
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
		env := stopEnv{vmNext: "delete", instanceNext: "delete", deploymentNext: deploymentNext, diskBefore: st.DiskSizeMB, diskAfter: 0,
			jobChange: "job_shutdown", hashChange: "hash_unchanged"}
		if err := d.stopInstance(ctx, v, installedJobs(v), env, false); err != nil && !force {
			return fmt.Errorf("stopping %s: %w", st.Name(), err)
		}
		if err := d.vms.Delete(ctx, v.CID()); err != nil {
			return err
		}
	}
	if st.DiskCID != "" {
		if err := d.orphanDisk(keeper.rec.Name, st); err != nil {
			return err
		}
	}
	return keeper.remove(st.ID)
}
