package deployer

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/cloudfoundry-incubator/etcd-release/src/director"
	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/api"
	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/manifest"
)

// RunErrand runs an errand: the jobs of an errand instance group (lifecycle
// errand) on fresh VMs that are deleted afterwards unless kept alive, or an
// errand job colocated on service instances, where it runs in place. Each
// instance's bin/run gives an exit code, stdout and stderr.
func (d *Deployer) RunErrand(ctx context.Context, log api.TaskLog, req api.ErrandRequest) ([]director.ErrandResult, error) {
	keeper, p, err := d.prepareFromRecord(ctx, log, req.Deployment)
	if err != nil {
		return nil, err
	}
	var targets []desiredInstance
	var lifecycleErrand bool
	for _, g := range p.plan.Groups {
		for _, inst := range g.Instances {
			di := p.desired[inst.ID]
			switch {
			case g.Errand && g.Group.Name == req.Errand:
				lifecycleErrand = true
			case !g.Errand && slices.Contains(di.jobNames(), req.Errand):
			default:
				continue
			}
			if selected(req.Instances, di) {
				targets = append(targets, di)
			}
		}
	}
	if len(targets) == 0 {
		return nil, director.NewError(404, 180008, "Errand '%s' doesn't exist in deployment '%s' (or no instance matches); name an errand instance group or a job with bin/run", req.Errand, req.Deployment)
	}

	if lifecycleErrand {
		if err := d.vms.EnsureNetwork(ctx); err != nil {
			return nil, err
		}
		stage := api.NewStage(log, "Updating instance", []string{req.Errand}, len(targets))
		for _, di := range targets {
			if keeper.applied(di.plan.ID) == di.digest && d.vmExists(mustInstance(keeper, di).VMCID) {
				continue // kept alive since an identical run
			}
			if err := stage.Run(fmt.Sprintf("%s (%d)", di.plan.Name(), di.plan.Index), func() error {
				c := instanceChange{di: di, current: cmp.Or(mustInstance(keeper, di).State, stateStarted), target: stateStarted}
				return d.updateInstance(ctx, keeper, c, di.group.Update.UpdateWatch, updateOptions{})
			}); err != nil {
				return nil, err
			}
		}
	}

	var results []director.ErrandResult
	stage := api.NewStage(log, "Running errand", nil, len(targets))
	for _, di := range targets {
		st := mustInstance(keeper, di)
		v, err := d.vms.Get(st.VMCID)
		if err != nil {
			return results, fmt.Errorf("instance %s has no VM to run errand '%s' on: %w", di.plan.Name(), req.Errand, err)
		}
		jobs := []string{req.Errand}
		if lifecycleErrand {
			jobs = di.jobNames()
		}
		for _, job := range jobs {
			if _, err := os.Stat(filepath.Join(v.Root(), "jobs", job, "bin", "run")); err != nil {
				continue
			}
			var res scriptResult
			if err := stage.Run(fmt.Sprintf("%s (%d)", di.plan.Name(), di.plan.Index), func() (err error) {
				res, err = d.runScript(ctx, v, job, "errand", []string{"/var/vcap/jobs/" + job + "/bin/run"}, nil)
				return err
			}); err != nil {
				return results, err
			}
			results = append(results, director.ErrandResult{
				Instance: director.InstanceSlug{Group: di.plan.Group, ID: di.plan.ID}, ErrandName: job,
				ExitCode: res.code, Stdout: res.stdout, Stderr: res.stderr,
			})
		}
	}

	if lifecycleErrand && !req.KeepAlive {
		cleanup := api.NewStage(log, "Deleting errand instances", []string{req.Errand}, len(targets))
		for _, di := range targets {
			if err := cleanup.Run(fmt.Sprintf("%s (%d)", di.plan.Name(), di.plan.Index), func() error {
				return d.retireErrandVM(ctx, keeper, di)
			}); err != nil {
				return results, err
			}
		}
	}
	return results, nil
}

// retireErrandVM deletes an errand instance's VM and forgets what was
// applied, so the next run starts on a fresh VM. As BOSH's errand
// instance group manager, it deletes the VM without pre-stop, drain or
// post-stop: the errand has ended.
func (d *Deployer) retireErrandVM(ctx context.Context, keeper *recordKeeper, di desiredInstance) error {
	st := mustInstance(keeper, di)
	if v, err := d.vms.Get(st.VMCID); err == nil {
		if err := d.deleteVM(ctx, keeper, v); err != nil {
			return err
		}
	}
	st = mustInstance(keeper, di)
	none := ""
	return keeper.put(st, &none)
}

// mustInstance is the recorded state of a planned instance (prepare
// recorded every planned instance).
func mustInstance(keeper *recordKeeper, di desiredInstance) manifest.InstanceState {
	s, _ := keeper.instance(di.plan.ID)
	return s
}

// selected reports whether an errand run's instance filter includes di.
func selected(filter []director.InstanceSlug, di desiredInstance) bool {
	if len(filter) == 0 {
		return true
	}
	return slices.ContainsFunc(filter, func(s director.InstanceSlug) bool {
		return s.Group == di.plan.Group && (s.ID == "" || s.ID == di.plan.ID || s.ID == strconv.Itoa(di.plan.Index))
	})
}
