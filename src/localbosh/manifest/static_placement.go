package manifest

import (
	"fmt"
	"net/netip"
	"slices"
)

// staticNetwork is a group network with static IPs and the AZs each IP may
// serve ("" when the cloud config has no AZs).
type staticNetwork struct {
	name string
	ips  []netip.Addr
	azs  map[netip.Addr][]string
}

// staticNetworks checks a group's static IPs against the cloud config and
// the IPs others hold, and works out which AZs each IP can serve.
func staticNetworks(g InstanceGroup, cc CloudConfig, existing []InstanceState, book *ipBook) ([]staticNetwork, error) {
	mine := map[string]bool{}
	for _, e := range existing {
		mine[e.ID] = true
	}
	var out []staticNetwork
	for _, gn := range g.Networks {
		if gn.StaticIPs == nil {
			continue
		}
		network, _ := cc.Network(gn.Name)
		sn := staticNetwork{name: gn.Name, ips: gn.StaticIPs, azs: map[netip.Addr][]string{}}
		for _, ip := range gn.StaticIPs {
			where := fmt.Sprintf("instance group '%s', network '%s': static IP %s", g.Name, gn.Name, ip)
			subnet, ok := network.subnetFor(ip)
			if !ok || !subnet.Static.Contains(ip) {
				return nil, fmt.Errorf("%w: %s is not in the 'static' range of any subnet of network '%s' in the cloud config; add it to a subnet's 'static' list or pick an IP from one", ErrIPAllocation, where, gn.Name)
			}
			if who, ok := book.elsewhere[ip]; ok {
				return nil, fmt.Errorf("%w: %s is already used by %s; pick another IP", ErrIPAllocation, where, who)
			}
			if holder, ok := book.heldBy[ip]; ok && !mine[holder.ID] {
				return nil, fmt.Errorf("%w: %s is held by instance '%s' of this deployment, which keeps it until it is deleted; pick another IP, or deploy once without it first", ErrIPAllocation, where, holder.Name())
			}
			zones := servedAZs(subnet, g.AZs)
			if len(zones) == 0 {
				return nil, fmt.Errorf("%w: %s is in a subnet of azs %v, none of which the instance group uses (its 'azs' are %v); pick an IP from a subnet of the group's AZs", ErrIPAllocation, where, subnet.AZs, g.AZs)
			}
			sn.azs[ip] = zones
		}
		out = append(out, sn)
	}
	return out, nil
}

// servedAZs are the group AZs a subnet can give IPs in; [""] without AZs.
func servedAZs(s Subnet, groupAZs []string) []string {
	if len(groupAZs) == 0 {
		if len(s.AZs) == 0 {
			return []string{""}
		}
		return nil
	}
	var out []string
	for _, az := range groupAZs {
		if slices.Contains(s.AZs, az) {
			out = append(out, az)
		}
	}
	return out
}

// staticPool hands out a group's static IPs.
type staticPool struct {
	nets    []staticNetwork
	claimed map[netip.Addr]bool
}

// free returns the first unclaimed IP of a network that can serve az.
func (p *staticPool) free(n staticNetwork, az string) (netip.Addr, bool) {
	for _, ip := range n.ips {
		if !p.claimed[ip] && slices.Contains(n.azs[ip], az) {
			return ip, true
		}
	}
	return netip.Addr{}, false
}

// fits tells whether every static network has an IP left for az.
func (p *staticPool) fits(az string) bool {
	for _, n := range p.nets {
		if _, ok := p.free(n, az); !ok {
			return false
		}
	}
	return true
}

// fill claims an IP in az on every static network s has none on yet.
func (p *staticPool) fill(s *slot) bool {
	for _, n := range p.nets {
		if _, ok := s.static[n.name]; ok {
			continue
		}
		ip, ok := p.free(n, s.az)
		if !ok {
			return false
		}
		p.claimed[ip] = true
		s.static[n.name] = ip
	}
	return true
}

// placeStatic matches desired instances to existing ones, AZs and static IPs
// as BOSH does for groups with static IPs: an instance holding a listed IP
// keeps it, in its AZ; other existing instances are reused in their AZ while
// it has IPs left; new instances go to the AZ with the fewest instances that
// still has IPs, taking the first free IP in the order listed.
func placeStatic(g InstanceGroup, nets []staticNetwork, existing []InstanceState) (slots []slot, obsolete []InstanceState, err error) {
	pool := &staticPool{nets: nets, claimed: map[netip.Addr]bool{}}
	var rest []InstanceState
	for _, e := range existing {
		kept := map[string]netip.Addr{}
		for _, n := range nets {
			if ip, ok := e.Networks[n.name]; ok && slices.Contains(n.ips, ip) && !pool.claimed[ip] {
				kept[n.name] = ip
			}
		}
		switch {
		case len(kept) == 0:
			rest = append(rest, e)
			continue
		case len(slots) == g.Instances:
			// Its IPs go with it: no other instance takes them in this deploy.
			obsolete = append(obsolete, e)
			for _, ip := range kept {
				pool.claimed[ip] = true
			}
			continue
		}
		for _, n := range nets {
			ip, ok := kept[n.name]
			if !ok {
				continue
			}
			if !slices.Contains(n.azs[ip], e.AZ) {
				return nil, nil, fmt.Errorf("%w: instance group '%s', network '%s': instance '%s' keeps static IP %s, but is in az '%s' and the IP's subnet serves %v; move the IP back to a subnet of az '%s', or drop it from static_ips so the instance is replaced",
					ErrIPAllocation, g.Name, n.name, e.Name(), ip, e.AZ, n.azs[ip], e.AZ)
			}
			pool.claimed[ip] = true
		}
		slots = append(slots, slot{existing: &e, az: e.AZ, static: kept})
	}
	for _, e := range rest {
		if len(slots) == g.Instances || !inGroupAZs(e.AZ, g.AZs) || !pool.fits(e.AZ) {
			obsolete = append(obsolete, e)
			continue
		}
		s := slot{existing: &e, az: e.AZ, static: map[string]netip.Addr{}}
		pool.fill(&s)
		slots = append(slots, s)
	}
	for i := range slots {
		if !pool.fill(&slots[i]) {
			return nil, nil, fmt.Errorf("%w: instance group '%s': no static IP left in az '%s' for instance '%s'; list more IPs of that AZ's subnets in static_ips",
				ErrIPAllocation, g.Name, slots[i].az, slots[i].existing.Name())
		}
	}
	for len(slots) < g.Instances {
		az, ok := leastUsedAZ(g.AZs, slots, pool)
		if !ok {
			return nil, nil, fmt.Errorf("%w: instance group '%s': the static IPs left serve none of its AZs %v; list static IPs from subnets of those AZs",
				ErrIPAllocation, g.Name, g.AZs)
		}
		s := slot{az: az, static: map[string]netip.Addr{}}
		pool.fill(&s)
		slots = append(slots, s)
	}
	return slots, obsolete, nil
}

// leastUsedAZ picks, among the group's AZs with static IPs left on every
// network, the one with the fewest instances; earlier AZs win ties.
func leastUsedAZ(azs []string, slots []slot, pool *staticPool) (string, bool) {
	zones := azs
	if len(zones) == 0 {
		zones = []string{""}
	}
	count := map[string]int{}
	for _, s := range slots {
		count[s.az]++
	}
	best, found := "", false
	for _, z := range zones {
		if pool.fits(z) && (!found || count[z] < count[best]) {
			best, found = z, true
		}
	}
	return best, found
}

func inGroupAZs(az string, azs []string) bool {
	if len(azs) == 0 {
		return az == ""
	}
	return slices.Contains(azs, az)
}
