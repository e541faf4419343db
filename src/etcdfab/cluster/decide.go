package cluster

import (
	"fmt"
	"slices"
	"strings"
)

// Action is what start does.
type Action int

const (
	// Wait: it cannot tell yet whether a cluster exists or how to reach it;
	// look again later, never forming a second cluster on a guess.
	Wait Action = iota
	// Refuse: what answered contradicts the local data (another cluster);
	// keep the data, start nothing, and say so until an operator acts.
	Refuse
	// Bootstrap a new single-member cluster; the others join it.
	Bootstrap
	// Restart on the existing data as the member it belongs to.
	Restart
	// Join: add this node as a learner, start it, promote it once caught up.
	Join
	// Rejoin: this node's data or member entry is stale by its own
	// cluster's word: move the data aside, remove the stale entry (if
	// there is one), then join.
	Rejoin
)

func (a Action) String() string {
	return [...]string{"wait", "refuse", "bootstrap", "restart", "join", "rejoin"}[a]
}

// List is a linearizable member list, answered through a quorum of the
// cluster whose ID it carries.
type List struct {
	From      string // the endpoint that answered
	ClusterID uint64
	Members   []Member
}

// Observation is what start knows before deciding.
type Observation struct {
	// HasData: the data directory holds a member's WAL, of ClusterID and
	// MemberID.
	HasData   bool
	ClusterID uint64
	MemberID  uint64
	// Bootstrap: this is the one instance that may form a new cluster.
	Bootstrap bool
	// GroupSize counts the instances of the cluster's group, this one too.
	GroupSize int
	// Lists holds every linearizable member list another instance gave.
	Lists []List
	// Peers are the other instances as their status requests found them;
	// only the ones that answered count.
	Peers []Instance
	Self  Self
}

// Decision is an Action with what it acts on and why, for the log.
type Decision struct {
	Action Action
	// List is the cluster to restart into, join or rejoin, if one answered.
	List *List
	// Stale is this node's old member entry, to remove before rejoining.
	Stale  *Member
	Reason string
}

// Decide picks what start does. Data is only cleared (Rejoin with data) on
// a linearizable member list of the very cluster the data belongs to that
// does not list this member; a node without data forms a new cluster only
// as the bootstrap instance and only when a majority of the group,
// itself included, reports holding no data and nobody reports any.
func Decide(o Observation) Decision {
	if ids := clusterIDs(o.Lists); len(ids) > 1 {
		return Decision{Action: Refuse, Reason: fmt.Sprintf(
			"instances of different clusters answered (%s): two clusters share this instance group; find the members each instance lists and recover the right one",
			describeLists(o.Lists))}
	}
	var list *List
	if len(o.Lists) > 0 {
		list = &o.Lists[0]
	}
	if o.HasData {
		return decideWithData(o, list)
	}
	return decideWithoutData(o, list)
}

func decideWithData(o Observation, list *List) Decision {
	if list != nil && list.ClusterID != o.ClusterID {
		return Decision{Action: Refuse, Reason: fmt.Sprintf(
			"the local data belongs to cluster %x (member %x), but %s answered for cluster %x; the data is kept and etcd is not started. If cluster %x is the one to keep, delete this instance's data by hand (bosh ssh, then move /var/vcap/store/etcd/member away) so it joins it; otherwise stop the instances of cluster %x and remove their data",
			o.ClusterID, o.MemberID, list.From, list.ClusterID, list.ClusterID, list.ClusterID)}
	}
	for _, p := range o.Peers {
		if p.Reach == Answered && p.HasData && p.ClusterID != 0 && p.ClusterID != o.ClusterID {
			return Decision{Action: Refuse, Reason: fmt.Sprintf(
				"the local data belongs to cluster %x (member %x), but %s holds data of cluster %x: two clusters share this instance group; the data is kept and etcd is not started until the instances agree on one cluster",
				o.ClusterID, o.MemberID, p.Name, p.ClusterID)}
		}
	}
	if list == nil {
		return Decision{Action: Restart, Reason: fmt.Sprintf(
			"local data of cluster %x exists and no quorum answered yet (a whole-cluster start, or peers not running); restarting on it", o.ClusterID)}
	}
	for _, m := range list.Members {
		if m.ID == o.MemberID {
			return Decision{Action: Restart, List: list, Reason: fmt.Sprintf("cluster %x lists this node as %s; restarting on its data", o.ClusterID, m)}
		}
	}
	d := Decision{Action: Rejoin, List: list, Reason: fmt.Sprintf(
		"cluster %x, answering through a quorum, no longer lists member %x (it was removed); moving the stale data aside and joining again", o.ClusterID, o.MemberID)}
	if stale, ok := o.Self.Find(list.Members); ok {
		d.Stale = &stale
	}
	return d
}

func decideWithoutData(o Observation, list *List) Decision {
	if list != nil {
		if stale, ok := o.Self.Find(list.Members); ok {
			return Decision{Action: Rejoin, List: list, Stale: &stale, Reason: fmt.Sprintf(
				"cluster %x lists %s but this node has no data (a lost disk); replacing the stale member", list.ClusterID, stale)}
		}
		return Decision{Action: Join, List: list, Reason: fmt.Sprintf("cluster %x exists and this node is new to it", list.ClusterID)}
	}
	var withData, empty []string
	for _, p := range o.Peers {
		switch {
		case p.Reach != Answered:
		case p.HasData:
			withData = append(withData, p.Name)
		default:
			empty = append(empty, p.Name)
		}
	}
	slices.Sort(withData)
	slices.Sort(empty)
	quorum := o.GroupSize/2 + 1
	switch {
	case len(withData) > 0:
		return Decision{Action: Wait, Reason: fmt.Sprintf(
			"%s hold data, so a cluster exists; waiting for it to regain quorum", strings.Join(withData, ", "))}
	case !o.Bootstrap:
		return Decision{Action: Wait, Reason: "no cluster answered and this is not the bootstrap instance; waiting for the cluster"}
	case 1+len(empty) < quorum:
		return Decision{Action: Wait, Reason: fmt.Sprintf(
			"no cluster answered, and %d of %d instances (this one and %s) reported holding no data, where a new cluster needs a majority of %d to say so; waiting for more instances to report",
			1+len(empty), o.GroupSize, orNone(empty), quorum)}
	default:
		return Decision{Action: Bootstrap, Reason: fmt.Sprintf(
			"%d of %d instances (this one and %s) report holding no data and none reports any; forming a new cluster",
			1+len(empty), o.GroupSize, orNone(empty))}
	}
}

func clusterIDs(lists []List) []uint64 {
	var ids []uint64
	for _, l := range lists {
		if !slices.Contains(ids, l.ClusterID) {
			ids = append(ids, l.ClusterID)
		}
	}
	return ids
}

func describeLists(lists []List) string {
	var parts []string
	for _, l := range lists {
		parts = append(parts, fmt.Sprintf("%s for cluster %x", l.From, l.ClusterID))
	}
	slices.Sort(parts)
	return strings.Join(parts, ", ")
}

func orNone(names []string) string {
	if len(names) == 0 {
		return "no other"
	}
	return strings.Join(names, ", ")
}
