package deployer

import (
	"context"
	"crypto/sha256"
	"fmt"
	"slices"

	"github.com/cloudfoundry-incubator/etcd-release/src/director"
	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/manifest"
)

// deployedManifest parses a deployment's recorded manifest, with the
// addons it was deployed with.
func (d *Deployer) deployedManifest(deployment string) (manifest.Manifest, error) {
	rec, err := d.existingRecord(deployment)
	if err != nil {
		return manifest.Manifest{}, err
	}
	doc, err := withAddons([]byte(rec.Manifest), rec.RuntimeConfigs)
	if err != nil {
		return manifest.Manifest{}, err
	}
	return manifest.ParseManifest(doc)
}

// Errands lists, as the director does, the errand instance groups, then
// every job that runs as an errand (its spec has a bin/run template), once.
func (d *Deployer) Errands(ctx context.Context, deployment string) ([]director.Errand, error) {
	m, err := d.deployedManifest(deployment)
	if err != nil {
		return nil, err
	}
	cat, err := d.catalogFor(m)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, g := range m.InstanceGroups {
		if g.IsErrand() {
			names = append(names, g.Name)
		}
	}
	for _, g := range m.InstanceGroups {
		for _, j := range g.Jobs {
			spec, err := cat.JobSpec(j.Release, j.Name)
			if err == nil && runsAsErrand(spec.Templates) {
				names = append(names, j.Name)
			}
		}
	}
	out := []director.Errand{}
	for _, n := range names {
		if !slices.ContainsFunc(out, func(e director.Errand) bool { return e.Name == n }) {
			out = append(out, director.Errand{Name: n})
		}
	}
	return out, nil
}

// runsAsErrand reports whether a job's templates install a bin/run.
func runsAsErrand(templates map[string]string) bool {
	for _, dest := range templates {
		if dest == "bin/run" {
			return true
		}
	}
	return false
}

// Variables lists the variables the manifest declares. localbosh has no
// config server: the CLI interpolated their values, so an ID names the
// variable in this deployment, not a stored value.
func (d *Deployer) Variables(ctx context.Context, deployment string) ([]director.Variable, error) {
	m, err := d.deployedManifest(deployment)
	if err != nil {
		return nil, err
	}
	out := []director.Variable{}
	for _, v := range m.Variables {
		def, _ := v.(map[string]any)
		name, _ := def["name"].(string)
		if name == "" {
			continue
		}
		sum := sha256.Sum256([]byte(deployment + "/" + name))
		out = append(out, director.Variable{ID: fmt.Sprintf("%x", sum[:8]), Name: name})
	}
	return out, nil
}
