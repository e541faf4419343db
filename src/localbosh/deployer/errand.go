package deployer

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/cloudfoundry-incubator/etcd-release/src/director"
	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/api"
	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/manifest"
)

// RunErrand runs an errand as the director finds it: first a job of that
// name with a bin/run, in any instance group (it runs on each selected
// instance of the groups that have it, in place on service instances);
// else an errand instance group of that name, whose first job with a
// bin/run runs on its first instance only. Errand groups' instances get
// VMs for the run, deleted afterwards (without pre-stop or drain) unless
// kept alive. With when-changed, an errand whose instances are as at its
// last successful run is skipped. Each run gives an exit code, stdout and
// stderr.
func (d *Deployer) RunErrand(ctx context.Context, log api.TaskLog, req api.ErrandRequest) ([]director.ErrandResult, error) {
	keeper, p, err := d.prepareFromRecord(ctx, log, req.Deployment)
	if err != nil {
		return nil, err
	}
	var targets []desiredInstance
	var lifecycleErrand bool
	jobOf := map[string]string{} // instance id -> the job whose bin/run runs
	for _, g := range p.plan.Groups {
		for i, inst := range g.Instances {
			di := p.desired[inst.ID]
			if !slices.Contains(di.jobNames(), req.Errand) || !di.runsErrand(req.Errand) || !selected(req.Instances, di) {
				continue
			}
			if g.Errand && i > 0 {
				continue // an errand group's errand runs on its first instance
			}
			if st := mustInstance(keeper, di); !g.Errand && st.State == stateStopped {
				return nil, director.NewError(400, 510000, "Instance(s) '%s' is stopped, unable to run errand. Maybe start vm?", di.plan.Name())
			}
			targets = append(targets, di)
			jobOf[inst.ID] = req.Errand
			lifecycleErrand = lifecycleErrand || g.Errand
		}
	}
	if len(targets) > 0 && slices.ContainsFunc(p.plan.Groups, func(g manifest.GroupPlan) bool { return g.Group.Name == req.Errand }) {
		log.Warning(fmt.Sprintf("Ambiguous request: the requested errand name '%s' matches both a job name and an errand instance group name. Executing errand on all relevant instances with job '%s'.", req.Errand, req.Errand))
	}
	if len(targets) == 0 {
		for _, g := range p.plan.Groups {
			if !g.Errand || g.Group.Name != req.Errand || len(g.Instances) == 0 {
				continue
			}
			if len(req.Instances) > 0 {
				return nil, director.NewError(400, 180008, "Filtering by instances is not supported when running errand by instance group name")
			}
			di := p.desired[g.Instances[0].ID]
			for _, j := range di.jobNames() {
				if di.runsErrand(j) {
					targets, lifecycleErrand, jobOf[di.plan.ID] = []desiredInstance{di}, true, j
					break
				}
			}
		}
	}
	if len(targets) == 0 {
		return nil, director.NewError(404, 180008, "Errand '%s' doesn't exist in deployment '%s' (or no instance matches); name an errand instance group or a job with bin/run", req.Errand, req.Deployment)
	}
	runDigest := errandDigest(targets)
	if req.WhenChanged && keeper.lastErrandRun(req.Errand) == runDigest {
		log.Event(director.TaskEvent{Stage: "Running errand", Total: 1, Task: "skipped - no changes detected", Index: 1, State: director.EventFinished, Progress: 100})
		return []director.ErrandResult{}, nil
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
		for _, job := range []string{jobOf[di.plan.ID]} {
			if _, err := os.Stat(filepath.Join(v.Root(), "jobs", job, "bin", "run")); err != nil {
				return results, fmt.Errorf("instance %s has no bin/run of job %s", di.plan.Name(), job)
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

	if slices.IndexFunc(results, func(r director.ErrandResult) bool { return r.ExitCode != 0 }) < 0 {
		if err := keeper.errandRan(req.Errand, runDigest); err != nil {
			return results, err
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

// runsErrand reports whether the instance's job installs a bin/run.
func (di desiredInstance) runsErrand(job string) bool {
	for _, j := range di.jobs {
		if j.name == job {
			_, ok := j.files["bin/run"]
			return ok
		}
	}
	return false
}

// errandDigest identifies what an errand runs on: its instances' desired states.
func errandDigest(targets []desiredInstance) string {
	h := sha256.New()
	for _, di := range targets {
		fmt.Fprintf(h, "%s %s\n", di.plan.ID, di.digest)
	}
	return hex.EncodeToString(h.Sum(nil))
}
