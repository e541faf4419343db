package manifest

import (
	"fmt"
	"net/netip"
)

// IPsInUse lists every IP the plan uses, with the instance using it:
// desired instances and those the deploy deletes (they keep their IPs until
// they are gone).
func (p DeploymentPlan) IPsInUse() map[netip.Addr]string {
	out := map[netip.Addr]string{}
	describe := func(name string) string { return fmt.Sprintf("instance '%s' of deployment '%s'", name, p.Name) }
	for _, g := range p.Groups {
		for _, inst := range g.Instances {
			for _, n := range inst.Networks {
				out[n.IP] = describe(inst.Name())
			}
		}
		for _, inst := range g.Obsolete {
			for _, ip := range inst.Networks {
				out[ip] = describe(inst.Name())
			}
		}
	}
	for _, inst := range p.Obsolete {
		for _, ip := range inst.Networks {
			out[ip] = describe(inst.Name())
		}
	}
	return out
}

// CompilationNetworks allocates network settings for count compilation VMs
// on the cloud config's compilation network and AZ, avoiding every IP in
// inUse (all deployments' instances, including the plan being deployed).
func CompilationNetworks(cc CloudConfig, inUse map[netip.Addr]string, count int) ([]NetworkSettings, error) {
	network, ok := cc.Network(cc.Compilation.Network)
	if !ok {
		return nil, fmt.Errorf("%w: compilation network '%s' is not defined; fix 'compilation.network'", ErrInvalidCloudConfig, cc.Compilation.Network)
	}
	book := newIPBook(DeploymentState{}, inUse)
	out := make([]NetworkSettings, 0, count)
	for i := range count {
		name := fmt.Sprintf("compilation-%d", i)
		ip, ok := book.allocate(network, cc.Compilation.AZ, name)
		if !ok {
			return nil, fmt.Errorf("%w: compilation network '%s' has no IP left for compilation VM %d of %d%s; lower 'compilation.workers' or widen the network's subnets",
				ErrIPAllocation, network.Name, i+1, count, inAZ(cc.Compilation.AZ))
		}
		book.claim(ip, name)
		out = append(out, settingsFor(network, ip, requiredDefaults, false))
	}
	return out, nil
}
