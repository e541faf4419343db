package manifest

import (
	"fmt"
	"slices"
	"strings"

	"github.com/cloudfoundry-incubator/etcd-release/src/jobspec"
)

// JobCatalog gives the spec of a job in the release version a deploy uses.
type JobCatalog interface {
	JobSpec(release, job string) (jobspec.Spec, error)
}

// JobRef names a job of a release.
type JobRef struct {
	Release, Job string
}

// JobSpecs is a JobCatalog held in memory.
type JobSpecs map[JobRef]jobspec.Spec

// JobSpec returns the spec of a job, or an error naming what is missing.
func (s JobSpecs) JobSpec(release, job string) (jobspec.Spec, error) {
	spec, ok := s[JobRef{Release: release, Job: job}]
	if !ok {
		return jobspec.Spec{}, fmt.Errorf("release '%s' has no job '%s'; check the job name or upload a release version that has it", release, job)
	}
	return spec, nil
}

// Links holds the resolved links: instance group -> job -> the consumed
// link's name in the consumer's spec -> link. Optional links nothing
// provides (or blocked with 'nil') are absent.
type Links map[string]map[string]map[string]ResolvedLink

// ResolvedLink is what a consumer's templates need of a link. The director
// computes the published property values with package render:
//
//	spec := catalog.JobSpec(l.ProviderRelease, l.ProviderJob)
//	resolved := render.ResolveProperties(spec, l.ProviderProperties)
//	props := render.PublishedProperties(spec, l.ProviderLink, resolved)
type ResolvedLink struct {
	Name string // the consumed link's name in the consumer's spec
	Type string

	ProviderGroup   string
	ProviderJob     string
	ProviderRelease string
	ProviderLink    string // the link's name in the provider's spec
	ProviderAlias   string // the name consumers find it by: 'as', else ProviderLink
	Shared          bool
	// PublishedProperties is the provider spec's 'properties' list for the link.
	PublishedProperties []string
	// ProviderProperties are the provider job's manifest properties
	// (Manifest.JobProperties).
	ProviderProperties map[string]any

	Network   string         // the provider network the addresses are on
	Instances []LinkInstance // the provider group's desired instances, by index
	// Address is link(..).address: BOSH DNS's query name for the group,
	// q-s0.<group>.<network>.<deployment>.bosh.
	Address string
}

// LinkInstance is one provider instance as link(..).instances shows it.
type LinkInstance struct {
	Name      string // the provider's instance group
	Index     int
	ID        string
	AZ        string
	Address   string // its IP on the link's network
	Bootstrap bool
}

// ResolveLinks connects every link the deployment's jobs consume to the job
// providing it, as the BOSH director does: an explicit 'from' names a
// provider by its 'as' name (or link name); otherwise the one provider of the
// link's type in the deployment is taken. Optional links may resolve to
// nothing; a required link without exactly one provider is an error naming
// the consumer and the candidates. instances are the planned instances by
// group (DeploymentPlan.InstancesByGroup).
func ResolveLinks(m Manifest, jobs JobCatalog, instances map[string][]InstancePlan) (Links, error) {
	r := linkResolver{m: m, instances: instances}
	specs := r.loadSpecs(jobs)
	if len(r.problems) == 0 {
		r.collectProviders(specs)
	}
	links := Links{}
	if len(r.problems) == 0 {
		for _, g := range m.InstanceGroups {
			for _, j := range g.Jobs {
				for _, c := range specs[g.Name][j.Name].Consumes {
					link, ok := r.resolve(g, j, c)
					if !ok {
						continue
					}
					if links[g.Name] == nil {
						links[g.Name] = map[string]map[string]ResolvedLink{}
					}
					if links[g.Name][j.Name] == nil {
						links[g.Name][j.Name] = map[string]ResolvedLink{}
					}
					links[g.Name][j.Name][c.Name] = link
				}
			}
		}
	}
	if len(r.problems) > 0 {
		return nil, &LinksError{Deployment: m.Name, Problems: r.problems}
	}
	return links, nil
}

// LinksError lists every link that could not be resolved.
type LinksError struct {
	Deployment string
	Problems   []string
}

func (e *LinksError) Error() string {
	if len(e.Problems) == 1 {
		return fmt.Sprintf("%s of deployment '%s': %s", ErrLinks, e.Deployment, e.Problems[0])
	}
	return fmt.Sprintf("%s of deployment '%s':\n  - %s", ErrLinks, e.Deployment, strings.Join(e.Problems, "\n  - "))
}

