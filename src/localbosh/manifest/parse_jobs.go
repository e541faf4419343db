package manifest

import (
	"slices"

	"github.com/cloudfoundry-incubator/etcd-release/src/boshname"
)

var (
	jobKeys            = []string{"name", "release", "properties", "provides", "consumes"}
	jobUnsupportedKeys = map[string]string{
		"custom_provider_definitions": "is not supported by localbosh; declare the link in the job spec's 'provides'",
	}
)

// blockedLink is how a manifest switches a link off: the string "nil".
const blockedLink = "nil"

func parseJobs(g at, releases []Release) []Job {
	if g.missing("jobs", "list the jobs the instances run, each with name and release") {
		return nil
	}
	var jobs []Job
	for _, j := range g.hashes("jobs") {
		j.checkKeys(jobKeys, jobUnsupportedKeys)
		job := Job{
			Name:     j.nameStr("name", "job name", "name a job from the release", boshname.Identifier),
			Release:  j.nameStr("release", "release name", "name the release the job comes from, from 'releases'", boshname.Identifier),
			Provides: parseProvides(j),
			Consumes: parseConsumes(j),
		}
		if j.has("properties") {
			// Present, even empty or null, means "only these": BOSH then
			// ignores group and global properties for this job.
			job.Properties = j.subHash("properties")
			if job.Properties == nil {
				job.Properties = map[string]any{}
			}
		}
		checkRelease(j, job.Release, releases)
		jobs = append(jobs, job)
	}
	checkUniqueNames(g, "jobs", jobs, func(j Job) string { return j.Name })
	return jobs
}

func checkRelease(j at, name string, releases []Release) {
	if name == "" || slices.ContainsFunc(releases, func(r Release) bool { return r.Name == name }) {
		return
	}
	names := make([]string, len(releases))
	for i, r := range releases {
		names[i] = r.Name
	}
	j.problem("release", "'release' names '%s', which 'releases' does not list; add it there or %s", name, known(names))
}

func parseProvides(j at) map[string]ProvidedLink {
	entries, ok := j.child("provides")
	if !ok {
		return nil
	}
	out := map[string]ProvidedLink{}
	for _, name := range sortedKeys(entries.hash) {
		if entries.hash[name] == blockedLink {
			out[name] = ProvidedLink{Disabled: true}
			continue
		}
		p, ok := linkEntry(entries, name)
		if !ok {
			continue
		}
		p.checkKeys([]string{"as", "shared", "aliases"}, map[string]string{
			"name": "belongs in the job spec, not the manifest; remove it",
			"type": "belongs in the job spec, not the manifest; remove it",
		})
		out[name] = ProvidedLink{As: p.str("as"), Shared: p.boolean("shared", false)}
	}
	return out
}

func parseConsumes(j at) map[string]ConsumedLink {
	entries, ok := j.child("consumes")
	if !ok {
		return nil
	}
	out := map[string]ConsumedLink{}
	for _, name := range sortedKeys(entries.hash) {
		if entries.hash[name] == blockedLink {
			out[name] = ConsumedLink{Blocked: true}
			continue
		}
		c, ok := linkEntry(entries, name)
		if !ok {
			continue
		}
		manual := "(a manual link) is not supported by localbosh; consume a link from a job of the deployment"
		c.checkKeys([]string{"from", "deployment", "network", "ip_addresses"}, map[string]string{
			"instances":  manual,
			"properties": manual,
			"address":    manual,
			"name":       "belongs in the job spec, not the manifest; remove it",
			"type":       "belongs in the job spec, not the manifest; remove it",
		})
		link := ConsumedLink{From: c.str("from"), Deployment: c.str("deployment"), Network: c.str("network")}
		if c.has("ip_addresses") {
			v := c.boolean("ip_addresses", false)
			link.IPAddresses = &v
		}
		out[name] = link
	}
	return out
}

// linkEntry returns a provides/consumes entry that must be a hash (or 'nil',
// handled by the caller).
func linkEntry(entries at, name string) (at, bool) {
	if entries.hash[name] == nil {
		entries.problem(name, "'%s' is null; give a hash, or the string 'nil' to switch the link off", name)
		return at{}, false
	}
	return entries.child(name)
}
