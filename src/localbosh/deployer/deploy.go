package deployer

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sort"

	"github.com/cloudfoundry-incubator/etcd-release/src/director"
	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/api"
	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/manifest"
)

// prepared is a deploy that passed every check: nothing has changed yet.
type prepared struct {
	manifest    manifest.Manifest
	cloudConfig string
	cc          manifest.CloudConfig
	catalog     catalog
	plan        manifest.DeploymentPlan
	sets        []packageSet
	desired     map[string]desiredInstance // by instance id
}

// Deploy creates or updates a deployment. Everything that can be checked is
// checked first (manifest, cloud config, releases, jobs, IPs, links, every
// template of every instance), so a bad manifest fails the task with no
// instance changed. Then packages are compiled, missing VMs created, and
// the instance groups updated as BOSH does.
func (d *Deployer) Deploy(ctx context.Context, log api.TaskLog, req api.DeployRequest) error {
	keeper, p, err := d.prepareDeploy(ctx, log, req)
	if err != nil || req.Options.DryRun {
		return err
	}
	return d.converge(ctx, log, keeper, p, updateOptions{recreate: req.Options.Recreate, skipDrain: req.Options.SkipDrain})
}

// prepareDeploy checks the deploy and records the new manifest and the
// instances' planned IPs, so concurrent deploys of other deployments see
// them taken.
func (d *Deployer) prepareDeploy(ctx context.Context, log api.TaskLog, req api.DeployRequest) (*recordKeeper, prepared, error) {
	var p prepared
	var keeper *recordKeeper
	err := api.NewStage(log, "Preparing deployment", nil, 1).Run("Preparing deployment", func() error {
		withAddons, err := withAddons(req.Manifest, req.RuntimeConfigs)
		if err != nil {
			return err
		}
		m, err := manifest.ParseManifest(withAddons)
		if err != nil {
			return director.NewError(400, 440001, "%s", err.Error())
		}
		for _, w := range m.Warnings {
			log.Warning(w.Message)
		}
		if m, err = m.WithUpdateOverrides(req.Options.Canaries, req.Options.MaxInFlight); err != nil {
			return err
		}
		p.manifest = m
		if p.cloudConfig, p.cc, err = parseCloudConfig(req.CloudConfigs); err != nil {
			return err
		}
		if p.catalog, err = d.catalogFor(m); err != nil {
			return err
		}

		d.ipMu.Lock()
		defer d.ipMu.Unlock()
		rec, _, err := d.loadRecord(m.Name)
		if err != nil {
			return err
		}
		elsewhere, err := d.ipsElsewhere(m.Name)
		if err != nil {
			return err
		}
		if p.plan, err = manifest.Plan(m, p.cc, rec.State, elsewhere, newID); err != nil {
			return err
		}
		links, err := manifest.ResolveLinks(m, p.catalog, p.plan.InstancesByGroup())
		if err != nil {
			return err
		}
		pkgs, err := d.packagePlan(m, p.catalog, &p)
		if err != nil {
			return err
		}
		azIndexes := map[string]int{}
		for i, az := range p.cc.AZs {
			azIndexes[az.Name] = i + 1
		}
		if p.desired, err = d.renderAll(ctx, renderContext{manifest: m, catalog: p.catalog, links: links, packages: pkgs, azIndexes: azIndexes}, p.plan); err != nil {
			return err
		}
		if req.Options.DryRun {
			return nil
		}
		rec.Manifest, rec.CloudConfig = string(req.Manifest), p.cloudConfig
		rec.RuntimeConfigs = req.RuntimeConfigs
		rec.Releases = nil
		for _, r := range m.Releases {
			rec.Releases = append(rec.Releases, r.Name+"/"+p.catalog[r.Name].Manifest.Version)
		}
		rec.State = plannedState(rec.State, p.plan)
		keeper = &recordKeeper{d: d, rec: rec}
		return keeper.save()
	})
	return keeper, p, err
}

// catalogFor finds the uploaded releases a manifest names.
func (d *Deployer) catalogFor(m manifest.Manifest) (catalog, error) {
	cat := catalog{}
	var errs []error
	for _, r := range m.Releases {
		tb, err := d.resolveRelease(r.Name, r.Version)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		cat[r.Name] = tb
	}
	for _, g := range m.InstanceGroups {
		for _, j := range g.Jobs {
			if _, ok := cat[j.Release]; !ok {
				continue // reported above, or by the manifest parser
			}
			if _, err := cat.JobSpec(j.Release, j.Name); err != nil {
				errs = append(errs, fmt.Errorf("instance group '%s': %w", g.Name, err))
			}
		}
	}
	if len(errs) > 0 {
		return nil, director.NewError(400, 190014, "%s", errors.Join(errs...).Error())
	}
	return cat, nil
}

// packagePlan works out which compiled packages the deployment's jobs need,
// without compiling them yet.
func (d *Deployer) packagePlan(m manifest.Manifest, cat catalog, p *prepared) (map[string]map[string]compiled, error) {
	jobsByRelease := map[string][]string{}
	for _, g := range m.InstanceGroups {
		for _, j := range g.Jobs {
			jobsByRelease[j.Release] = append(jobsByRelease[j.Release], j.Name)
		}
	}
	out := map[string]map[string]compiled{}
	for _, name := range sortedKeys(jobsByRelease) {
		set, err := packagesFor(cat[name], jobsByRelease[name])
		if err != nil {
			return nil, err
		}
		p.sets = append(p.sets, set)
		out[name] = map[string]compiled{}
		for pkg, key := range set.keys {
			dir, err := d.compiledDir(pkg, key)
			if err != nil {
				return nil, err
			}
			out[name][pkg] = compiled{Name: pkg, Key: key, Dir: dir}
		}
	}
	return out, nil
}

// ipsElsewhere lists the IPs other deployments hold.
func (d *Deployer) ipsElsewhere(name string) (map[netip.Addr]string, error) {
	names, err := d.deploymentNames()
	if err != nil {
		return nil, err
	}
	out := map[netip.Addr]string{}
	for _, other := range names {
		if other == name {
			continue
		}
		rec, _, err := d.loadRecord(other)
		if err != nil {
			return nil, err
		}
		for ip, who := range rec.State.IPsInUse(other) {
			out[ip] = who
		}
	}
	return out, nil
}

// plannedState is the record's instances once the plan is accepted: the
// desired instances (keeping their VMs and disks) and the obsolete ones,
// which stay until they are deleted.
func plannedState(prev manifest.DeploymentState, plan manifest.DeploymentPlan) manifest.DeploymentState {
	var next manifest.DeploymentState
	for _, g := range plan.Groups {
		for _, inst := range g.Instances {
			next.Instances = append(next.Instances, inst.State())
		}
		next.Instances = append(next.Instances, g.Obsolete...)
	}
	next.Instances = append(next.Instances, plan.Obsolete...)
	return next
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
