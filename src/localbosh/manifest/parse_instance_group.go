package manifest

import (
	"fmt"
	"net/netip"
	"slices"

	"github.com/cloudfoundry-incubator/etcd-release/src/boshname"
)

var (
	instanceGroupKeys = []string{"name", "azs", "instances", "lifecycle", "jobs", "vm_type", "vm_resources",
		"vm_extensions", "stemcell", "persistent_disk", "persistent_disk_type", "networks", "update",
		"migrated_from", "env", "properties"}
	instanceGroupUnsupportedKeys = map[string]string{
		"templates":            "is the old name of 'jobs'; use 'jobs'",
		"template":             "is the old name of 'jobs'; use 'jobs'",
		"resource_pool":        "is no longer supported; use 'vm_type' and 'stemcell'",
		"persistent_disk_pool": "is no longer supported; use 'persistent_disk_type'",
		"persistent_disks":     "(several named disks) is not supported by localbosh; use 'persistent_disk' or 'persistent_disk_type'",
		"property_mappings":    "is no longer supported; set the properties on the jobs",
	}
	groupNetworkKeys = []string{"name", "static_ips", "default", "nic_group"}
	validDefaults    = []string{DefaultAddressable, DefaultDNS, DefaultGateway}
	requiredDefaults = []string{DefaultDNS, DefaultGateway}
)

func parseInstanceGroup(g at, m Manifest) InstanceGroup {
	g.checkKeys(instanceGroupKeys, instanceGroupUnsupportedKeys)
	ig := InstanceGroup{
		Name:         g.nameStr("name", "instance group name", "name the instance group", boshname.Identifier),
		AZs:          g.strings("azs"),
		Lifecycle:    g.str("lifecycle"),
		VMType:       g.str("vm_type"),
		VMResources:  g.subHash("vm_resources"),
		VMExtensions: g.strings("vm_extensions"),
		Stemcell:     g.requiredStr("stemcell", "name a stemcell alias from 'stemcells'"),
		Update:       parseUpdate(g, false),
		Env:          g.subHash("env"),
		Properties:   g.subHash("properties"),
	}
	if n, ok := g.integer("instances"); ok {
		if n < 0 {
			g.problem("instances", "'instances' must be 0 or more, not %d", n)
		}
		ig.Instances = n
	} else {
		g.missing("instances", "give the number of instances (0 or more)")
	}
	if ig.Lifecycle == "" {
		ig.Lifecycle = LifecycleService
	} else if ig.Lifecycle != LifecycleService && ig.Lifecycle != LifecycleErrand {
		g.problem("lifecycle", "'lifecycle' must be '%s' or '%s', not '%s'", LifecycleService, LifecycleErrand, ig.Lifecycle)
	}
	for _, az := range ig.AZs {
		g.nameRule("azs", "AZ name", az, boshname.Identifier)
	}
	if g.has("azs") && len(ig.AZs) == 0 && g.hash["azs"] != nil {
		g.problem("azs", "'azs' is empty; list the AZs to place instances in, or remove the key when the cloud config has no AZs")
	}
	if g.has("properties") {
		g.warn(deprecationType, "properties", "holds instance group properties, which are deprecated; define properties at the job level")
	}
	parseVMConfig(g, &ig)
	parseDisk(g, &ig)
	checkStemcellAlias(g, ig.Stemcell, m.Stemcells)
	ig.Jobs = parseJobs(g, m.Releases)
	ig.Networks = parseGroupNetworks(g, ig.Instances)
	ig.MigratedFrom = parseMigrations(g, ig.AZs)
	return ig
}

func parseVMConfig(g at, ig *InstanceGroup) {
	switch {
	case ig.VMType == "" && ig.VMResources == nil:
		g.problem("vm_type", "'vm_type' is required; name a VM type from the cloud config (or give 'vm_resources')")
	case ig.VMType != "" && ig.VMResources != nil:
		g.problem("vm_type", "'vm_type' and 'vm_resources' are both given; choose one")
	}
}

func parseDisk(g at, ig *InstanceGroup) {
	ig.PersistentDiskType = g.str("persistent_disk_type")
	size, hasSize := g.integer("persistent_disk")
	if hasSize && size < 0 {
		g.problem("persistent_disk", "'persistent_disk' must be 0 or more (MB), not %d", size)
	}
	if hasSize && ig.PersistentDiskType != "" {
		g.problem("persistent_disk", "'persistent_disk' and 'persistent_disk_type' are both given; choose one")
	}
	ig.PersistentDiskMB = max(size, 0)
}

