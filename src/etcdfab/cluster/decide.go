package cluster

import "fmt"

// Action is what start does.
type Action int

const (
	// Wait: no cluster answered and this is not the bootstrap instance;
	// look again later rather than form a second cluster.
	Wait Action = iota
	// Bootstrap a new single-member cluster; others join it.
	Bootstrap
	// Restart on the existing data as the member it belongs to.
	Restart
	// Join: add this node as a learner, start it, promote it once caught up.
	Join
	// Rejoin: remove the stale entry for this node (if there is one), clear
	// its local data, then join.
	Rejoin
)

func (a Action) String() string {
	return [...]string{"wait", "bootstrap", "restart", "join", "rejoin"}[a]
}

// Observation is what start knows before deciding.
type Observation struct {
	// HasData: the data directory holds a member directory.
	HasData bool
	// Bootstrap: BOSH chose this instance as its group's bootstrap instance.
	Bootstrap bool
	// ClusterFound: some peer answered, so a cluster exists, even if it
	// could not list its members (a learner, say).
	ClusterFound bool
	// Members is the member list a peer gave; nil if none did.
	Members []Member
	Self    Self
}

// Decision is an Action with the member to remove first (for Rejoin) and
// the reason, for the log.
type Decision struct {
	Action Action
	Stale  *Member
	Reason string
}

// Decide picks what start does. Data is only ever cleared (Rejoin) when a
// peer's member list shows this node is not, or is no longer validly, a
// member; a node that sees no cluster never clears data and never forms a
// cluster unless it is the bootstrap instance and has no data.
func Decide(o Observation) Decision {
	if !o.ClusterFound {
		switch {
		case o.HasData:
			// A whole-cluster restart: nobody answers yet, everyone has data.
			return Decision{Action: Restart, Reason: "local data exists and no peer answered yet; restarting on it"}
		case o.Bootstrap:
			return Decision{Action: Bootstrap, Reason: "no peer answered and this is the bootstrap instance"}
		default:
			return Decision{Action: Wait, Reason: "no peer answered and this is not the bootstrap instance; waiting for the cluster"}
		}
	}
	if o.Members == nil {
		return Decision{Action: Wait, Reason: "a peer answered but could not list members; asking again"}
	}

	self, found := o.Self.Find(o.Members)
	switch {
	case found && o.HasData:
		return Decision{Action: Restart, Reason: fmt.Sprintf("local data exists and the cluster lists this node as %s", self)}
	case found:
		return Decision{Action: Rejoin, Stale: &self,
			Reason: fmt.Sprintf("the cluster lists %s but this node has no data (a lost disk); replacing the stale member", self)}
	case o.HasData:
		return Decision{Action: Rejoin,
			Reason: "local data exists but the cluster no longer lists this node (it was removed); clearing the stale data and joining"}
	default:
		return Decision{Action: Join, Reason: "a cluster exists and this node is new to it"}
	}
}
