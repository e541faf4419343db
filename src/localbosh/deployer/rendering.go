package deployer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/manifest"
	"github.com/cloudfoundry-incubator/etcd-release/src/release"
	"github.com/cloudfoundry-incubator/etcd-release/src/render"
)

// desiredInstance is everything to apply to one instance: its plan, the
// rendered jobs with their compiled packages, and a digest of all of it, so
// an instance whose digest did not change is left alone.
type desiredInstance struct {
	group  manifest.GroupPlan
	plan   manifest.InstancePlan
	jobs   []renderedJob
	digest string
	// configHash covers the rendered templates only, as BOSH's
	// configuration hash does (drain's hash_changed).
	configHash string
	// boshDNS: the deployment uses BOSH DNS names (use_dns_addresses), so
	// its VMs resolve through the director's DNS.
	boshDNS bool
}

// spec is what drain's arguments compare: the first job's sha1 (the
// director's legacy job.sha1), the configuration hash and the package
// versions.
func (di desiredInstance) spec() appliedSpec {
	s := appliedSpec{ConfigHash: di.configHash, Packages: map[string]string{}}
	if len(di.jobs) > 0 {
		s.JobSHA1 = di.jobs[0].sha1
	}
	for _, j := range di.jobs {
		for _, p := range j.packages {
			s.Packages[p.Name] = p.Key
		}
	}
	return s
}

// renderedJob is one job of an instance, ready to install.
type renderedJob struct {
	name     string
	files    map[string][]byte // destination under /var/vcap/jobs/<name>/ -> content
	monit    []byte
	packages []compiled
	digest   string
	sha1     string // the release job tarball's, from release.MF
}

// jobNames lists the instance's jobs in manifest order.
func (di desiredInstance) jobNames() []string {
	names := make([]string, len(di.jobs))
	for i, j := range di.jobs {
		names[i] = j.name
	}
	return names
}

// renderContext is what rendering every instance of a deployment shares.
type renderContext struct {
	manifest manifest.Manifest
	catalog  catalog
	links    manifest.Links
	packages map[string]map[string]compiled // release -> package -> compiled
	// azIndexes numbers the cloud config's AZs from 1, in its order, as the
	// director's DNS encodes AZs in link queries.
	azIndexes map[string]int
}

// renderAll renders every desired instance of the plan's groups (errand
// groups included, they render when run), collecting every failure in
// BOSH's words so nothing is touched when one template fails.
func (d *Deployer) renderAll(ctx context.Context, rc renderContext, plan manifest.DeploymentPlan) (map[string]desiredInstance, error) {
	out := map[string]desiredInstance{}
	var groupErrs []string
	for _, g := range plan.Groups {
		var instErrs []string
		for _, inst := range g.Instances {
			di, err := d.renderInstance(ctx, rc, g, inst)
			if err != nil {
				instErrs = append(instErrs, indent(err.Error()))
				break // one instance's errors speak for the group, as BOSH reports them
			}
			out[inst.ID] = di
		}
		if len(instErrs) > 0 {
			groupErrs = append(groupErrs, fmt.Sprintf("  - Unable to render jobs for instance group '%s'. Errors are:\n%s", g.Group.Name, strings.Join(instErrs, "\n")))
		}
	}
	if len(groupErrs) > 0 {
		return nil, errors.New("Unable to render instance groups for deployment. Errors are:\n" + strings.Join(groupErrs, "\n"))
	}
	return out, nil
}

// indent nests an error message one level down a BOSH error list.
func indent(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if i == 0 {
			lines[i] = "    - " + l
		} else {
			lines[i] = "    " + l
		}
	}
	return strings.Join(lines, "\n")
}

