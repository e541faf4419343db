package deployer

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/cloudfoundry-incubator/etcd-release/src/director"
	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/api"
	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/manifest"
	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/vm"
)

// Resolutions of each problem type, in the director's order.
var problemResolutions = map[string][]director.ProblemResolution{
	director.ProblemMissingVM: {
		{Name: director.ResolutionIgnore, Plan: "Skip for now"},
		{Name: director.ResolutionRecreateVMWithoutWait, Plan: "Recreate VM without waiting for processes to start"},
		{Name: director.ResolutionRecreateVM, Plan: "Recreate VM and wait for processes to start"},
		{Name: director.ResolutionDeleteVMReference, Plan: "Delete VM reference"},
	},
	director.ProblemUnresponsiveAgent: {
		{Name: director.ResolutionIgnore, Plan: "Skip for now"},
		{Name: director.ResolutionRebootVM, Plan: "Reboot VM"},
		{Name: director.ResolutionRecreateVMWithoutWait, Plan: "Recreate VM without waiting for processes to start"},
		{Name: director.ResolutionRecreateVM, Plan: "Recreate VM and wait for processes to start"},
		{Name: director.ResolutionDeleteVM, Plan: "Delete VM"},
		{Name: director.ResolutionDeleteVMReference, Plan: "Delete VM reference (forceful; may need to manually delete VM from the Cloud to avoid IP conflicts)"},
	},
}

// instanceLabel is how the director names an instance in messages:
// "<group>/<id> (<index>)".
func instanceLabel(st manifest.InstanceState) string {
	return fmt.Sprintf("%s (%d)", st.Name(), st.Index)
}

// ScanProblems checks every instance that should have a VM (a service
// instance not detached): a VM that is gone, or whose init and processes
// are gone, is missing_vm; one whose monit does not answer is
// unresponsive_agent, as the director's scan reports a VM the cloud lost or
// an agent that does not respond.
func (d *Deployer) ScanProblems(ctx context.Context, log api.TaskLog, deployment string) ([]director.Problem, error) {
	rec, err := d.existingRecord(deployment)
	if err != nil {
		return nil, err
	}
	m, _ := manifest.ParseManifest([]byte(rec.Manifest))
	var expected []manifest.InstanceState
	for _, st := range rec.State.Instances {
		g, ok := m.InstanceGroup(st.Group)
		if ok && !g.IsErrand() && st.State != stateDetached {
			expected = append(expected, st)
		}
	}
	var problems []director.Problem
	counts := map[vm.Health]int{}
	vms := api.NewStage(log, fmt.Sprintf("Scanning %d VMs", len(expected)), nil, 2)
	if err := vms.Run("Checking VM states", func() error {
		for _, st := range expected {
			health := vm.Missing
			if v, err := d.vms.Get(st.VMCID); st.VMCID != "" && err == nil {
				health = v.Health(ctx)
			}
			counts[health]++
			if p, ok := vmProblem(st, health); ok {
				problems = append(problems, p)
			}
		}
		return nil
	}); err != nil {
		return nil, err
	}
	summary := fmt.Sprintf("%d OK, %d unresponsive, %d missing, 0 unbound", counts[vm.Healthy], counts[vm.Unresponsive], counts[vm.Missing])
	if err := vms.Run(summary, func() error { return nil }); err != nil {
		return nil, err
	}
	disks := 0
	for _, st := range expected {
		if st.DiskCID != "" {
			disks++
		}
	}
	diskStage := api.NewStage(log, fmt.Sprintf("Scanning %d persistent disks", disks), nil, 2)
	if err := diskStage.Run("Looking for inactive disks", func() error { return nil }); err != nil {
		return nil, err
	}
	if err := diskStage.Run(fmt.Sprintf("%d OK, 0 missing, 0 inactive, 0 mount-info mismatch", disks), func() error { return nil }); err != nil {
		return nil, err
	}
	return problems, nil
}

