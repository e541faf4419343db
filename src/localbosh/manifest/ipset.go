package manifest

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// IPRange is an inclusive range of addresses of one family.
type IPRange struct {
	First, Last netip.Addr
}

func (r IPRange) contains(a netip.Addr) bool {
	return r.First.Compare(a) <= 0 && a.Compare(r.Last) <= 0
}

func (r IPRange) String() string {
	if r.First == r.Last {
		return r.First.String()
	}
	return r.First.String() + " - " + r.Last.String()
}

// IPSet is a set of addresses kept as sorted, non-overlapping ranges.
type IPSet struct {
	ranges []IPRange
}

// Contains tells whether a is in the set.
func (s IPSet) Contains(a netip.Addr) bool {
	_, ok := s.rangeOf(a)
	return ok
}

// Ranges returns the set's ranges, sorted.
func (s IPSet) Ranges() []IPRange { return slices.Clone(s.ranges) }

func (s IPSet) rangeOf(a netip.Addr) (IPRange, bool) {
	i, _ := slices.BinarySearchFunc(s.ranges, a, func(r IPRange, a netip.Addr) int {
		if r.Last.Compare(a) < 0 {
			return -1
		}
		if r.First.Compare(a) > 0 {
			return 1
		}
		return 0
	})
	if i < len(s.ranges) && s.ranges[i].contains(a) {
		return s.ranges[i], true
	}
	return IPRange{}, false
}

// add puts r into the set, merging it with ranges it overlaps or touches.
func (s *IPSet) add(r IPRange) {
	s.ranges = append(s.ranges, r)
	slices.SortFunc(s.ranges, func(a, b IPRange) int { return a.First.Compare(b.First) })
	merged := s.ranges[:1]
	for _, next := range s.ranges[1:] {
		last := &merged[len(merged)-1]
		if next.First.Compare(last.Last) <= 0 || (last.Last.Next().IsValid() && next.First == last.Last.Next()) {
			if next.Last.Compare(last.Last) > 0 {
				last.Last = next.Last
			}
			continue
		}
		merged = append(merged, next)
	}
	s.ranges = merged
}

// parseIPRange reads "10.0.0.5", "10.0.0.5 - 10.0.0.9" or "10.0.0.0/30",
// the forms BOSH accepts in reserved, static and static_ips.
func parseIPRange(text string) (IPRange, error) {
	text = strings.TrimSpace(text)
	if first, last, ok := strings.Cut(text, "-"); ok {
		from, err1 := netip.ParseAddr(strings.TrimSpace(first))
		to, err2 := netip.ParseAddr(strings.TrimSpace(last))
		if err1 != nil || err2 != nil {
			return IPRange{}, fmt.Errorf("%q is not an IP range; write it as 'first - last', e.g. '10.0.0.10 - 10.0.0.20'", text)
		}
		if from.Is4() != to.Is4() || from.Compare(to) > 0 {
			return IPRange{}, fmt.Errorf("%q is not an IP range: its first address must not be after its last, and both must be of one family", text)
		}
		return IPRange{First: from.Unmap(), Last: to.Unmap()}, nil
	}
	if strings.Contains(text, "/") {
		prefix, err := netip.ParsePrefix(text)
		if err != nil {
			return IPRange{}, fmt.Errorf("%q is not a CIDR range: %v", text, err)
		}
		prefix = prefix.Masked()
		return IPRange{First: prefix.Addr(), Last: lastAddr(prefix)}, nil
	}
	addr, err := netip.ParseAddr(text)
	if err != nil {
		return IPRange{}, fmt.Errorf("%q is not an IP address", text)
	}
	return IPRange{First: addr.Unmap(), Last: addr.Unmap()}, nil
}

// lastAddr is the highest address of a prefix: the IPv4 broadcast address.
func lastAddr(p netip.Prefix) netip.Addr {
	bytes := p.Masked().Addr().AsSlice()
	for bit := p.Bits(); bit < len(bytes)*8; bit++ {
		bytes[bit/8] |= 0x80 >> (bit % 8)
	}
	addr, _ := netip.AddrFromSlice(bytes)
	return addr
}

// netmask renders a prefix length as a mask: 255.255.255.0 for /24.
func netmask(p netip.Prefix) string {
	bytes := make([]byte, p.Addr().BitLen()/8)
	for bit := 0; bit < p.Bits(); bit++ {
		bytes[bit/8] |= 0x80 >> (bit % 8)
	}
	addr, _ := netip.AddrFromSlice(bytes)
	return addr.String()
}

// ipEntries reads a YAML value holding IPs and ranges: a list of strings, or
// one string.
func ipEntries(value any) ([]IPRange, error) {
	var items []any
	switch v := value.(type) {
	case nil:
		return nil, nil
	case string:
		items = []any{v}
	case []any:
		items = v
	default:
		return nil, fmt.Errorf("must be a list of IPs and IP ranges, not %s", describe(value))
	}
	ranges := make([]IPRange, 0, len(items))
	for _, item := range items {
		text, ok := item.(string)
		if !ok {
			return nil, fmt.Errorf("must be a list of IPs and IP ranges, but has %s", describe(item))
		}
		r, err := parseIPRange(text)
		if err != nil {
			return nil, err
		}
		ranges = append(ranges, r)
	}
	return ranges, nil
}

// addrs lists every address of the ranges, in order; ok is false when there
// are more than limit, so a stray /8 cannot exhaust memory.
func addrs(ranges []IPRange, limit int) (out []netip.Addr, ok bool) {
	for _, r := range ranges {
		for a := r.First; a.IsValid() && a.Compare(r.Last) <= 0; a = a.Next() {
			if len(out) == limit {
				return nil, false
			}
			out = append(out, a)
		}
	}
	return out, true
}
