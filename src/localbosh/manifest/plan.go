package manifest

import (
	"cmp"
	"net/netip"
	"slices"
)

// DeploymentPlan is what a deploy must do: for each instance group, the
// instances it should have and the ones to delete.
type DeploymentPlan struct {
	Name   string
	Groups []GroupPlan // in manifest order
	// Obsolete are instances of groups the manifest no longer has (and no
	// group migrates from), to delete; highest index first within a group.
	Obsolete []InstanceState
}

// GroupPlan is one instance group's part of a deploy.
type GroupPlan struct {
	Group InstanceGroup // as in the manifest
	// Errand groups get planned instances (ids, indexes, IPs) but no VMs
	// until the errand runs.
	Errand       bool
	Update       UpdateSettings // resolved for len(Instances)
	VMType       VMType         // zero when the group gives vm_resources
	VMExtensions []VMExtension
	Stemcell     Stemcell
	// PersistentDiskMB is the disk size from 'persistent_disk' or the disk
	// type; 0 means no persistent disk.
	PersistentDiskMB    int
	DiskCloudProperties map[string]any
	Instances           []InstancePlan  // desired, by index
	Obsolete            []InstanceState // to delete, highest index first
}

// InstancePlan is one desired instance.
type InstancePlan struct {
	Group     string
	Index     int
	ID        string
	AZ        string
	Bootstrap bool
	// Existing is the instance as persisted when the deploy keeps it; nil
	// for an instance the deploy creates.
	Existing *InstanceState
	Networks []NetworkSettings // in the group's network order
}

// NetworkSettings are an instance's settings on one network: what the agent
// configures and templates see in spec.networks.<name>.
type NetworkSettings struct {
	Name            string
	Type            string // "manual"
	IP              netip.Addr
	Netmask         string
	Gateway         netip.Addr
	DNS             []netip.Addr
	Default         []string // what this network is the default for, sorted
	CloudProperties map[string]any
	Static          bool // the IP comes from the group's static_ips
}

// Name is how BOSH names the instance: "<group>/<id>".
func (i InstancePlan) Name() string { return i.Group + "/" + i.ID }

// IsNew tells whether the deploy creates the instance.
func (i InstancePlan) IsNew() bool { return i.Existing == nil }

// Network returns the instance's settings on a network.
func (i InstancePlan) Network(name string) (NetworkSettings, bool) {
	return find(i.Networks, name, func(n NetworkSettings) string { return n.Name })
}

// Address is spec.address and the address links give for the instance: its
// IP on the network that is the default for "addressable", else for "gateway".
func (i InstancePlan) Address() netip.Addr {
	k := addressNetwork(len(i.Networks), func(k int) []string { return i.Networks[k].Default })
	if k < 0 {
		return netip.Addr{}
	}
	return i.Networks[k].IP
}

// AddressNetwork is the name of the network Address comes from; "" when none.
func (i InstancePlan) AddressNetwork() string {
	k := addressNetwork(len(i.Networks), func(k int) []string { return i.Networks[k].Default })
	if k < 0 {
		return ""
	}
	return i.Networks[k].Name
}

// addressNetwork picks, among n networks, the one addresses come from as BOSH
// does: the default for "addressable", else for "gateway"; -1 when none is.
func addressNetwork(n int, defaults func(int) []string) int {
	for _, what := range []string{DefaultAddressable, DefaultGateway} {
		for k := range n {
			if slices.Contains(defaults(k), what) {
				return k
			}
		}
	}
	return -1
}

// State is the instance as the director should persist it once deployed:
// its identity and IPs, with the director's fields of the existing instance.
func (i InstancePlan) State() InstanceState {
	var s InstanceState
	if i.Existing != nil {
		s = *i.Existing
	}
	s.Group, s.Index, s.ID, s.AZ, s.Bootstrap = i.Group, i.Index, i.ID, i.AZ, i.Bootstrap
	s.Networks = make(map[string]netip.Addr, len(i.Networks))
	for _, n := range i.Networks {
		s.Networks[n.Name] = n.IP
	}
	return s
}

// Group returns the plan of the group with that name.
func (p DeploymentPlan) Group(name string) (GroupPlan, bool) {
	return find(p.Groups, name, func(g GroupPlan) string { return g.Group.Name })
}

// InstancesByGroup maps each group to its desired instances, for ResolveLinks.
func (p DeploymentPlan) InstancesByGroup() map[string][]InstancePlan {
	out := make(map[string][]InstancePlan, len(p.Groups))
	for _, g := range p.Groups {
		out[g.Group.Name] = g.Instances
	}
	return out
}

// Plan works out a deploy of m onto cc, given the deployment's persisted
// state, the IPs other deployments hold (with who holds them) and a source
// of new instance ids. Like the BOSH director it keeps instances' ids,
// indexes, AZs and IPs where it can, deletes the highest indexes first when
// scaling down, gives new instances the lowest free indexes (indexes of
// instances this deploy deletes count as taken until they are gone), keeps
// the bootstrap instance, balances AZs and allocates IPs.
func Plan(m Manifest, cc CloudConfig, prev DeploymentState, ipsInUseElsewhere map[netip.Addr]string, newID func() string) (DeploymentPlan, error) {
	if err := prev.check(); err != nil {
		return DeploymentPlan{}, err
	}
	if err := checkAgainstCloudConfig(m, cc); err != nil {
		return DeploymentPlan{}, err
	}
	book := newIPBook(prev, ipsInUseElsewhere)
	plan := DeploymentPlan{Name: m.Name}
	for _, g := range m.InstanceGroups {
		gp, err := planGroup(m, cc, g, prev, book, newID)
		if err != nil {
			return DeploymentPlan{}, err
		}
		plan.Groups = append(plan.Groups, gp)
	}
	plan.Obsolete = obsoleteGroups(m, prev)
	return plan, nil
}

// obsoleteGroups lists instances whose group the manifest dropped.
func obsoleteGroups(m Manifest, prev DeploymentState) []InstanceState {
	wanted := map[string]bool{}
	for _, g := range m.InstanceGroups {
		wanted[g.Name] = true
		for _, mf := range g.MigratedFrom {
			wanted[mf.Name] = true
		}
	}
	var out []InstanceState
	for _, inst := range prev.Instances {
		if !wanted[inst.Group] {
			out = append(out, inst)
		}
	}
	sortForDeletion(out)
	return out
}

// sortForDeletion orders instances by group, highest index first.
func sortForDeletion(instances []InstanceState) {
	slices.SortFunc(instances, func(a, b InstanceState) int {
		return cmp.Or(cmp.Compare(a.Group, b.Group), cmp.Compare(b.Index, a.Index))
	})
}
