package manifest

import (
	"net/netip"
	"slices"
)

// Manifest is a validated deployment manifest (v2).
type Manifest struct {
	Name           string
	Releases       []Release
	Stemcells      []Stemcell
	Update         UpdateSpec
	InstanceGroups []InstanceGroup
	// Properties are the deprecated global properties; jobs without their
	// own 'properties' see them (see JobProperties).
	Properties map[string]any
	Variables  []any // left for the CLI, as written
	Features   map[string]any
	Tags       map[string]any
	// Warnings are things BOSH accepts but which are deprecated or probably
	// mistakes (unknown keys); the director shows them in the task output.
	Warnings []Warning

	lines map[string]int // pointer -> line, for problems found when planning
}

// UseDNSAddresses reports features.use_dns_addresses: spec.address and link
// instance addresses are BOSH DNS names instead of IPs.
func (m Manifest) UseDNSAddresses() bool {
	v, _ := m.Features["use_dns_addresses"].(bool)
	return v
}

// Release is an entry of 'releases'.
type Release struct {
	Name    string
	Version string // as written; "latest" allowed
	URL     string
	SHA1    string
}

// Stemcell is an entry of 'stemcells'; it names either OS or Name.
type Stemcell struct {
	Alias   string
	OS      string
	Name    string
	Version string // as written; "latest" allowed
}

// Lifecycles of an instance group.
const (
	LifecycleService = "service"
	LifecycleErrand  = "errand"
)

// InstanceGroup is an entry of 'instance_groups'.
type InstanceGroup struct {
	Name      string
	AZs       []string
	Instances int
	Lifecycle string // LifecycleService (default) or LifecycleErrand
	Jobs      []Job
	VMType    string
	// VMResources is the alternative to VMType, as written.
	VMResources  map[string]any
	VMExtensions []string
	Stemcell     string // a stemcell alias
	// PersistentDiskMB is 'persistent_disk'; PersistentDiskType names a
	// cloud-config disk type instead. At most one is set.
	PersistentDiskMB   int
	PersistentDiskType string
	Networks           []GroupNetwork
	Update             UpdateSpec // overrides of the deployment's update block
	MigratedFrom       []Migration
	Env                map[string]any
	Properties         map[string]any // deprecated group-level properties
}

// IsErrand tells whether the group is an errand: its instances get VMs only
// when the errand runs.
func (g InstanceGroup) IsErrand() bool { return g.Lifecycle == LifecycleErrand }

// Network returns the group's entry for a network.
func (g InstanceGroup) Network(name string) (GroupNetwork, bool) {
	i := slices.IndexFunc(g.Networks, func(n GroupNetwork) bool { return n.Name == name })
	if i < 0 {
		return GroupNetwork{}, false
	}
	return g.Networks[i], true
}

// Network defaults a group network can carry.
const (
	DefaultDNS         = "dns"
	DefaultGateway     = "gateway"
	DefaultAddressable = "addressable"
)

// GroupNetwork is an entry of an instance group's 'networks'.
type GroupNetwork struct {
	Name      string
	StaticIPs []netip.Addr // one per instance, in order; nil when IPs are dynamic
	// Default lists what this network is the default for, sorted. A group
	// with one network has it as default for dns and gateway, as in BOSH.
	Default []string
}

// IsDefaultFor tells whether the network is the group's default for what
// (DefaultDNS, DefaultGateway, DefaultAddressable).
func (n GroupNetwork) IsDefaultFor(what string) bool { return slices.Contains(n.Default, what) }

// Migration is an entry of 'migrated_from': a group whose instances this one
// takes over.
type Migration struct {
	Name string
	AZ   string // for instances of the old group that have no AZ
}

// Job is an entry of an instance group's 'jobs'.
type Job struct {
	Name    string
	Release string
	// Properties are the job's own properties; nil when the job has no
	// 'properties' key, in which case it sees the group's and global ones.
	Properties map[string]any
	Provides   map[string]ProvidedLink // by the provider's link name in the job spec
	Consumes   map[string]ConsumedLink // by the consumer's link name in the job spec
}

// ProvidedLink configures a link a job provides.
type ProvidedLink struct {
	Disabled bool   // written as the string 'nil': nobody can consume it
	As       string // the name consumers find it by; the spec's link name when empty
	Shared   bool
}

// ConsumedLink configures a link a job consumes.
type ConsumedLink struct {
	Blocked     bool   // written as the string 'nil': the link stays unresolved
	From        string // the provider's name ('as'); the consumed link's name when empty
	Deployment  string // only this deployment is supported
	Network     string // the provider network whose addresses the link carries
	IPAddresses *bool  // true: IPs even with features.use_dns_addresses
}

// InstanceGroup returns the group with that name.
func (m Manifest) InstanceGroup(name string) (InstanceGroup, bool) {
	i := slices.IndexFunc(m.InstanceGroups, func(g InstanceGroup) bool { return g.Name == name })
	if i < 0 {
		return InstanceGroup{}, false
	}
	return m.InstanceGroups[i], true
}

// JobProperties returns the manifest properties a job's templates are
// rendered from, as the director picks them: the job's own properties when
// it has a 'properties' key, else the global properties with the group's
// merged over them. Hand the result to render.ResolveProperties.
func (m Manifest) JobProperties(g InstanceGroup, j Job) map[string]any {
	if j.Properties != nil {
		return j.Properties
	}
	return deepMerge(m.Properties, g.Properties)
}

// deepMerge returns base with over merged in: hashes merge key by key,
// anything else in over replaces base's. Neither input is changed.
func deepMerge(base, over map[string]any) map[string]any {
	out := make(map[string]any, len(base)+len(over))
	for k, v := range base {
		out[k] = v
	}
	for k, v := range over {
		if baseHash, ok := out[k].(map[string]any); ok {
			if overHash, ok := v.(map[string]any); ok {
				out[k] = deepMerge(baseHash, overHash)
				continue
			}
		}
		out[k] = v
	}
	return out
}
