package render

import (
	"maps"
	"slices"
)

// Instance is what templates learn about the instance they render for, through
// `spec`, `name` and `index`.
type Instance struct {
	Deployment string
	Name       string // instance group name: spec.name, spec.job.name and `name`
	ID         string
	AZ         string
	Index      int
	Bootstrap  bool
	Address    string // spec.address: the default network's address
	// IP is spec.ip. When empty it is taken from Networks as BOSH does: the
	// network whose defaults include "addressable", else "gateway".
	IP               string
	Networks         map[string]Network
	PersistentDiskMB int    // 0 when the instance has no persistent disk
	DNSDomainName    string // defaults to "bosh", the director's default
	Release          Release
	// Jobs names every job of the instance group, for spec.job.templates.
	// Empty means only the job being rendered.
	Jobs []string
}

// Release is the release the rendered job comes from (spec.release).
type Release struct {
	Name    string
	Version string
}

// Network is one entry of spec.networks.
type Network struct {
	Type            string
	IP              string
	Netmask         string
	Gateway         string
	DNS             []string
	Default         []string // "dns", "gateway", "addressable"
	CloudProperties map[string]any
	DNSRecordName   string
}

// Link is a consumed link as its consumer's templates see it.
type Link struct {
	// Properties are the provider's published properties, nested and already
	// resolved (see ResolveProperties and PublishedProperties).
	Properties map[string]any
	Instances  []LinkInstance
	Address    string // link("x").address: the group's DNS address
	// AZIndexes numbers the AZs as the director's DNS does, for
	// address(azs: [...]) queries ("q-a1s0...").
	AZIndexes map[string]int
}

// LinkInstance is one instance of a link's provider.
type LinkInstance struct {
	Name      string // the provider's instance group
	Index     int
	ID        string
	AZ        string
	Address   string
	Bootstrap bool
}

// templateSpec is the spec hash handed to Ruby, keyed as the BOSH director keys it.
type templateSpec struct {
	Deployment     string                 `json:"deployment"`
	Job            specJob                `json:"job"`
	Index          int                    `json:"index"`
	Bootstrap      bool                   `json:"bootstrap"`
	Name           string                 `json:"name"`
	ID             string                 `json:"id"`
	AZ             *string                `json:"az"` // nil without AZs, as on BOSH
	Networks       map[string]specNetwork `json:"networks"`
	Address        string                 `json:"address"`
	IP             string                 `json:"ip"`
	PersistentDisk int                    `json:"persistent_disk"`
	DNSDomainName  string                 `json:"dns_domain_name"`
	Release        specRelease            `json:"release"`
	Properties     map[string]any         `json:"properties"`
	Links          map[string]specLink    `json:"links"`
}

type specJob struct {
	Name      string         `json:"name"`
	Template  string         `json:"template"` // the first job's name, as BOSH's spec.job.template
	Templates []specJobEntry `json:"templates"`
}

type specJobEntry struct {
	Name string `json:"name"`
}

type specRelease struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

type specNetwork struct {
	Type            string         `json:"type,omitempty"`
	IP              string         `json:"ip"`
	Netmask         string         `json:"netmask"`
	Gateway         string         `json:"gateway"`
	DNS             []string       `json:"dns"`
	Default         []string       `json:"default"`
	CloudProperties map[string]any `json:"cloud_properties"`
	DNSRecordName   string         `json:"dns_record_name,omitempty"`
}

type specLink struct {
	Instances  []specLinkInstance `json:"instances"`
	Properties map[string]any     `json:"properties"`
	Address    string             `json:"address,omitempty"`
	AZIndexes  map[string]int     `json:"az_indexes,omitempty"`
}

type specLinkInstance struct {
	Name      string  `json:"name"`
	Index     int     `json:"index"`
	ID        string  `json:"id"`
	AZ        *string `json:"az"` // nil without AZs
	Address   string  `json:"address"`
	Bootstrap bool    `json:"bootstrap"`
}

const defaultDNSDomainName = "bosh"

func newTemplateSpec(job string, inst Instance, props map[string]any, links map[string]Link) templateSpec {
	jobs := inst.Jobs
	if len(jobs) == 0 {
		jobs = []string{job}
	}
	entries := make([]specJobEntry, len(jobs))
	for i, name := range jobs {
		entries[i] = specJobEntry{Name: name}
	}
	domain := inst.DNSDomainName
	if domain == "" {
		domain = defaultDNSDomainName
	}
	ip := inst.IP
	if ip == "" {
		ip = defaultIP(inst.Networks)
	}
	return templateSpec{
		Deployment:     inst.Deployment,
		Job:            specJob{Name: inst.Name, Template: jobs[0], Templates: entries},
		Index:          inst.Index,
		Bootstrap:      inst.Bootstrap,
		Name:           inst.Name,
		ID:             inst.ID,
		AZ:             optional(inst.AZ),
		Networks:       specNetworks(inst.Networks),
		Address:        inst.Address,
		IP:             ip,
		PersistentDisk: inst.PersistentDiskMB,
		DNSDomainName:  domain,
		Release:        specRelease(inst.Release),
		Properties:     props,
		Links:          specLinks(links),
	}
}

func specNetworks(networks map[string]Network) map[string]specNetwork {
	out := make(map[string]specNetwork, len(networks))
	for name, n := range networks {
		out[name] = specNetwork(n)
	}
	return out
}

func specLinks(links map[string]Link) map[string]specLink {
	out := make(map[string]specLink, len(links))
	for name, l := range links {
		// Ruby tells a resolved link by its "instances" key, so never send null.
		instances := make([]specLinkInstance, len(l.Instances))
		for i, li := range l.Instances {
			instances[i] = specLinkInstance{Name: li.Name, Index: li.Index, ID: li.ID, AZ: optional(li.AZ), Address: li.Address, Bootstrap: li.Bootstrap}
		}
		props := l.Properties
		if props == nil {
			props = map[string]any{}
		}
		out[name] = specLink{Instances: instances, Properties: props, Address: l.Address, AZIndexes: l.AZIndexes}
	}
	return out
}

// defaultIP picks spec.ip as the director does: an "addressable" network wins,
// else the first network carrying the default gateway. Names are visited in
// sorted order so the choice is stable.
func defaultIP(networks map[string]Network) string {
	ip := ""
	for _, name := range slices.Sorted(maps.Keys(networks)) {
		n := networks[name]
		if slices.Contains(n.Default, "addressable") {
			return n.IP
		}
		if ip == "" && slices.Contains(n.Default, "gateway") {
			ip = n.IP
		}
	}
	return ip
}

// optional is nil for "", as BOSH gives nil for an AZ that is not there.
func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
