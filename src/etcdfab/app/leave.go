package app

import (
	"context"
	"fmt"

	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/cluster"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/etcdclient"
)

// Leave removes this node from its cluster because its instance is being
// deleted. It never breaks quorum: if the remaining voting members could not
// form a majority it refuses. The last voting member just stops. Leaving
// twice is harmless: a node that is not listed has nothing to do.
func (a *App) Leave(ctx context.Context) error {
	endpoints := append([]string{a.cfg.ClientURL(a.cfg.Self())}, a.cfg.OtherClientURLs()...)
	var members []cluster.Member
	err := a.withCluster(endpoints, func(c Cluster) error {
		return a.call(ctx, func(ctx context.Context) (err error) {
			members, err = c.Members(ctx, true)
			return err
		})
	})
	if err != nil {
		return fmt.Errorf("leaving the cluster: the member list needs quorum, and no member with quorum answered; no member was removed: %w", err)
	}
	self, ok := a.self().Find(members)
	if !ok {
		a.log.Info("not a member of the cluster; nothing to leave", "member", a.cfg.MemberName())
		return nil
	}
	if voters := cluster.Voters(members); !self.IsLearner && len(voters) == 1 {
		a.log.Info("last member of the cluster; stopping without removing it", "member", self.String())
		return nil
	}

	healthy := a.healthyMembers(ctx, members)
	if err := cluster.SafeToRemove(members, healthy, self.ID); err != nil {
		return fmt.Errorf("leaving the cluster: %w", err)
	}
	if err := a.handOverLeadership(ctx, self, members, healthy); err != nil {
		return err
	}
	a.log.Info("removing this member from the cluster", "member", self.String())
	if err := a.removeMember(ctx, clientURLs(members, self.ID), self.ID); err != nil {
		return fmt.Errorf("leaving the cluster: %w", err)
	}
	return nil
}

// handOverLeadership moves leadership to a healthy voter if this member
// leads, so removing it does not leave the cluster leaderless for an
// election timeout.
func (a *App) handOverLeadership(ctx context.Context, self cluster.Member, members []cluster.Member, healthy map[uint64]bool) error {
	selfURL := a.cfg.ClientURL(a.cfg.Self())
	return a.withCluster([]string{selfURL}, func(c Cluster) error {
		var st etcdclient.Status
		if err := a.call(ctx, func(ctx context.Context) (err error) {
			st, err = c.Status(ctx, selfURL)
			return err
		}); err != nil || st.Leader != self.ID {
			return nil // not the leader, or not running: nothing to hand over
		}
		for _, m := range cluster.Voters(members) {
			if m.ID != self.ID && healthy[m.ID] {
				a.log.Info("handing leadership over before leaving", "to", m.String())
				return a.call(ctx, func(ctx context.Context) error { return c.MoveLeader(ctx, m.ID) })
			}
		}
		return nil
	})
}
