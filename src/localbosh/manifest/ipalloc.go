package manifest

import (
	"fmt"
	"net/netip"
	"slices"
)

// ipBook knows who holds which IP while a deploy is planned: other
// deployments, this deployment's instances as persisted (each keeps its IPs
// from everyone else until it is gone) and what the plan has handed out.
type ipBook struct {
	elsewhere map[netip.Addr]string // ip -> who, in another deployment
	heldBy    map[netip.Addr]InstanceState
	claimed   map[netip.Addr]string // ip -> instance name, in this plan
}

func newIPBook(prev DeploymentState, elsewhere map[netip.Addr]string) *ipBook {
	b := &ipBook{elsewhere: elsewhere, heldBy: map[netip.Addr]InstanceState{}, claimed: map[netip.Addr]string{}}
	for _, inst := range prev.Instances {
		for _, ip := range inst.Networks {
			b.heldBy[ip] = inst
		}
	}
	return b
}

// user says who keeps instance id from using ip, or "" when nobody does.
func (b *ipBook) user(ip netip.Addr, id string) string {
	if who, ok := b.elsewhere[ip]; ok {
		return who
	}
	if holder, ok := b.heldBy[ip]; ok && holder.ID != id {
		return fmt.Sprintf("instance '%s' of this deployment", holder.Name())
	}
	if name, ok := b.claimed[ip]; ok {
		return fmt.Sprintf("instance '%s' of this deployment", name)
	}
	return ""
}

func (b *ipBook) claim(ip netip.Addr, instance string) { b.claimed[ip] = instance }

// keepDynamic tells whether an instance may keep a dynamic IP it had: still
// in a subnet of the network for its AZ, not reserved, not static, not taken.
func (b *ipBook) keepDynamic(n Network, az string, ip netip.Addr, id string) bool {
	s, ok := n.subnetFor(ip)
	return ok && s.covers(az) && !s.restricted(ip) && !s.Static.Contains(ip) && b.user(ip, id) == ""
}

// allocate finds the lowest free dynamic IP for an instance in az, subnet by
// subnet: never the network, broadcast or gateway address, a reserved or
// static IP, or one somebody else holds.
func (b *ipBook) allocate(n Network, az, id string) (netip.Addr, bool) {
	for _, s := range n.Subnets {
		if !s.covers(az) {
			continue
		}
		broadcast := lastAddr(s.Range)
		for ip := s.Range.Addr(); ip.IsValid() && ip.Compare(broadcast) <= 0; {
			if r, ok := s.Reserved.rangeOf(ip); ok {
				ip = r.Last.Next()
				continue
			}
			if r, ok := s.Static.rangeOf(ip); ok {
				ip = r.Last.Next()
				continue
			}
			if !s.restricted(ip) && b.user(ip, id) == "" {
				return ip, true
			}
			ip = ip.Next()
		}
	}
	return netip.Addr{}, false
}

// assignNetworks gives an instance its IP and settings on each of the
// group's networks: the static IP placement chose, the dynamic IP it had if
// still valid, or a newly allocated one.
func assignNetworks(g InstanceGroup, cc CloudConfig, inst InstancePlan, static map[string]netip.Addr, book *ipBook) ([]NetworkSettings, error) {
	var out []NetworkSettings
	for _, gn := range g.Networks {
		network, _ := cc.Network(gn.Name)
		ip, isStatic := static[gn.Name]
		if !isStatic {
			var ok bool
			ip, ok = dynamicIP(network, inst, book)
			if !ok {
				return nil, fmt.Errorf("%w: instance group '%s', network '%s': no IP left for instance '%s' (index %d%s); widen a subnet's range, shrink its 'reserved' or 'static' ranges, or run fewer instances",
					ErrIPAllocation, g.Name, gn.Name, inst.Name(), inst.Index, inAZ(inst.AZ))
			}
		}
		book.claim(ip, inst.Name())
		out = append(out, settingsFor(network, ip, gn.Default, isStatic))
	}
	return out, nil
}

// settingsFor describes an IP of a network as the agent and templates see it.
func settingsFor(n Network, ip netip.Addr, defaults []string, static bool) NetworkSettings {
	subnet, _ := n.subnetFor(ip)
	return NetworkSettings{
		Name:            n.Name,
		Type:            n.Type,
		IP:              ip,
		Netmask:         subnet.Netmask(),
		Gateway:         subnet.Gateway,
		DNS:             slices.Clone(subnet.DNS),
		Default:         slices.Clone(defaults),
		CloudProperties: subnet.CloudProperties,
		Static:          static,
	}
}

func dynamicIP(n Network, inst InstancePlan, book *ipBook) (netip.Addr, bool) {
	if inst.Existing != nil {
		if ip, ok := inst.Existing.Networks[n.Name]; ok && book.keepDynamic(n, inst.AZ, ip, inst.ID) {
			return ip, true
		}
	}
	return book.allocate(n, inst.AZ, inst.ID)
}

func inAZ(az string) string {
	if az == "" {
		return ""
	}
	return " in az '" + az + "'"
}
