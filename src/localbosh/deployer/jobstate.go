package deployer

import (
	"context"
	"fmt"
	"slices"
	"strconv"

	"github.com/cloudfoundry-incubator/etcd-release/src/director"
	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/api"
	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/vm"
)

// prepareFromRecord prepares a deployment's recorded manifest against its
// recorded cloud config, for operations on existing instances.
func (d *Deployer) prepareFromRecord(ctx context.Context, log api.TaskLog, deployment string) (*recordKeeper, prepared, error) {
	rec, ok, err := d.loadRecord(deployment)
	if err != nil {
		return nil, prepared{}, err
	}
	if !ok {
		return nil, prepared{}, director.DeploymentNotFound(deployment)
	}
	return d.prepareDeploy(ctx, log, api.DeployRequest{Name: deployment, Manifest: []byte(rec.Manifest),
		CloudConfigs: []director.ConfigVersion{{Type: "cloud", Name: "default", Content: rec.CloudConfig}}})
}

// ChangeJobState starts, stops, restarts or recreates instances, one at a
// time, as `bosh start|stop|restart|recreate` do.
func (d *Deployer) ChangeJobState(ctx context.Context, log api.TaskLog, req api.JobStateRequest) error {
	if req.Manifest != nil {
		return director.NewError(400, 40000, "localbosh changes job states of the deployed manifest only; deploy the new manifest first, then run the command without one")
	}
	keeper, p, err := d.prepareFromRecord(ctx, log, req.Deployment)
	if err != nil {
		return err
	}
	var targets []desiredInstance
	for _, g := range p.plan.Groups {
		if g.Errand || (req.InstanceGroup != "*" && req.InstanceGroup != g.Group.Name) {
			continue
		}
		for _, inst := range g.Instances {
			if req.Instance == "" || req.Instance == inst.ID || req.Instance == strconv.Itoa(inst.Index) {
				targets = append(targets, p.desired[inst.ID])
			}
		}
	}
	if len(targets) == 0 {
		return director.NewError(404, 140005, "instance '%s/%s' doesn't exist in deployment '%s'", req.InstanceGroup, req.Instance, req.Deployment)
	}
	stage := api.NewStage(log, "Updating instance", nil, len(targets))
	for _, di := range targets {
		item := fmt.Sprintf("%s (%d)", di.plan.Name(), di.plan.Index)
		if err := stage.Run(item, func() error { return d.changeState(ctx, keeper, di, req) }); err != nil {
			return err
		}
	}
	return nil
}

func (d *Deployer) changeState(ctx context.Context, keeper *recordKeeper, di desiredInstance, req api.JobStateRequest) error {
	opts := updateOptions{recreate: req.State == director.JobRecreate}
	if req.SkipDrain {
		opts.skipDrain = []string{"*"}
	}
	st, _ := keeper.instance(di.plan.ID)
	v, err := d.vms.Get(st.VMCID)
	stale := st.VMCID == "" || err != nil || keeper.applied(di.plan.ID) != di.digest
	switch req.State {
	case director.JobRecreate:
		return d.updateInstance(ctx, keeper, di, di.group.Update.UpdateWatch, opts)
	case director.JobStarted, director.JobRestart:
		if stale {
			return d.updateInstance(ctx, keeper, di, di.group.Update.UpdateWatch, opts)
		}
		if req.State == director.JobRestart {
			if err := d.stopKeeping(ctx, v, st.DiskSizeMB, opts, di.group.Group.Name); err != nil {
				return err
			}
		}
		if err := d.startInstance(ctx, v, installedJobs(v), di.group.Update.UpdateWatch); err != nil {
			return err
		}
		st.State = stateStarted
		return keeper.put(st, nil)
	case director.JobStopped:
		if v != nil && err == nil {
			if err := d.stopKeeping(ctx, v, st.DiskSizeMB, opts, di.group.Group.Name); err != nil {
				return err
			}
		}
		st.State = stateStopped
		return keeper.put(st, nil)
	default:
		return director.NewError(400, 40000, "unknown job state '%s'; use one of %v", req.State,
			slices.Sorted(slices.Values([]string{director.JobStarted, director.JobStopped, director.JobRestart, director.JobRecreate})))
	}
}

// stopKeeping stops an instance that stays, with its disk.
func (d *Deployer) stopKeeping(ctx context.Context, v *vm.VM, diskMB int, opts updateOptions, group string) error {
	env := stopEnv{instanceNext: "keep", deploymentNext: "keep", diskBefore: diskMB, diskAfter: diskMB,
		jobChange: "job_shutdown", hashChange: "hash_unchanged"}
	return d.stopInstance(ctx, v, installedJobs(v), env, opts.skipsDrain(group))
}
