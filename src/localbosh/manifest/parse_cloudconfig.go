package manifest

import (
	"slices"

	"github.com/cloudfoundry-incubator/etcd-release/src/boshname"
)

const cloudConfigDocument = "cloud config"

var cloudConfigKeys = []string{"azs", "networks", "vm_types", "vm_extensions", "disk_types", "compilation"}

// ParseCloudConfig reads and validates a cloud config as the director does:
// gateways, reserved and static IPs inside their ranges, static IPs not
// reserved, subnets not overlapping, and every name a deployment or the
// compilation block refers to defined. Only manual networks are supported.
func ParseCloudConfig(data []byte) (CloudConfig, error) {
	doc, err := decodeDocument(data, cloudConfigDocument, ErrInvalidCloudConfig)
	if err != nil {
		return CloudConfig{}, err
	}
	if err := doc.checkVariables(); err != nil {
		return CloudConfig{}, err
	}
	top := doc.top()
	top.checkKeys(cloudConfigKeys, nil)
	cc := CloudConfig{
		AZs: parseNamed(top, "azs", "AZ name", func(a at, name string) AZ {
			return AZ{Name: name, CloudProperties: cloudProperties(a)}
		}),
		VMTypes: parseNamed(top, "vm_types", "", func(a at, name string) VMType {
			return VMType{Name: name, CloudProperties: cloudProperties(a)}
		}),
		VMExtensions: parseNamed(top, "vm_extensions", "", func(a at, name string) VMExtension {
			return VMExtension{Name: name, CloudProperties: cloudProperties(a)}
		}),
		DiskTypes: parseNamed(top, "disk_types", "", parseDiskType),
	}
	azNames := names(cc.AZs, azName)
	cc.Networks = parseNamed(top, "networks", "network name", func(n at, name string) Network { return parseNetwork(n, name, azNames) })
	cc.Compilation = parseCompilation(top, cc)
	if err := doc.err(); err != nil {
		return CloudConfig{}, err
	}
	cc.Warnings = doc.warnings
	return cc, nil
}

// parseNamed reads a list of named hashes, rejecting duplicate names and,
// when field names them ("AZ name"), names that break the director's rule.
func parseNamed[T any](top at, key, field string, parse func(at, string) T) []T {
	var out []T
	seen := map[string]bool{}
	for _, item := range top.hashes(key) {
		name := item.requiredStr("name", "name it, so deployments can refer to it")
		if field != "" {
			item.nameRule("name", field, name, boshname.Identifier)
		}
		if name != "" && seen[name] {
			top.problem(key, "'%s' has more than one entry named '%s'; names must be unique", key, name)
		}
		seen[name] = true
		out = append(out, parse(item, name))
	}
	return out
}

// cloudProperties reads an entry that has only a name and cloud properties.
func cloudProperties(a at) map[string]any {
	a.checkKeys([]string{"name", "cloud_properties"}, nil)
	return a.subHash("cloud_properties")
}

func parseDiskType(d at, name string) DiskType {
	d.checkKeys([]string{"name", "disk_size", "cloud_properties"}, nil)
	size, ok := d.integer("disk_size")
	if !ok {
		d.missing("disk_size", "give the disk size in MB")
	} else if size <= 0 {
		d.problem("disk_size", "'disk_size' must be a positive number of MB, not %d", size)
	}
	return DiskType{Name: name, DiskSizeMB: size, CloudProperties: d.subHash("cloud_properties")}
}

func parseCompilation(top at, cc CloudConfig) Compilation {
	if top.missing("compilation", "give workers, network, az and vm_type for the VMs that compile packages") {
		return Compilation{}
	}
	c, ok := top.child("compilation")
	if !ok {
		return Compilation{}
	}
	c.checkKeys([]string{"workers", "network", "az", "vm_type", "vm_resources", "vm_extensions",
		"reuse_compilation_vms", "cloud_properties", "env", "orphan_workers"}, nil)
	comp := Compilation{
		Network:             c.requiredStr("network", "name the network compilation VMs join"),
		AZ:                  c.str("az"),
		VMType:              c.str("vm_type"),
		VMExtensions:        c.strings("vm_extensions"),
		ReuseCompilationVMs: c.boolean("reuse_compilation_vms", false),
		CloudProperties:     c.subHash("cloud_properties"),
		Env:                 c.subHash("env"),
	}
	if workers, ok := c.integer("workers"); !ok {
		c.missing("workers", "give the number of compilation VMs, e.g. 2")
	} else if workers <= 0 {
		c.problem("workers", "'workers' must be 1 or more, not %d", workers)
	} else {
		comp.Workers = workers
	}
	checkName(c, "network", comp.Network, names(cc.Networks, networkName))
	checkName(c, "vm_type", comp.VMType, names(cc.VMTypes, vmTypeName))
	for _, ext := range comp.VMExtensions {
		checkName(c, "vm_extensions", ext, names(cc.VMExtensions, vmExtensionName))
	}
	azs := names(cc.AZs, azName)
	switch {
	case comp.AZ == "" && len(azs) > 0:
		c.problem("az", "'az' is required when the cloud config has AZs; %s", known(azs))
	default:
		checkName(c, "az", comp.AZ, azs)
	}
	if network, ok := cc.Network(comp.Network); ok && comp.AZ != "" && !slices.ContainsFunc(network.Subnets, func(s Subnet) bool { return s.covers(comp.AZ) }) {
		c.problem("az", "no subnet of network '%s' is in az '%s'; give one of its subnets that az", comp.Network, comp.AZ)
	}
	return comp
}

// checkName reports a reference to a name the cloud config does not define.
func checkName(a at, key, name string, defined []string) {
	if name != "" && !slices.Contains(defined, name) {
		a.problem(key, "'%s' names '%s', which is not defined; %s", key, name, known(defined))
	}
}

// CheckCloudConfigNames checks only the names in a cloud config (AZs and
// networks), by the director's rules, as the director's API does before it
// stores one. A document it cannot read is left to ParseCloudConfig.
func CheckCloudConfigNames(data []byte) error {
	doc, err := decodeDocument(data, cloudConfigDocument, ErrInvalidCloudConfig)
	if err != nil {
		return nil
	}
	top := doc.top()
	parseNamed(top, "azs", "AZ name", func(at, string) AZ { return AZ{} })
	parseNamed(top, "networks", "network name", func(at, string) Network { return Network{} })
	return doc.nameErr()
}
