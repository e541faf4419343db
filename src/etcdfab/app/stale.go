package app

import (
	"context"

	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/cluster"
)

// removeStaleMembers removes members that no instance of the group runs any
// more (deleted without drain, or with an unresponsive agent) once they
// have been down for etcd.remove_stale_members_after_seconds, and only when
// that keeps quorum. Left alone, such a member keeps counting towards
// quorum forever, silently lowering fault tolerance. The leader alone does
// this, so members never race each other to remove.
func (a *App) removeStaleMembers(ctx context.Context, list cluster.List) {
	grace := a.cfg.StaleMemberGrace()
	if grace <= 0 {
		return
	}
	if a.downSince == nil {
		a.downSince = map[uint64]int64{}
	}
	var healthy map[uint64]bool
	for _, m := range list.Members {
		if _, ok := a.instanceOf(m); ok {
			delete(a.downSince, m.ID)
			continue
		}
		if healthy == nil {
			healthy = a.healthyMembers(ctx, list.Members)
		}
		if healthy[m.ID] {
			delete(a.downSince, m.ID)
			continue
		}
		now := a.Now().UnixNano()
		since, seen := a.downSince[m.ID]
		if !seen {
			a.downSince[m.ID] = now
			a.log.Warn("a member that no instance of the group runs is down; it will be removed if it stays down",
				"member", m.String(), "after", grace.String())
			continue
		}
		if now-since < grace.Nanoseconds() {
			continue
		}
		if err := cluster.SafeToRemove(list.Members, healthy, m.ID); err != nil {
			a.log.Warn("not removing a stale member yet", "member", m.String(), "reason", err.Error())
			continue
		}
		if err := a.removeMember(ctx, clientURLs(list.Members, m.ID), m.ID); err != nil {
			a.log.Warn("could not remove a stale member", "member", m.String(), "error", err.Error())
			continue
		}
		delete(a.downSince, m.ID)
		a.log.Warn("removed a stale member that no instance of the group runs", "member", m.String())
	}
}