func (e *LinksError) Unwrap() error { return ErrLinks }

type provider struct {
	group InstanceGroup
	job   Job
	link  jobspec.Link
	name  string // 'as', else the link's name
	cfg   ProvidedLink
}

func (p provider) String() string {
	s := fmt.Sprintf("job '%s' in instance group '%s' (link '%s'", p.job.Name, p.group.Name, p.link.Name)
	if p.name != p.link.Name {
		s += fmt.Sprintf(" as '%s'", p.name)
	}
	return s + ")"
}

type linkResolver struct {
	m         Manifest
	instances map[string][]InstancePlan
	providers []provider
	problems  []string
}

func (r *linkResolver) problem(format string, args ...any) {
	r.problems = append(r.problems, fmt.Sprintf(format, args...))
}

// loadSpecs fetches every job's spec and checks that the manifest's
// provides and consumes name links the spec declares.
func (r *linkResolver) loadSpecs(jobs JobCatalog) map[string]map[string]jobspec.Spec {
	specs := map[string]map[string]jobspec.Spec{}
	for _, g := range r.m.InstanceGroups {
		specs[g.Name] = map[string]jobspec.Spec{}
		for _, j := range g.Jobs {
			spec, err := jobs.JobSpec(j.Release, j.Name)
			if err != nil {
				r.problem("job '%s' in instance group '%s': %v", j.Name, g.Name, err)
				continue
			}
			specs[g.Name][j.Name] = spec
			r.checkDeclared(g, j, "provides", sortedKeys(j.Provides), spec.Provides)
			r.checkDeclared(g, j, "consumes", sortedKeys(j.Consumes), spec.Consumes)
		}
	}
	return specs
}

func (r *linkResolver) checkDeclared(g InstanceGroup, j Job, key string, configured []string, declared []jobspec.Link) {
	declaredNames := names(declared, func(l jobspec.Link) string { return l.Name })
	for _, name := range configured {
		if !slices.Contains(declaredNames, name) {
			r.problem("job '%s' in instance group '%s' configures %s.%s, but its spec declares no such link (it %s: %v); fix the link name",
				j.Name, g.Name, key, name, key, declaredNames)
		}
	}
}

func (r *linkResolver) collectProviders(specs map[string]map[string]jobspec.Spec) {
	for _, g := range r.m.InstanceGroups {
		for _, j := range g.Jobs {
			for _, l := range specs[g.Name][j.Name].Provides {
				cfg := j.Provides[l.Name]
				if cfg.Disabled {
					continue
				}
				p := provider{group: g, job: j, link: l, name: l.Name, cfg: cfg}
				if cfg.As != "" {
					p.name = cfg.As
				}
				r.providers = append(r.providers, p)
			}
		}
	}
}

// resolve finds the provider of one consumed link; ok is false when the
// link stays unresolved (optional, or an error was recorded).
func (r *linkResolver) resolve(g InstanceGroup, j Job, c jobspec.Link) (ResolvedLink, bool) {
	cfg, explicit := j.Consumes[c.Name]
	consumer := fmt.Sprintf("job '%s' in instance group '%s' consumes link '%s' (type '%s')", j.Name, g.Name, c.Name, c.Type)
	if cfg.Blocked {
		if !c.Optional {
			r.problem("%s, which is required, but the manifest switches it off with 'nil'; remove consumes.%s: nil", consumer, c.Name)
		}
		return ResolvedLink{}, false
	}
	if cfg.Deployment != "" && cfg.Deployment != r.m.Name {
		r.problem("%s from deployment '%s'; localbosh resolves links within one deployment only: remove 'deployment' and deploy the provider here", consumer, cfg.Deployment)
		return ResolvedLink{}, false
	}
	wanted := c.Name
	if cfg.From != "" {
		wanted = cfg.From[strings.LastIndex(cfg.From, ".")+1:]
	}
	var found []provider
	for _, p := range r.providers {
		if p.link.Type == c.Type && (!explicit || p.name == wanted) {
			found = append(found, p)
		}
	}
	switch {
	case len(found) == 0 && c.Optional && !explicit:
		return ResolvedLink{}, false
	case len(found) == 0 && explicit:
		from := fmt.Sprintf("from '%s'", wanted)
		if cfg.From == "" {
			// BOSH matches an entry without 'from' by the consumed link's name.
			from = fmt.Sprintf("without 'from', so from a provider named '%s'", wanted)
		}
		r.problem("%s %s, but no job provides a link of that type under that name; providers of type '%s': %s. Fix 'from', or name a provider so with provides.<link>.as",
			consumer, from, c.Type, r.describeProviders(c.Type))
		return ResolvedLink{}, false
	case len(found) == 0:
		r.problem("%s, but no job in the deployment provides a link of type '%s'; add a job that provides one", consumer, c.Type)
		return ResolvedLink{}, false
	case len(found) > 1:
		list := make([]string, len(found))
		for i, p := range found {
			list[i] = p.String()
		}
		r.problem("%s, which %d providers offer: %s; choose one with consumes.%s.from, naming providers apart with provides.<link>.as",
			consumer, len(found), strings.Join(list, ", "), c.Name)
		return ResolvedLink{}, false
	}
	return r.link(c, cfg, found[0], consumer)
}

