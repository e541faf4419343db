package manifest

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/cloudfoundry-incubator/etcd-release/src/boshname"
)

const manifestDocument = "deployment manifest"

// Top-level keys, as the director treats them.
var (
	manifestKeys = []string{"name", "director_uuid", "releases", "stemcells", "update",
		"instance_groups", "properties", "variables", "features", "tags"}
	manifestUnsupportedKeys = map[string]string{
		"azs":            "can only be set in a cloud config; move it there",
		"vm_types":       "can only be set in a cloud config; move it there",
		"vm_extensions":  "can only be set in a cloud config; move it there",
		"disk_types":     "can only be set in a cloud config; move it there",
		"compilation":    "can only be set in a cloud config; move it there",
		"networks":       "are no longer supported in a deployment manifest; define networks in the cloud config",
		"disk_pools":     "is no longer supported; define disk_types in the cloud config",
		"resource_pools": "is no longer supported; define vm_types in the cloud config",
		"jobs":           "is the v1 manifest format, no longer supported; use 'instance_groups'",
		"release":        "is the v1 manifest format; use a 'releases' list",
		"addons":         "(deployment addons) are not supported by localbosh; put the jobs into the instance groups",
	}
)

// ParseManifest reads and validates a deployment manifest v2. It reports
// every problem it finds at once, each naming its path, line and a fix.
// ((variables)) left in it are an error: the director has no config server.
func ParseManifest(data []byte) (Manifest, error) {
	doc, err := decodeDocument(data, manifestDocument, ErrInvalidManifest)
	if err != nil {
		return Manifest{}, err
	}
	if err := doc.checkVariables(); err != nil {
		return Manifest{}, err
	}
	m := parseManifest(doc.top())
	if err := doc.err(); err != nil {
		return Manifest{}, err
	}
	m.Warnings = doc.warnings
	m.lines = make(map[string]int, len(doc.nodes))
	for pointer, info := range doc.nodes {
		m.lines[pointer] = info.line
	}
	return m, nil
}

// CheckManifestNames checks only the names in a deployment manifest
// (deployment, releases and versions, stemcells, instance groups, jobs,
// networks, AZs, variables) by the director's rules, for the API to refuse
// a manifest before a task starts: localbosh keeps state in files named
// after them. Every other problem, and a document it cannot read, is left to
// ParseManifest, which the deploy task runs.
func CheckManifestNames(data []byte) error {
	doc, err := decodeDocument(data, manifestDocument, ErrInvalidManifest)
	if err != nil {
		return nil
	}
	parseManifest(doc.top())
	return doc.nameErr()
}

func parseManifest(top at) Manifest {
	top.checkKeys(manifestKeys, manifestUnsupportedKeys)
	m := Manifest{
		Name:       top.nameStr("name", "deployment name", "name the deployment", boshname.Identifier),
		Releases:   parseReleases(top),
		Stemcells:  parseStemcells(top),
		Update:     parseUpdate(top, true),
		Properties: top.subHash("properties"),
		Variables:  top.list("variables"),
		Features:   top.subHash("features"),
		Tags:       top.subHash("tags"),
	}
	if top.has("properties") {
		top.warn(deprecationType, "properties", "holds global properties, which are deprecated; define properties at the job level")
	}
	for _, v := range top.hashes("variables") {
		v.nameRule("name", "variable name", v.str("name"), boshname.Variable)
	}
	for _, g := range top.hashes("instance_groups") {
		m.InstanceGroups = append(m.InstanceGroups, parseInstanceGroup(g, m))
	}
	checkUniqueNames(top, "instance_groups", m.InstanceGroups, func(g InstanceGroup) string { return g.Name })
	checkStaticIPsUnique(top, m.InstanceGroups)
	checkMigrations(top, m.InstanceGroups)
	return m
}

func parseReleases(top at) []Release {
	if top.missing("releases", "list the releases the jobs come from, each with name and version") {
		return nil
	}
	var releases []Release
	for _, r := range top.hashes("releases") {
		r.checkKeys([]string{"name", "version", "url", "sha1", "stemcell", "exported_from"}, nil)
		release := Release{
			Name: r.nameStr("name", "release name", "name the release", boshname.Identifier),
			URL:  r.str("url"),
			SHA1: r.str("sha1"),
		}
		if !r.missing("version", "give the release version, or 'latest'") {
			release.Version = r.scalarText("version")
			r.nameRule("version", "release version", release.Version, boshname.Identifier)
		}
		releases = append(releases, release)
	}
	checkUniqueNames(top, "releases", releases, func(r Release) string { return r.Name })
	return releases
}

