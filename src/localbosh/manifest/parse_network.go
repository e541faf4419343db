package manifest

import (
	"fmt"
	"net/netip"
	"slices"
)

var subnetKeys = []string{"range", "gateway", "dns", "reserved", "static", "az", "azs", "cloud_properties", "name", "netmask_bits"}

func parseNetwork(n at, name string, azNames []string) Network {
	n.checkKeys([]string{"name", "type", "subnets", "managed", "cloud_properties", "dns"}, nil)
	network := Network{Name: name, Type: n.str("type")}
	if network.Type == "" {
		network.Type = "manual"
	}
	if network.Type != "manual" {
		n.problem("type", "'type' is '%s'; localbosh supports only manual networks: make it 'manual' with subnets giving range, gateway and static IPs", network.Type)
		return network
	}
	if n.missing("subnets", "give at least one subnet with range and gateway") {
		return network
	}
	for _, s := range n.hashes("subnets") {
		subnet, ok := parseSubnet(s, azNames)
		if !ok {
			continue
		}
		for _, other := range network.Subnets {
			if other.Range.Overlaps(subnet.Range) {
				s.problem("range", "'range' %s overlaps subnet %s of the same network; give subnets separate ranges", subnet.Range, other.Range)
			}
		}
		network.Subnets = append(network.Subnets, subnet)
	}
	if len(network.Subnets) > 0 {
		withAZs := slices.IndexFunc(network.Subnets, func(s Subnet) bool { return len(s.AZs) > 0 })
		withoutAZs := slices.IndexFunc(network.Subnets, func(s Subnet) bool { return len(s.AZs) == 0 })
		if withAZs >= 0 && withoutAZs >= 0 {
			n.problem("subnets", "some subnets name AZs and others do not; give every subnet 'az' or 'azs', or none")
		}
	}
	return network
}

// parseSubnet validates a subnet as BOSH does; ok is false when its range is
// unusable, so later checks do not pile up on it.
func parseSubnet(s at, azNames []string) (Subnet, bool) {
	s.checkKeys(subnetKeys, nil)
	subnet := Subnet{CloudProperties: s.subHash("cloud_properties")}
	text := s.requiredStr("range", "give the subnet's CIDR, e.g. 10.244.0.0/24")
	if text == "" {
		return subnet, false
	}
	prefix, err := netip.ParsePrefix(text)
	if err != nil {
		s.problem("range", "'range' %q is not a CIDR range like 10.244.0.0/24", text)
		return subnet, false
	}
	subnet.Range = prefix.Masked()
	if subnet.Range.Bits() >= subnet.Range.Addr().BitLen()-1 {
		s.problem("range", "'range' %s is too small: it needs room for the network and broadcast addresses, the gateway and instances", subnet.Range)
		return subnet, false
	}
	parseGateway(s, &subnet)
	subnet.DNS = parseDNS(s)
	subnet.AZs = parseSubnetAZs(s, azNames)
	subnet.Reserved = parseIPSet(s, "reserved", subnet, func(ip netip.Addr) string {
		if !subnet.Range.Contains(ip) {
			return "is outside the subnet range " + subnet.Range.String()
		}
		return ""
	})
	subnet.Static = parseIPSet(s, "static", subnet, func(ip netip.Addr) string {
		switch {
		case !subnet.Range.Contains(ip):
			return "is outside the subnet range " + subnet.Range.String()
		case ip == subnet.Range.Addr():
			return "is the network address"
		case ip == lastAddr(subnet.Range):
			return "is the broadcast address"
		case ip == subnet.Gateway:
			return "is the gateway"
		case subnet.Reserved.Contains(ip):
			return "is reserved; remove it from 'reserved' or from 'static'"
		}
		return ""
	})
	return subnet, true
}

func parseGateway(s at, subnet *Subnet) {
	text := s.requiredStr("gateway", "give the subnet's gateway IP, e.g. 10.244.0.1")
	if text == "" {
		return
	}
	gateway, err := netip.ParseAddr(text)
	switch {
	case err != nil:
		s.problem("gateway", "'gateway' %q is not an IP address", text)
	case !subnet.Range.Contains(gateway):
		s.problem("gateway", "'gateway' %s is outside the subnet range %s; give an IP inside it", gateway, subnet.Range)
	case gateway == subnet.Range.Addr():
		s.problem("gateway", "'gateway' %s is the network address of %s; give a host address", gateway, subnet.Range)
	case gateway == lastAddr(subnet.Range):
		s.problem("gateway", "'gateway' %s is the broadcast address of %s; give a host address", gateway, subnet.Range)
	default:
		subnet.Gateway = gateway
	}
}

func parseDNS(s at) []netip.Addr {
	var out []netip.Addr
	for _, text := range s.strings("dns") {
		ip, err := netip.ParseAddr(text)
		if err != nil {
			s.problem("dns", "'dns' has %q, which is not an IP address", text)
			continue
		}
		out = append(out, ip)
	}
	return out
}

func parseSubnetAZs(s at, azNames []string) []string {
	var azs []string
	if s.has("az") && s.has("azs") {
		s.problem("az", "'az' and 'azs' are both given; use one of them")
	}
	if az := s.str("az"); az != "" {
		azs = []string{az}
	}
	if s.has("azs") {
		azs = s.strings("azs")
		if len(azs) == 0 {
			s.problem("azs", "'azs' is empty; list the subnet's AZs or remove the key")
		}
	}
	for _, az := range azs {
		if !slices.Contains(azNames, az) {
			s.problem("azs", "AZ '%s' is not defined under 'azs'; %s", az, known(azNames))
		}
	}
	return azs
}

// parseIPSet reads reserved or static IPs and ranges; check explains why an
// address may not be in the set ("" when it may).
func parseIPSet(s at, key string, subnet Subnet, check func(netip.Addr) string) IPSet {
	var set IPSet
	ranges, err := ipEntries(s.hash[key])
	if err != nil {
		s.problem(key, "'%s' %v", key, err)
		return set
	}
	for _, r := range ranges {
		if reason := firstViolation(r, subnet, check); reason != "" {
			s.problem(key, "'%s' has %s, which %s", key, r, reason)
			continue
		}
		set.add(r)
	}
	return set
}

// firstViolation checks a range's ends and the special addresses inside it,
// without walking large ranges address by address.
func firstViolation(r IPRange, subnet Subnet, check func(netip.Addr) string) string {
	candidates := []netip.Addr{r.First, r.Last, subnet.Range.Addr(), lastAddr(subnet.Range), subnet.Gateway}
	for _, reserved := range subnet.Reserved.Ranges() {
		candidates = append(candidates, reserved.First, reserved.Last)
	}
	for _, ip := range candidates {
		if !ip.IsValid() || (ip != r.First && ip != r.Last && !r.contains(ip)) {
			continue
		}
		if reason := check(ip); reason != "" {
			if r.First != r.Last {
				return fmt.Sprintf("includes %s, which %s", ip, reason)
			}
			return reason
		}
	}
	return ""
}
