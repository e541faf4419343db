package cluster

import "fmt"

// BadData turns a decision to restart on the local data into what to do
// when that data failed its check before start (problem says what is
// wrong with which file): etcd never starts on it. When a quorum of the
// data's own cluster answered and lists this member, the member is
// replaced through the normal rejoin from its peers (its entry removed,
// the bad data moved aside, joined again as a learner). Otherwise nobody
// holds the data but this member: refuse, keeping it untouched, and say
// how to recover. Other decisions do not start etcd on the data as it is,
// and are returned unchanged.
func BadData(d Decision, memberID uint64, problem string) Decision {
	if d.Action != Restart {
		return d
	}
	if d.List != nil {
		for _, m := range d.List.Members {
			if m.ID == memberID {
				return Decision{Action: Rejoin, List: d.List, Stale: &m, Reason: fmt.Sprintf(
					"the member's data failed its check before start (%s); cluster %x lists this node as %s and answers through a quorum, so it is replaced from its peers: its entry removed, the bad data moved aside, joined again as a learner",
					problem, d.List.ClusterID, m)}
			}
		}
	}
	return Decision{Action: Refuse, Reason: fmt.Sprintf(
		"the member's data failed its check before start (%s), and no quorum of its cluster answers to replace it from: etcd is not started and the data is kept untouched. "+
			"If the other members are only down, start them: this member rejoins from them on its own. If this is the only copy (a single member, or the others lost), "+
			"restore the cluster from a snapshot or BBR backup (bbr deployment restore, or the etcd job's snapshot restore), or check the file with `etcdfab check-db -data-dir DIR` and etcdutl",
		problem)}
}