func parseStemcells(top at) []Stemcell {
	var stemcells []Stemcell
	for _, s := range top.hashesLabelled("stemcells", "alias") {
		s.checkKeys([]string{"alias", "os", "name", "version"}, nil)
		stemcell := Stemcell{
			Alias: s.nameStr("alias", "stemcell alias", "give the stemcell an alias for instance groups' 'stemcell'", boshname.Identifier),
			OS:    s.str("os"),
			Name:  s.str("name"),
		}
		s.nameRule("os", "stemcell OS", stemcell.OS, boshname.Identifier)
		s.nameRule("name", "stemcell name", stemcell.Name, boshname.Identifier)
		if !s.missing("version", "give the stemcell version, or 'latest'") {
			stemcell.Version = s.scalarText("version")
			s.nameRule("version", "stemcell version", stemcell.Version, boshname.Identifier)
		}
		switch {
		case stemcell.OS != "" && stemcell.Name != "":
			s.problem("os", "'os' and 'name' are both given; choose one")
		case stemcell.OS == "" && stemcell.Name == "":
			s.problem("os", "'os' (or 'name') is required; give the stemcell's OS, e.g. ubuntu-jammy")
		}
		stemcells = append(stemcells, stemcell)
	}
	for i, s := range stemcells {
		if slices.IndexFunc(stemcells[:i], func(o Stemcell) bool { return o.Alias == s.Alias }) >= 0 {
			top.problem("stemcells", "stemcell alias '%s' is given more than once; give each stemcell its own alias", s.Alias)
		}
	}
	return stemcells
}

// parseUpdate reads an update block. The deployment's must give every
// setting but serial; an instance group's overrides any of them.
func parseUpdate(parent at, required bool) UpdateSpec {
	if required && parent.missing("update", "give canaries, max_in_flight, canary_watch_time and update_watch_time") {
		return UpdateSpec{}
	}
	u, ok := parent.child("update")
	if !ok {
		return UpdateSpec{}
	}
	u.checkKeys([]string{"canaries", "max_in_flight", "canary_watch_time", "update_watch_time",
		"serial", "vm_strategy", "initial_deploy_az_update_strategy"}, nil)
	spec := UpdateSpec{
		Canaries:        u.hash["canaries"],
		MaxInFlight:     u.hash["max_in_flight"],
		CanaryWatchTime: u.hash["canary_watch_time"],
		UpdateWatchTime: u.hash["update_watch_time"],
	}
	if u.has("serial") {
		serial := u.boolean("serial", true)
		spec.Serial = &serial
	}
	checks := []struct {
		key   string
		value any
		check func(any) error
		fix   string
	}{
		{"canaries", spec.Canaries, func(v any) error { _, err := Canaries(v, 0); return err }, "e.g. 1"},
		{"max_in_flight", spec.MaxInFlight, func(v any) error { _, err := MaxInFlight(v, 0); return err }, "e.g. 1 or \"25%\""},
		{"canary_watch_time", spec.CanaryWatchTime, func(v any) error { _, _, err := WatchTime(v); return err }, "e.g. 1000-30000"},
		{"update_watch_time", spec.UpdateWatchTime, func(v any) error { _, _, err := WatchTime(v); return err }, "e.g. 1000-30000"},
	}
	for _, c := range checks {
		if c.value == nil {
			if required {
				u.problem(c.key, "'%s' is required; %s", c.key, c.fix)
			}
			continue
		}
		if err := c.check(c.value); err != nil {
			u.problem(c.key, "'%s' %v", c.key, err)
		}
	}
	return spec
}

// checkUniqueNames reports names used twice in the list under key.
func checkUniqueNames[T any](parent at, key string, items []T, name func(T) string) {
	seen := map[string]bool{}
	for _, item := range items {
		n := name(item)
		if n != "" && seen[n] {
			parent.problem(key, "'%s' has more than one entry named '%s'; names must be unique", key, n)
		}
		seen[n] = true
	}
}

// checkStaticIPsUnique reports a static IP given to two instances, in one
// instance group or across groups.
func checkStaticIPsUnique(top at, groups []InstanceGroup) {
	owner := map[netip.Addr]string{}
	for _, g := range groups {
		for _, n := range g.Networks {
			for _, ip := range n.StaticIPs {
				where := fmt.Sprintf("instance group '%s' (network '%s')", g.Name, n.Name)
				if first, ok := owner[ip]; ok {
					top.problem("instance_groups", "static IP %s is given twice: in %s and in %s; give each instance its own IP", ip, first, where)
					continue
				}
				owner[ip] = where
			}
		}
	}
}

// checkMigrations reports migrations BOSH cannot carry out: from a group the
// manifest still has, or from one group into two.
func checkMigrations(top at, groups []InstanceGroup) {
	into := map[string]string{}
	for _, g := range groups {
		for _, mf := range g.MigratedFrom {
			if slices.ContainsFunc(groups, func(o InstanceGroup) bool { return o.Name == mf.Name }) {
				top.problem("instance_groups", "instance group '%s' migrates from '%s', which is still an instance group; remove one of them", g.Name, mf.Name)
			}
			if other, ok := into[mf.Name]; ok && other != g.Name {
				top.problem("instance_groups", "instance groups '%s' and '%s' both migrate from '%s'; only one can take its instances", other, g.Name, mf.Name)
			}
			into[mf.Name] = g.Name
		}
	}
}

// known lists names for "use one of" hints.
func known(names []string) string {
	if len(names) == 0 {
		return "none are defined"
	}
	return "use one of: " + strings.Join(names, ", ")
}
