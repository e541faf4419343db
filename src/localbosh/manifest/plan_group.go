package manifest

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
)

// slot is a desired instance before it has an index: the existing instance
// it keeps (nil for a new one), its AZ and, when the group has static IPs,
// its IP on each static network.
type slot struct {
	existing *InstanceState
	az       string
	static   map[string]netip.Addr
}

func planGroup(m Manifest, cc CloudConfig, g InstanceGroup, prev DeploymentState, book *ipBook, newID func() string) (GroupPlan, error) {
	existing := existingInstances(g, prev)
	var slots []slot
	var obsolete []InstanceState
	if hasStaticIPs(g) {
		nets, err := staticNetworks(g, cc, existing, book)
		if err != nil {
			return GroupPlan{}, err
		}
		if slots, obsolete, err = placeStatic(g, nets, existing); err != nil {
			return GroupPlan{}, err
		}
	} else {
		slots, obsolete = placeByAZ(g.Instances, g.AZs, existing)
	}
	instances, err := identify(g.Name, slots, prev, newID)
	if err != nil {
		return GroupPlan{}, err
	}
	for i := range instances {
		networks, err := assignNetworks(g, cc, instances[i], slots[i].static, book)
		if err != nil {
			return GroupPlan{}, err
		}
		instances[i].Networks = networks
	}
	slices.SortFunc(instances, func(a, b InstancePlan) int { return cmp.Compare(a.Index, b.Index) })
	sortForDeletion(obsolete)

	update, err := g.Update.Over(m.Update).Resolve(len(instances))
	if err != nil {
		return GroupPlan{}, fmt.Errorf("%w: instance group '%s': update %v", ErrInvalidManifest, g.Name, err)
	}
	gp := GroupPlan{
		Group:            g,
		Errand:           g.IsErrand(),
		Update:           update,
		PersistentDiskMB: g.PersistentDiskMB,
		Instances:        instances,
		Obsolete:         obsolete,
	}
	gp.VMType, _ = cc.VMType(g.VMType)
	for _, name := range g.VMExtensions {
		ext, _ := cc.VMExtension(name)
		gp.VMExtensions = append(gp.VMExtensions, ext)
	}
	gp.Stemcell, _ = find(m.Stemcells, g.Stemcell, func(s Stemcell) string { return s.Alias })
	if disk, ok := cc.DiskType(g.PersistentDiskType); ok {
		gp.PersistentDiskMB, gp.DiskCloudProperties = disk.DiskSizeMB, disk.CloudProperties
	}
	return gp, nil
}

// existingInstances are the persisted instances of the group, and of the
// groups it migrates from (those take the migration's AZ when they had none),
// by index.
func existingInstances(g InstanceGroup, prev DeploymentState) []InstanceState {
	var out []InstanceState
	for _, inst := range prev.Instances {
		if inst.Group == g.Name {
			out = append(out, inst)
			continue
		}
		for _, mf := range g.MigratedFrom {
			if inst.Group == mf.Name {
				if inst.AZ == "" {
					inst.AZ = mf.AZ
				}
				out = append(out, inst)
			}
		}
	}
	slices.SortStableFunc(out, func(a, b InstanceState) int {
		return cmp.Or(cmp.Compare(a.Index, b.Index), cmp.Compare(a.Group, b.Group))
	})
	return out
}

func hasStaticIPs(g InstanceGroup) bool {
	return slices.ContainsFunc(g.Networks, func(n GroupNetwork) bool { return n.StaticIPs != nil })
}

// identify gives each slot its index, id and bootstrap flag. Kept instances
// keep their index (a migrated one unless the index is taken); new ones get
// the lowest index no instance of the group holds. The bootstrap instance
// stays if it survives, else the lowest index becomes it.
func identify(group string, slots []slot, prev DeploymentState, newID func() string) ([]InstancePlan, error) {
	taken := map[int]bool{}
	knownIDs := map[string]bool{}
	for _, inst := range prev.Instances {
		knownIDs[inst.ID] = true
		if inst.Group == group {
			taken[inst.Index] = true
		}
	}
	used := map[int]bool{}
	instances := make([]InstancePlan, len(slots))
	index := func(i int) int {
		if e := slots[i].existing; e != nil && (e.Group == group || (!taken[e.Index] && !used[e.Index])) {
			return e.Index
		}
		next := 0
		for taken[next] || used[next] {
			next++
		}
		return next
	}
	// Same-group instances first: their indexes are theirs.
	order := make([]int, len(slots))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(rank(slots[a], group), rank(slots[b], group)) })
	for _, i := range order {
		s := slots[i]
		inst := InstancePlan{Group: group, Index: index(i), AZ: s.az}
		used[inst.Index] = true
		if s.existing != nil {
			existing := *s.existing
			inst.ID, inst.Existing = existing.ID, &existing
		} else {
			inst.ID = newID()
			if knownIDs[inst.ID] {
				return nil, fmt.Errorf("new instance id %q of instance group '%s' is already in use; newID must return unique ids", inst.ID, group)
			}
			knownIDs[inst.ID] = true
		}
		instances[i] = inst
	}
	electBootstrap(instances)
	return instances, nil
}

// rank orders slots for index assignment: the group's own instances, then
// migrated ones, then new ones.
func rank(s slot, group string) int {
	switch {
	case s.existing == nil:
		return 2
	case s.existing.Group == group:
		return 0
	default:
		return 1
	}
}

func electBootstrap(instances []InstancePlan) {
	var kept []int
	for i, inst := range instances {
		if inst.Existing != nil && inst.Existing.Bootstrap {
			kept = append(kept, i)
		}
	}
	chosen := -1
	if len(kept) == 1 {
		chosen = kept[0]
	} else {
		for i, inst := range instances {
			if chosen < 0 || inst.Index < instances[chosen].Index {
				chosen = i
			}
		}
	}
	for i := range instances {
		instances[i].Bootstrap = i == chosen
	}
}