func (r *linkResolver) describeProviders(linkType string) string {
	var list []string
	for _, p := range r.providers {
		if p.link.Type == linkType {
			list = append(list, p.String())
		}
	}
	if len(list) == 0 {
		return "none"
	}
	return strings.Join(list, ", ")
}

// link builds the resolved link from its provider, with addresses on the
// network the consumer asked for, else the provider's default network.
func (r *linkResolver) link(c jobspec.Link, cfg ConsumedLink, p provider, consumer string) (ResolvedLink, bool) {
	network := cfg.Network
	if network != "" {
		if _, ok := p.group.Network(network); !ok {
			r.problem("%s over network '%s', but its provider %s is not on that network (its networks: %v); fix 'network'",
				consumer, network, p, names(p.group.Networks, func(n GroupNetwork) string { return n.Name }))
			return ResolvedLink{}, false
		}
	} else {
		network = defaultLinkNetwork(p.group)
	}
	link := ResolvedLink{
		Name:                c.Name,
		Type:                c.Type,
		ProviderGroup:       p.group.Name,
		ProviderJob:         p.job.Name,
		ProviderRelease:     p.job.Release,
		ProviderLink:        p.link.Name,
		ProviderAlias:       p.name,
		Shared:              p.cfg.Shared,
		PublishedProperties: slices.Clone(p.link.Properties),
		ProviderProperties:  r.m.JobProperties(p.group, p.job),
		Network:             network,
		Instances:           []LinkInstance{},
		Address:             DNSName("q-s0", p.group.Name, network, r.m.Name),
	}
	for _, inst := range r.instances[p.group.Name] {
		li := LinkInstance{Name: inst.Group, Index: inst.Index, ID: inst.ID, AZ: inst.AZ, Bootstrap: inst.Bootstrap}
		if n, ok := inst.Network(network); ok {
			li.Address = n.IP.String()
			if r.m.UseDNSAddresses() && (cfg.IPAddresses == nil || !*cfg.IPAddresses) {
				li.Address = DNSName(inst.ID, inst.Group, network, r.m.Name)
			}
		}
		link.Instances = append(link.Instances, li)
	}
	slices.SortFunc(link.Instances, func(a, b LinkInstance) int { return a.Index - b.Index })
	return link, true
}

// defaultLinkNetwork is where link addresses come from when the consumer
// names no network: the provider group's address network.
func defaultLinkNetwork(g InstanceGroup) string {
	k := addressNetwork(len(g.Networks), func(k int) []string { return g.Networks[k].Default })
	if k < 0 {
		return ""
	}
	return g.Networks[k].Name
}

// DNSName is a BOSH DNS name, <host>.<group>.<network>.<deployment>.bosh,
// each part but host in BOSH's canonical form: an instance's by id or
// index, or a group query (q-s0).
func DNSName(host, group, network, deployment string) string {
	return strings.Join([]string{host, Canonical(group), Canonical(network), Canonical(deployment), "bosh"}, ".")
}

// Canonical turns a name into a DNS label as BOSH does: lower case,
// underscores to dashes, anything else dropped.
func Canonical(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		switch {
		case r == '_':
			b.WriteRune('-')
		case r == '-' || (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9'):
			b.WriteRune(r)
		}
	}
	return b.String()
}