func vmProblem(st manifest.InstanceState, health vm.Health) (director.Problem, bool) {
	withCID := ""
	if st.VMCID != "" {
		withCID = fmt.Sprintf(" with cloud ID '%s'", st.VMCID)
	}
	p := director.Problem{InstanceGroup: st.Group,
		Data: map[string]any{"instance_id": st.ID, "vm_cid": st.VMCID, "index": st.Index}}
	switch health {
	case vm.Missing:
		p.Type = director.ProblemMissingVM
		p.Description = fmt.Sprintf("VM for '%s'%s missing.", instanceLabel(st), withCID)
	case vm.Unresponsive:
		p.Type = director.ProblemUnresponsiveAgent
		p.Description = fmt.Sprintf("VM for '%s'%s is not responding.", instanceLabel(st), withCID)
	default:
		return p, false
	}
	p.Resolutions = problemResolutions[p.Type]
	return p, true
}

// ResolveProblems applies cloud check resolutions: recreating a VM (its
// persistent disk attached again, jobs applied and started as the instance
// was), deleting it, or forgetting it; then post-deploy runs if a VM was
// recreated, as after the director's resurrection.
func (d *Deployer) ResolveProblems(ctx context.Context, log api.TaskLog, deployment string, resolutions []api.ProblemResolution) (int, error) {
	keeper, p, err := d.prepareFromRecord(ctx, log, deployment)
	if err != nil {
		return 0, err
	}
	stage := api.NewStage(log, "Applying problem resolutions", nil, len(resolutions))
	resolved, recreated := 0, false
	var errs []error
	for _, res := range resolutions {
		plan := res.Resolution
		if i := slices.IndexFunc(res.Problem.Resolutions, func(r director.ProblemResolution) bool { return r.Name == res.Resolution }); i >= 0 {
			plan = res.Problem.Resolutions[i].Plan
		}
		item := fmt.Sprintf("%s %d: %s", res.Problem.Type, res.Problem.ID, plan)
		err := stage.Run(item, func() error {
			id, _ := res.Problem.Data["instance_id"].(string)
			st, ok := keeper.instance(id)
			if !ok {
				return fmt.Errorf("instance %s/%s is no longer in deployment '%s'", res.Problem.InstanceGroup, id, deployment)
			}
			switch res.Resolution {
			case director.ResolutionIgnore:
				return nil
			case director.ResolutionRecreateVM, director.ResolutionRecreateVMWithoutWait, director.ResolutionRebootVM:
				recreated = true
				return d.recreateLostVM(ctx, keeper, p, st)
			case director.ResolutionDeleteVM:
				return d.dropVM(ctx, keeper, st)
			case director.ResolutionDeleteVMReference:
				st.VMCID = ""
				return keeper.put(st, nil)
			default:
				return fmt.Errorf("resolution '%s' is not one localbosh applies", res.Resolution)
			}
		})
		if api.ErrTaskCancelled(err) {
			return resolved, err
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("Error resolving problem '%d': %w", res.Problem.ID, err))
			continue
		}
		resolved++
	}
	if recreated {
		if err := d.postDeploy(ctx, log, keeper); err != nil {
			errs = append(errs, err)
		}
	}
	return resolved, errors.Join(errs...)
}

// recreateLostVM deletes what is left of an instance's VM and makes it a
// new one with its disk, its jobs applied and started if it was.
func (d *Deployer) recreateLostVM(ctx context.Context, keeper *recordKeeper, p prepared, st manifest.InstanceState) error {
	di, ok := p.desired[st.ID]
	if !ok {
		return fmt.Errorf("instance %s is not in the deployed manifest", instanceLabel(st))
	}
	if err := d.dropVM(ctx, keeper, st); err != nil {
		return err
	}
	state := cmp.Or(st.State, stateStarted)
	return d.updateInstance(ctx, keeper, instanceChange{di: di, current: state, target: state}, di.group.Update.UpdateWatch, updateOptions{})
}

// dropVM deletes an instance's VM, dead or alive, keeping its disk, and
// forgets it.
func (d *Deployer) dropVM(ctx context.Context, keeper *recordKeeper, st manifest.InstanceState) error {
	if v, err := d.vms.Get(st.VMCID); st.VMCID != "" && err == nil {
		if st.DiskCID != "" && v.DiskCID() == st.DiskCID {
			_ = d.vms.DetachDisk(ctx, v.CID(), st.DiskCID) // a dead VM's mounts go with it
		}
		if err := d.vms.Delete(ctx, v.CID()); err != nil {
			return err
		}
	}
	st, _ = keeper.instance(st.ID)
	st.VMCID = ""
	dirty := ""
	return keeper.put(st, &dirty)
}
