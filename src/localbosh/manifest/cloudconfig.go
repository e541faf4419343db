package manifest

import (
	"net/netip"
	"slices"
)

// CloudConfig is a validated cloud config: what deployments may use.
type CloudConfig struct {
	AZs          []AZ
	Networks     []Network
	VMTypes      []VMType
	VMExtensions []VMExtension
	DiskTypes    []DiskType
	Compilation  Compilation
	Warnings     []Warning // unknown keys BOSH ignores
}

// AZ is an availability zone.
type AZ struct {
	Name            string
	CloudProperties map[string]any
}

// Network is a manual network: the only type localbosh supports.
type Network struct {
	Name    string
	Type    string // always "manual"
	Subnets []Subnet
}

// Subnet is one range of a manual network.
type Subnet struct {
	Range   netip.Prefix // masked
	Gateway netip.Addr
	DNS     []netip.Addr
	// Reserved addresses are never given to instances; Static ones only to
	// instances that ask for them with static_ips.
	Reserved        IPSet
	Static          IPSet
	AZs             []string // empty when the cloud config has no AZs
	CloudProperties map[string]any
}

// VMType is a named set of VM cloud properties.
type VMType struct {
	Name            string
	CloudProperties map[string]any
}

// VMExtension is a named set of cloud properties merged into VMs that use it.
type VMExtension struct {
	Name            string
	CloudProperties map[string]any
}

// DiskType is a named persistent disk size.
type DiskType struct {
	Name            string
	DiskSizeMB      int
	CloudProperties map[string]any
}

// Compilation configures the VMs that compile packages.
type Compilation struct {
	Workers             int
	Network             string
	AZ                  string
	VMType              string
	VMExtensions        []string
	ReuseCompilationVMs bool
	CloudProperties     map[string]any
	Env                 map[string]any
}

// Network returns the network with that name.
func (cc CloudConfig) Network(name string) (Network, bool) {
	return find(cc.Networks, name, networkName)
}

// VMType returns the VM type with that name.
func (cc CloudConfig) VMType(name string) (VMType, bool) { return find(cc.VMTypes, name, vmTypeName) }

// VMExtension returns the VM extension with that name.
func (cc CloudConfig) VMExtension(name string) (VMExtension, bool) {
	return find(cc.VMExtensions, name, vmExtensionName)
}

// DiskType returns the disk type with that name.
func (cc CloudConfig) DiskType(name string) (DiskType, bool) {
	return find(cc.DiskTypes, name, diskTypeName)
}

// AZ returns the AZ with that name.
func (cc CloudConfig) AZ(name string) (AZ, bool) { return find(cc.AZs, name, azName) }

func networkName(n Network) string         { return n.Name }
func vmTypeName(v VMType) string           { return v.Name }
func vmExtensionName(v VMExtension) string { return v.Name }
func diskTypeName(d DiskType) string       { return d.Name }
func azName(a AZ) string                   { return a.Name }

func find[T any](items []T, name string, nameOf func(T) string) (T, bool) {
	i := slices.IndexFunc(items, func(item T) bool { return nameOf(item) == name })
	if i < 0 {
		var zero T
		return zero, false
	}
	return items[i], true
}

func names[T any](items []T, nameOf func(T) string) []string {
	out := make([]string, len(items))
	for i, item := range items {
		out[i] = nameOf(item)
	}
	return out
}

// subnetFor returns the subnet whose range holds ip.
func (n Network) subnetFor(ip netip.Addr) (Subnet, bool) {
	i := slices.IndexFunc(n.Subnets, func(s Subnet) bool { return s.Range.Contains(ip) })
	if i < 0 {
		return Subnet{}, false
	}
	return n.Subnets[i], true
}

// azs lists the AZs the network's subnets cover.
func (n Network) azs() []string {
	var out []string
	for _, s := range n.Subnets {
		for _, az := range s.AZs {
			if !slices.Contains(out, az) {
				out = append(out, az)
			}
		}
	}
	return out
}

// covers tells whether an instance in az may take an IP from this subnet.
func (s Subnet) covers(az string) bool {
	if len(s.AZs) == 0 {
		return az == ""
	}
	return slices.Contains(s.AZs, az)
}

// restricted tells whether BOSH never allocates ip: the network and
// broadcast addresses, the gateway and reserved addresses.
func (s Subnet) restricted(ip netip.Addr) bool {
	return ip == s.Range.Addr() || ip == lastAddr(s.Range) || ip == s.Gateway || s.Reserved.Contains(ip)
}

// Netmask is the subnet's mask, e.g. 255.255.255.0.
func (s Subnet) Netmask() string { return netmask(s.Range) }