// renderInstance renders one instance's jobs.
func (d *Deployer) renderInstance(ctx context.Context, rc renderContext, g manifest.GroupPlan, inst manifest.InstancePlan) (desiredInstance, error) {
	m := rc.manifest
	ri := render.Instance{
		Deployment: m.Name, Name: g.Group.Name, ID: inst.ID, AZ: inst.AZ, Index: inst.Index,
		Bootstrap: inst.Bootstrap, Address: instanceAddress(m, inst),
		Networks: map[string]render.Network{}, PersistentDiskMB: g.PersistentDiskMB,
	}
	for _, n := range inst.Networks {
		ri.Networks[n.Name] = render.Network{Type: n.Type, IP: n.IP.String(), Netmask: n.Netmask,
			Gateway: n.Gateway.String(), DNS: addrStrings(n.DNS), Default: n.Default, CloudProperties: n.CloudProperties,
			DNSRecordName: manifest.DNSName(strconv.Itoa(inst.Index), g.Group.Name, n.Name, m.Name)}
	}
	for _, j := range g.Group.Jobs {
		ri.Jobs = append(ri.Jobs, j.Name)
	}

	di := desiredInstance{group: g, plan: inst, boshDNS: m.UseDNSAddresses()}
	h := sha256.New()
	fmt.Fprintf(h, "disk=%d\n", g.PersistentDiskMB)
	for _, n := range inst.Networks {
		fmt.Fprintf(h, "net=%s/%s\n", n.Name, n.IP)
	}
	for _, j := range g.Group.Jobs {
		rel := rc.catalog[j.Release]
		ri.Release = render.Release{Name: rel.Manifest.Name, Version: rel.Manifest.Version}
		spec, err := rc.catalog.JobSpec(j.Release, j.Name)
		if err != nil {
			return di, err
		}
		links, err := renderLinks(rc, g.Group.Name, j.Name)
		if err != nil {
			return di, err
		}
		files, err := d.renderer.RenderJob(ctx, rel.JobDir(j.Name), spec, m.JobProperties(g.Group, j), ri, links)
		if err != nil {
			return di, err
		}
		rj := renderedJob{name: j.Name, monit: files[render.MonitDestination], files: files}
		delete(rj.files, render.MonitDestination)
		ref := jobRef(rel, j.Name)
		rj.sha1 = ref.SHA1
		for _, p := range ref.Packages {
			rj.packages = append(rj.packages, rc.packages[j.Release][p])
		}
		rj.digest = jobDigest(ref, rj)
		fmt.Fprintf(h, "job=%s %s\n", j.Name, rj.digest)
		di.jobs = append(di.jobs, rj)
	}
	di.digest = hex.EncodeToString(h.Sum(nil))
	ch := sha256.New()
	for _, j := range di.jobs {
		fmt.Fprintf(ch, "job=%s\n", j.name)
		hashTemplates(ch, j)
	}
	di.configHash = hex.EncodeToString(ch.Sum(nil))
	return di, nil
}

// renderLinks turns the resolved links a job consumes into what its
// templates see: the provider's instances and published properties.
func renderLinks(rc renderContext, group, job string) (map[string]render.Link, error) {
	out := map[string]render.Link{}
	for name, l := range rc.links[group][job] {
		spec, err := rc.catalog.JobSpec(l.ProviderRelease, l.ProviderJob)
		if err != nil {
			return nil, err
		}
		resolved, err := render.ResolveProperties(spec, l.ProviderProperties)
		if err != nil {
			return nil, err
		}
		props, err := render.PublishedProperties(spec, l.ProviderLink, resolved)
		if err != nil {
			return nil, err
		}
		link := render.Link{Properties: props, Address: l.Address, AZIndexes: rc.azIndexes}
		for _, i := range l.Instances {
			link.Instances = append(link.Instances, render.LinkInstance{Name: i.Name, Index: i.Index, ID: i.ID,
				AZ: i.AZ, Address: i.Address, Bootstrap: i.Bootstrap})
		}
		out[name] = link
	}
	return out, nil
}

func jobRef(rel release.Tarball, job string) release.JobRef {
	i := slices.IndexFunc(rel.Manifest.Jobs, func(j release.JobRef) bool { return j.Name == job })
	if i < 0 {
		return release.JobRef{Name: job}
	}
	return rel.Manifest.Jobs[i]
}

// jobDigest identifies what installing a job puts on a VM.
func jobDigest(ref release.JobRef, rj renderedJob) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s %s\n", ref.Name, ref.Fingerprint)
	hashTemplates(h, rj)
	for _, p := range rj.packages {
		fmt.Fprintf(h, "package %s %s\n", p.Name, p.Key)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// hashTemplates writes a job's rendered files and monit file to h.
func hashTemplates(h io.Writer, rj renderedJob) {
	for _, dest := range slices.Sorted(maps.Keys(rj.files)) {
		fmt.Fprintf(h, "file %s %d\n", dest, len(rj.files[dest]))
		h.Write(rj.files[dest])
	}
	h.Write(rj.monit)
}

// instanceAddress is spec.address: the instance's IP, or its BOSH DNS name
// with features.use_dns_addresses.
func instanceAddress(m manifest.Manifest, inst manifest.InstancePlan) string {
	if m.UseDNSAddresses() && inst.AddressNetwork() != "" {
		return manifest.DNSName(inst.ID, inst.Group, inst.AddressNetwork(), m.Name)
	}
	return inst.Address().String()
}