func checkStemcellAlias(g at, alias string, stemcells []Stemcell) {
	if alias == "" || slices.ContainsFunc(stemcells, func(s Stemcell) bool { return s.Alias == alias }) {
		return
	}
	aliases := make([]string, len(stemcells))
	for i, s := range stemcells {
		aliases[i] = s.Alias
	}
	g.problem("stemcell", "'stemcell' names '%s', which 'stemcells' does not define; %s", alias, known(aliases))
}

func parseGroupNetworks(g at, instances int) []GroupNetwork {
	if g.missing("networks", "list the networks from the cloud config the instances join, e.g. [{name: default}]") {
		return nil
	}
	entries := g.hashes("networks")
	if len(entries) == 0 && g.list("networks") != nil {
		g.problem("networks", "'networks' is empty; list at least one network from the cloud config")
	}
	var networks []GroupNetwork
	for _, n := range entries {
		n.checkKeys(groupNetworkKeys, nil)
		network := GroupNetwork{
			Name:    n.nameStr("name", "network name", "name a network from the cloud config", boshname.Identifier),
			Default: n.strings("default"),
		}
		for _, d := range network.Default {
			if !slices.Contains(validDefaults, d) {
				n.problem("default", "'default' has '%s'; valid values are %v", d, validDefaults)
			}
		}
		network.StaticIPs = parseStaticIPs(n, instances)
		networks = append(networks, network)
	}
	checkUniqueNames(g, "networks", networks, func(n GroupNetwork) string { return n.Name })
	checkDefaults(g, networks)
	for i := range networks {
		slices.Sort(networks[i].Default)
		networks[i].Default = slices.Compact(networks[i].Default)
	}
	return networks
}

func parseStaticIPs(n at, instances int) []netip.Addr {
	if n.hash["static_ips"] == nil {
		return nil
	}
	ranges, err := ipEntries(n.hash["static_ips"])
	if err != nil {
		n.problem("static_ips", "'static_ips' %v", err)
		return nil
	}
	ips, ok := addrs(ranges, instances)
	if !ok || len(ips) != instances {
		count := fmt.Sprint(len(ips))
		if !ok {
			count = "more"
		}
		n.problem("static_ips", "'static_ips' has %s IPs for %d instances; give exactly one static IP per instance", count, instances)
		return nil
	}
	for i, ip := range ips {
		if slices.Contains(ips[:i], ip) {
			n.problem("static_ips", "'static_ips' has %s more than once; give each instance its own IP", ip)
			return nil
		}
	}
	return ips
}

// checkDefaults applies BOSH's rules: one network is the default for
// everything; with several, dns and gateway each need exactly one default
// network, and addressable at most one.
func checkDefaults(g at, networks []GroupNetwork) {
	if len(networks) == 1 {
		networks[0].Default = append(networks[0].Default, requiredDefaults...)
		return
	}
	if len(networks) == 0 {
		return
	}
	for _, what := range validDefaults {
		var names []string
		for _, n := range networks {
			if n.IsDefaultFor(what) {
				names = append(names, n.Name)
			}
		}
		switch {
		case len(names) > 1:
			g.problem("networks", "networks %v are all the default for '%s'; make only one of them the default", names, what)
		case len(names) == 0 && slices.Contains(requiredDefaults, what):
			g.problem("networks", "no network is the default for '%s', which is needed with more than one network; add '%s' to one network's 'default'", what, what)
		}
	}
}

func parseMigrations(g at, azs []string) []Migration {
	var migrations []Migration
	for _, mf := range g.hashes("migrated_from") {
		mf.checkKeys([]string{"name", "az"}, nil)
		migration := Migration{Name: mf.nameStr("name", "instance group name", "name the instance group to migrate from", boshname.Identifier), AZ: mf.str("az")}
		if migration.AZ != "" && !slices.Contains(azs, migration.AZ) {
			mf.problem("az", "'az' is '%s', which is not in the instance group's 'azs' %v; add it there or fix the name", migration.AZ, azs)
		}
		migrations = append(migrations, migration)
	}
	return migrations
}
