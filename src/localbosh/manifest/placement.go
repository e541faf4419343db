package manifest

import "slices"

// placeByAZ matches desired instances to existing ones and AZs as the BOSH
// director does for groups without static IPs: instances with a persistent
// disk stay in their AZ; the rest are spread round-robin, each next instance
// going to the AZ with the fewest placed so far (AZs with more existing
// instances first) and reusing that AZ's lowest-index instance. Existing
// instances left over (scale-down, or AZs the group dropped) are obsolete.
func placeByAZ(desired int, azs []string, existing []InstanceState) (slots []slot, obsolete []InstanceState) {
	unclaimed := map[string][]InstanceState{} // by AZ, each by index
	for _, e := range existing {
		unclaimed[e.AZ] = append(unclaimed[e.AZ], e)
	}
	zones := slices.Clone(azs)
	if len(zones) == 0 {
		zones = []string{""}
	}
	// AZs holding more instances first, so that placement moves the fewest.
	slices.SortStableFunc(zones, func(a, b string) int { return len(unclaimed[b]) - len(unclaimed[a]) })

	placed := map[string]int{}
	take := func(e InstanceState) {
		unclaimed[e.AZ] = slices.DeleteFunc(unclaimed[e.AZ], func(u InstanceState) bool { return u.ID == e.ID })
		slots = append(slots, slot{existing: &e, az: e.AZ})
		placed[e.AZ]++
	}
	if len(azs) > 0 {
		for _, e := range existing {
			if len(slots) == desired {
				break
			}
			if e.DiskCID != "" && slices.Contains(azs, e.AZ) {
				take(e)
			}
		}
	}
	for len(slots) < desired {
		az := pickAZ(zones, placed)
		if len(unclaimed[az]) > 0 {
			take(unclaimed[az][0])
			continue
		}
		slots = append(slots, slot{az: az})
		placed[az]++
	}
	for _, az := range sortedKeys(unclaimed) {
		obsolete = append(obsolete, unclaimed[az]...)
	}
	return slots, obsolete
}

// pickAZ chooses the first AZ with the fewest placed instances. BOSH takes,
// among those, the AZ with the most existing instances left; since every
// claim moves one instance from left to placed, and zones start sorted by
// existing instances, that is always the first of them.
func pickAZ(zones []string, placed map[string]int) string {
	best := zones[0]
	for _, z := range zones[1:] {
		if placed[z] < placed[best] {
			best = z
		}
	}
	return best
}
