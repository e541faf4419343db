package deployer

import (
	"context"
	"strconv"

	"github.com/cloudfoundry-incubator/etcd-release/src/director"
	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/api"
)

// prepareFromRecord prepares a deployment's recorded manifest against its
// recorded cloud config, for operations on existing instances.
func (d *Deployer) prepareFromRecord(ctx context.Context, log api.TaskLog, deployment string, opts ...director.DeployOptions) (*recordKeeper, prepared, error) {
	rec, err := d.existingRecord(deployment)
	if err != nil {
		return nil, prepared{}, err
	}
	req := api.DeployRequest{Name: deployment, Manifest: []byte(rec.Manifest),
		CloudConfigs:   []director.ConfigVersion{{Type: "cloud", Name: "default", Content: rec.CloudConfig}},
		RuntimeConfigs: rec.RuntimeConfigs}
	if len(opts) > 0 {
		req.Options = opts[0]
	}
	return d.prepareDeploy(ctx, log, req)
}

// ChangeJobState starts, stops (detached: deleting the VM, keeping the
// disk), restarts or recreates instances as `bosh start|stop|restart|
// recreate` do on BOSH: a deploy of the deployed manifest in which the
// named instances are to be in the asked state, so the update block
// applies (canaries, max_in_flight, AZ order), instances already in that
// state are left alone, and post-deploy runs when something changed. An
// instance action (--no-converge) changes its one instance only.
func (d *Deployer) ChangeJobState(ctx context.Context, log api.TaskLog, req api.JobStateRequest) error {
	if req.Manifest != nil {
		return director.NewError(400, 40000, "localbosh changes job states of the deployed manifest only; deploy the new manifest first, then run the command without one")
	}
	keeper, p, err := d.prepareFromRecord(ctx, log, req.Deployment, director.DeployOptions{Canaries: req.Canaries, MaxInFlight: req.MaxInFlight})
	if err != nil {
		return err
	}
	opts := updateOptions{states: map[string]string{}, restartIDs: map[string]bool{}, recreateIDs: map[string]bool{}}
	if req.SkipDrain {
		opts.skipDrain = []string{"*"}
	}
	if req.NoConverge {
		opts.only = map[string]bool{}
	}
	for _, g := range p.plan.Groups {
		if g.Errand || (req.InstanceGroup != "*" && req.InstanceGroup != g.Group.Name) {
			continue
		}
		for _, inst := range g.Instances {
			if req.Instance != "" && req.Instance != inst.ID && req.Instance != strconv.Itoa(inst.Index) {
				continue
			}
			switch req.State {
			case director.JobRestart:
				opts.states[inst.ID], opts.restartIDs[inst.ID] = stateStarted, true
			case director.JobRecreate:
				opts.states[inst.ID], opts.recreateIDs[inst.ID] = stateStarted, true
			default:
				opts.states[inst.ID] = req.State
			}
			if opts.only != nil {
				opts.only[inst.ID] = true
			}
		}
	}
	if len(opts.states) == 0 {
		return director.NewError(404, 140005, "instance '%s/%s' doesn't exist in deployment '%s'", req.InstanceGroup, req.Instance, req.Deployment)
	}
	if req.NoConverge {
		for _, g := range p.plan.Groups {
			if _, err := d.updateGroup(ctx, log, keeper, p, g, opts); err != nil {
				return err
			}
		}
		return keeper.save()
	}
	return d.converge(ctx, log, keeper, p, opts)
}
