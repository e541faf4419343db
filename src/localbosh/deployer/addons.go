package deployer

import (
	"fmt"
	"slices"

	"gopkg.in/yaml.v3"

	"github.com/cloudfoundry-incubator/etcd-release/src/director"
)

// withAddons is the manifest with its addons (deployment level) and those
// of the runtime configs applied as the director applies them: each
// addon's jobs join every instance group its include filter selects and
// its exclude filter does not (filters on deployments, jobs, instance
// groups, stemcell os, networks, azs, lifecycle; an empty include selects
// every group), with the job's properties, else the addon's; the releases
// those jobs come from are added from the runtime config. A manifest with
// no addon to apply comes back as it was.
func withAddons(manifestYAML []byte, runtimeConfigs []director.ConfigVersion) ([]byte, error) {
	var doc map[string]any
	if err := yaml.Unmarshal(manifestYAML, &doc); err != nil || doc == nil {
		return manifestYAML, nil // the manifest parser reports it
	}
	type source struct {
		what     string
		addons   []any
		releases []any
	}
	sources := []source{}
	if a, ok := doc["addons"].([]any); ok {
		sources = append(sources, source{what: "the deployment manifest", addons: a})
	}
	for _, rc := range runtimeConfigs {
		var c map[string]any
		if err := yaml.Unmarshal([]byte(rc.Content), &c); err != nil {
			return nil, fmt.Errorf("runtime config '%s': %w", rc.Name, err)
		}
		a, _ := c["addons"].([]any)
		r, _ := c["releases"].([]any)
		sources = append(sources, source{what: fmt.Sprintf("runtime config '%s'", rc.Name), addons: a, releases: r})
	}
	if _, ok := doc["addons"]; !ok && !slices.ContainsFunc(sources, func(s source) bool { return len(s.addons) > 0 }) {
		return manifestYAML, nil
	}
	delete(doc, "addons")
	name, _ := doc["name"].(string)
	groups, _ := doc["instance_groups"].([]any)
	for _, src := range sources {
		for _, raw := range src.addons {
			addon, ok := raw.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("%s: an addon must be a hash, not %v", src.what, raw)
			}
			jobs, _ := addon["jobs"].([]any)
			include, _ := addon["include"].(map[string]any)
			exclude, _ := addon["exclude"].(map[string]any)
			applied := false
			for _, g := range groups {
				group, ok := g.(map[string]any)
				if !ok || !addonFilter(include, true, name, group, doc) || (exclude != nil && addonFilter(exclude, false, name, group, doc)) {
					continue
				}
				for _, j := range jobs {
					job, ok := j.(map[string]any)
					if !ok {
						return nil, fmt.Errorf("%s: addon '%v': a job must be a hash", src.what, addon["name"])
					}
					groupJobs, _ := group["jobs"].([]any)
					if slices.ContainsFunc(groupJobs, func(e any) bool { m, _ := e.(map[string]any); return m["name"] == job["name"] }) {
						return nil, director.NewError(400, 190016, "Colocated job '%v' is already added to the instance group '%v'", job["name"], group["name"])
					}
					added := map[string]any{"name": job["name"], "release": job["release"]}
					if props, ok := job["properties"]; ok {
						added["properties"] = props
					} else if props, ok := addon["properties"]; ok {
						added["properties"] = props
					}
					group["jobs"] = append(groupJobs, added)
					applied = true
				}
			}
			if applied {
				if err := addAddonReleases(doc, jobs, src.releases, src.what); err != nil {
					return nil, err
				}
			}
		}
	}
	return yaml.Marshal(doc)
}

// addAddonReleases adds the releases of an applied addon's jobs that the
// manifest lacks, from the runtime config's releases.
func addAddonReleases(doc map[string]any, jobs, available []any, what string) error {
	releases, _ := doc["releases"].([]any)
	for _, j := range jobs {
		job, _ := j.(map[string]any)
		rel := job["release"]
		if slices.ContainsFunc(releases, func(r any) bool { m, _ := r.(map[string]any); return m["name"] == rel }) {
			continue
		}
		i := slices.IndexFunc(available, func(r any) bool { m, _ := r.(map[string]any); return m["name"] == rel })
		if i < 0 {
			return fmt.Errorf("%s: the addon job '%v' comes from release '%v', which neither it nor the manifest lists under 'releases'", what, job["name"], rel)
		}
		releases = append(releases, available[i])
	}
	doc["releases"] = releases
	return nil
}

// addonFilter reports whether an include (or exclude) filter selects a
// group, as the director's addon filter does. An empty include selects
// every group; an empty exclude none.
func addonFilter(f map[string]any, include bool, deployment string, group, doc map[string]any) bool {
	list := func(key string) []any { l, _ := f[key].([]any); return l }
	if lc, _ := f["lifecycle"].(string); lc != "" {
		gl, _ := group["lifecycle"].(string)
		if gl == "" {
			gl = "service"
		}
		if lc != gl {
			return false
		}
	}
	if azs := list("azs"); len(azs) > 0 && !anyIn(azs, asList(group["azs"])) {
		return false
	}
	if stemcells := list("stemcell"); len(stemcells) > 0 && !slices.ContainsFunc(stemcells, func(s any) bool {
		m, _ := s.(map[string]any)
		return m["os"] != nil && m["os"] == groupOS(group, doc)
	}) {
		return false
	}
	if nets := list("networks"); len(nets) > 0 {
		var names []any
		for _, n := range asList(group["networks"]) {
			m, _ := n.(map[string]any)
			names = append(names, m["name"])
		}
		if !anyIn(nets, names) {
			return false
		}
	}
	deployments, jobs, groups := list("deployments"), list("jobs"), list("instance_groups")
	ok := true
	if len(deployments) > 0 {
		ok = ok && slices.Contains(deployments, any(deployment))
	}
	if len(jobs) > 0 {
		ok = ok && slices.ContainsFunc(jobs, func(j any) bool {
			want, _ := j.(map[string]any)
			return slices.ContainsFunc(asList(group["jobs"]), func(e any) bool {
				have, _ := e.(map[string]any)
				return have["name"] == want["name"] && have["release"] == want["release"]
			})
		})
	}
	if len(groups) > 0 {
		ok = ok && slices.Contains(groups, group["name"])
	}
	if len(deployments)+len(jobs)+len(groups) == 0 {
		if include {
			return true
		}
		return len(list("stemcell"))+len(list("networks"))+len(list("azs")) > 0 || f["lifecycle"] != nil
	}
	return ok
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

func anyIn(want, have []any) bool {
	return slices.ContainsFunc(want, func(w any) bool { return slices.Contains(have, w) })
}

// groupOS is the os of the stemcell a group names by alias.
func groupOS(group, doc map[string]any) any {
	for _, s := range asList(doc["stemcells"]) {
		m, _ := s.(map[string]any)
		if m["alias"] == group["stemcell"] {
			return m["os"]
		}
	}
	return nil
}
