package cluster

import (
	"fmt"
	"slices"
	"strings"
)

// Reach is how an instance of the group answered a status request.
type Reach int

const (
	// Answered: its etcdfab reported its data.
	Answered Reach = iota
	// NotStarted: the connection was refused or the host is unreachable:
	// nothing runs there (a stopped job, a VM not created yet).
	NotStarted
	// Unknown: no answer in time, or a TLS or DNS failure: it may be running
	// behind a fault.
	Unknown
)

// Instance is one instance of the group as its status request found it.
type Instance struct {
	Name      string
	Reach     Reach
	HasData   bool
	ClusterID uint64
	// Leader is the leader its etcd follows, 0 when its etcd does not
	// answer (not running, or without quorum).
	Leader   uint64
	MemberID uint64
	// Serving: a healthy voting member of a cluster with quorum.
	Serving bool
	// Voters counts the voting members of its cluster as it last knew
	// them (0: unknown).
	Voters int
}

// AwaitsUnstarted tells whether a member that is not healthy yet cannot be:
// the instances that run cannot form a quorum by themselves, but would with
// the ones not started yet. BOSH starts instances one at a time (canary
// first), so in a whole-cluster start the first ones must count as started
// for BOSH to go on to the rest. instances holds the whole group, this
// instance included. Quorum is a majority of the existing cluster's voters
// as its members last knew them (a cluster just formed has one), or of the
// group when no cluster exists yet.
func AwaitsUnstarted(instances []Instance) (bool, string) {
	size := len(instances)
	for _, i := range instances {
		if i.Reach == Answered && i.HasData && i.Voters > 0 {
			size = i.Voters
			break
		}
	}
	quorum := size/2 + 1
	for _, i := range instances {
		if i.Reach == Answered && i.Serving {
			return false, "" // a cluster with quorum runs: this member can join it now
		}
	}
	cluster := uint64(0)
	anyData := false
	for _, i := range instances {
		if i.Reach == Answered && i.HasData {
			anyData = true
			if cluster == 0 {
				cluster = i.ClusterID
			}
		}
	}
	var capable, notStarted []string
	for _, i := range instances {
		switch {
		case i.Reach == NotStarted:
			notStarted = append(notStarted, i.Name)
		case i.Reach != Answered:
		case anyData && i.HasData && (i.ClusterID == cluster || i.ClusterID == 0):
			capable = append(capable, i.Name)
		case !anyData && !i.HasData:
			capable = append(capable, i.Name)
		}
	}
	slices.Sort(notStarted)
	if len(capable) >= quorum || len(capable)+len(notStarted) < quorum {
		return false, ""
	}
	return true, fmt.Sprintf("%d of %d instances can form the cluster now and a quorum needs %d; %s not started yet",
		len(capable), len(instances), quorum, strings.Join(notStarted, ", "))
}

// CheckConsistency reports a split: instances holding data of different
// clusters, or members of one cluster following different leaders.
// Elections make leaders differ for a moment, so callers report a split only
// when it persists.
func CheckConsistency(instances []Instance) error {
	byCluster := map[uint64][]string{}
	leaders := map[uint64]map[uint64][]string{}
	for _, i := range instances {
		if i.Reach != Answered || !i.HasData || i.ClusterID == 0 {
			continue
		}
		byCluster[i.ClusterID] = append(byCluster[i.ClusterID], i.Name)
		if i.Leader != 0 {
			if leaders[i.ClusterID] == nil {
				leaders[i.ClusterID] = map[uint64][]string{}
			}
			leaders[i.ClusterID][i.Leader] = append(leaders[i.ClusterID][i.Leader], i.Name)
		}
	}
	if len(byCluster) > 1 {
		return fmt.Errorf("split brain: the instances hold data of %d clusters: %s", len(byCluster), describe(byCluster, "cluster"))
	}
	for id, byLeader := range leaders {
		if len(byLeader) > 1 {
			return fmt.Errorf("split brain: members of cluster %x follow %d leaders: %s", id, len(byLeader), describe(byLeader, "leader"))
		}
	}
	return nil
}

func describe(groups map[uint64][]string, what string) string {
	var parts []string
	for id, names := range groups {
		slices.Sort(names)
		parts = append(parts, fmt.Sprintf("%s %x on %s", what, id, strings.Join(names, ", ")))
	}
	slices.Sort(parts)
	return strings.Join(parts, "; ")
}
