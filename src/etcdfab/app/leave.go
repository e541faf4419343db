package app

import (
	"context"
	"fmt"
	"slices"

	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/cluster"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/etcdclient"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/identity"
)

// departure is what leaving needs: the cluster's list, this member in it,
// and which members are healthy. ok is false when there is nothing to do:
// this node is not a member, or it is the last voting member, which just
// stops.
type departure struct {
	list    cluster.List
	self    cluster.Member
	healthy map[uint64]bool
}

// prepareLeave finds this member in the cluster's linearizable list and
// checks that removing it keeps quorum.
func (a *App) prepareLeave(ctx context.Context) (departure, bool, error) {
	endpoints := append([]string{a.localURL()}, a.cfg.OtherClientURLs()...)
	var d departure
	err := a.withCluster(endpoints, func(c Cluster) error {
		return a.retryBusy(ctx, "listing members", func(ctx context.Context) (err error) {
			d.list, err = c.Members(ctx)
			return err
		})
	})
	if err != nil {
		return d, false, fmt.Errorf("leaving the cluster: the member list needs quorum, and no member with quorum answered; no member was removed: %w", err)
	}
	self, ok := a.ownMember(d.list.Members)
	if !ok {
		a.log.Info("not a member of the cluster; nothing to leave", "member", a.cfg.MemberName())
		return d, false, nil
	}
	d.self = self
	if voters := cluster.Voters(d.list.Members); !self.IsLearner && len(voters) == 1 {
		a.log.Info("last member of the cluster; stopping without removing it", "member", self.String())
		return d, false, nil
	}
	d.healthy = a.healthyMembers(ctx, d.list.Members)
	if err := cluster.SafeToRemove(d.list.Members, d.healthy, self.ID); err != nil {
		return d, false, fmt.Errorf("leaving the cluster: %w", err)
	}
	return d, true, nil
}

// ownMember finds this node in a member list: by the member ID of its data
// when it has data, by name or peer URL otherwise.
func (a *App) ownMember(members []cluster.Member) (cluster.Member, bool) {
	if local, err := identity.Read(a.cfg.Etcd.DataDir); err == nil && local.HasData {
		i := slices.IndexFunc(members, func(m cluster.Member) bool { return m.ID == uint64(local.MemberID) })
		if i < 0 {
			return cluster.Member{}, false
		}
		return members[i], true
	}
	return a.self().Find(members)
}

// Leave removes this node from its cluster because its instance is being
// deleted. It never breaks quorum: if the remaining voting members could not
// form a majority it refuses. The last voting member just stops. Leaving
// twice is harmless: a node that is not listed has nothing to do.
func (a *App) Leave(ctx context.Context) error {
	d, ok, err := a.prepareLeave(ctx)
	if err != nil || !ok {
		return err
	}
	a.handOverLeadership(ctx, d)
	a.log.Info("removing this member from the cluster", "member", d.self.String())
	if err := a.removeMember(ctx, clientURLs(d.list.Members, d.self.ID), d.self.ID); err != nil {
		return fmt.Errorf("leaving the cluster: %w", err)
	}
	return nil
}

// handOverLeadership moves leadership to a healthy voter if this member
// leads, so that removing or stopping it does not leave the cluster
// leaderless for an election timeout. It is best effort: etcd copes with
// losing its leader, only more slowly.
func (a *App) handOverLeadership(ctx context.Context, d departure) {
	_ = a.withCluster([]string{a.localURL()}, func(c Cluster) error {
		var st etcdclient.Status
		if err := a.call(ctx, func(ctx context.Context) (err error) {
			st, err = c.Status(ctx, a.localURL())
			return err
		}); err != nil || st.Leader != d.self.ID {
			return nil // not the leader, or not running: nothing to hand over
		}
		for _, m := range cluster.Voters(d.list.Members) {
			if m.ID != d.self.ID && d.healthy[m.ID] {
				a.log.Info("handing leadership over", "to", m.String())
				if err := a.call(ctx, func(ctx context.Context) error { return c.MoveLeader(ctx, m.ID) }); err != nil {
					a.log.Warn("could not hand leadership over", "to", m.String(), "error", err.Error())
				}
				return nil
			}
		}
		return nil
	})
}
