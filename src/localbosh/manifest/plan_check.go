package manifest

import (
	"fmt"
	"slices"
)

// checkAgainstCloudConfig reports every name the manifest uses that the
// cloud config does not define, and AZs the networks cannot serve.
func checkAgainstCloudConfig(m Manifest, cc CloudConfig) error {
	var problems []Problem
	azNames := names(cc.AZs, azName)
	for i, g := range m.InstanceGroups {
		report := func(key, format string, args ...any) {
			base := fmt.Sprintf("/instance_groups/%d", i)
			pointer := base + "/" + key
			line := m.lines[pointer]
			if line == 0 {
				line = m.lines[base]
			}
			problems = append(problems, Problem{
				Path:    fmt.Sprintf("instance_groups[%d] (%s)", i, g.Name),
				Pointer: pointer,
				Line:    line,
				Message: fmt.Sprintf(format, args...),
			})
		}
		// undefined reports a name the cloud config lacks; label is how the
		// message names the key, pointer where it is.
		undefined := func(pointer, label, name string, defined []string) {
			if name != "" && !slices.Contains(defined, name) {
				report(pointer, "'%s' names '%s', which the cloud config does not define; %s", label, name, known(defined))
			}
		}
		undefined("vm_type", "vm_type", g.VMType, names(cc.VMTypes, vmTypeName))
		for _, ext := range g.VMExtensions {
			undefined("vm_extensions", "vm_extensions", ext, names(cc.VMExtensions, vmExtensionName))
		}
		undefined("persistent_disk_type", "persistent_disk_type", g.PersistentDiskType, names(cc.DiskTypes, diskTypeName))
		for _, az := range g.AZs {
			undefined("azs", "azs", az, azNames)
		}
		for j, gn := range g.Networks {
			network, ok := cc.Network(gn.Name)
			if !ok {
				undefined(fmt.Sprintf("networks/%d/name", j), fmt.Sprintf("networks[%d].name", j), gn.Name, names(cc.Networks, networkName))
				continue
			}
			checkNetworkAZs(g, network, azNames, report)
		}
	}
	if len(problems) == 0 {
		return nil
	}
	return &ValidationError{Document: manifestDocument, Problems: problems, kinds: []error{ErrInvalidManifest}}
}

// checkNetworkAZs applies BOSH's rule: a group without AZs needs networks
// without AZs; a group with AZs needs each of them served by the network.
func checkNetworkAZs(g InstanceGroup, n Network, defined []string, report func(key, format string, args ...any)) {
	networkAZs := n.azs()
	if len(g.AZs) == 0 {
		if len(networkAZs) > 0 {
			report("azs", "'azs' is required: network '%s' has subnets in azs %v; list the AZs to place instances in", n.Name, networkAZs)
		}
		return
	}
	for _, az := range g.AZs {
		if slices.Contains(defined, az) && !slices.Contains(networkAZs, az) {
			report("azs", "az '%s' has no subnet in network '%s' (its subnets serve %v); give the network a subnet in that az or drop the az", az, n.Name, networkAZs)
		}
	}
}
