package app

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/cluster"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/etcdclient"
)

// join adds this node as a learner, starts etcd against the current member
// list and waits until it is promoted and healthy. etcd admits one learner
// at a time, so concurrent joiners queue by retrying the add.
func (a *App) join(ctx context.Context, known []cluster.Member) (Etcd, error) {
	added, members, err := a.addLearner(ctx, known)
	if err != nil {
		return nil, err
	}
	a.log.Info("added as learner", "member", added.String(), "members", len(members))
	etcd, err := a.startAndWait(ctx, plan{state: "existing", initialCluster: cluster.InitialCluster(members, a.self())}, members)
	if err != nil {
		return nil, errors.Join(err, a.undoJoin(added, members))
	}
	return etcd, nil
}

// addLearner asks the voting members of the known cluster to add this node,
// retrying while etcd is busy with another membership change (it admits one
// learner at a time, so concurrent joiners queue here).
func (a *App) addLearner(ctx context.Context, known []cluster.Member) (cluster.Member, []cluster.Member, error) {
	endpoints := clientURLs(cluster.Voters(known), 0)
	if len(endpoints) == 0 {
		endpoints = a.cfg.OtherClientURLs()
	}
	var added cluster.Member
	var members []cluster.Member
	err := a.withCluster(endpoints, func(c Cluster) error {
		return a.retryBusy(ctx, "adding this node as a learner", func(ctx context.Context) (err error) {
			added, members, err = c.AddLearner(ctx, a.self().PeerURL)
			switch {
			case etcdclient.IsPeerURLExist(err):
				added, members, err = a.findOwnAdd(ctx, c)
			case etcdclient.IsMemberNotFound(err):
				// etcd derives a new member's ID from its peer URLs and the
				// current second, and refuses IDs it removed: an add in the
				// second that removed this URL's last member fails. The next
				// second gives a new ID.
				err = fmt.Errorf("%w: %v", errTryAgain, err)
			}
			return err
		})
	})
	if err != nil {
		return cluster.Member{}, nil, fmt.Errorf("joining the cluster: %w", err)
	}
	return added, members, nil
}

// findOwnAdd handles an add refused because the peer URL is taken: an
// earlier attempt that timed out was applied after all. Only an unstarted
// learner is this node's own; anything else is a stale member for the next
// start to replace.
func (a *App) findOwnAdd(ctx context.Context, c Cluster) (cluster.Member, []cluster.Member, error) {
	members, err := c.Members(ctx, true)
	if err != nil {
		return cluster.Member{}, nil, err
	}
	me, ok := a.self().Find(members)
	if !ok || me.Started() || !me.IsLearner {
		return cluster.Member{}, nil, fmt.Errorf("peer URL %s is already held by %s; start again to replace it", a.self().PeerURL, me)
	}
	return me, members, nil
}

// undoJoin removes the member this start added, and only then the data the
// failed start created. It runs after ctx expired, so it has its own deadline.
func (a *App) undoJoin(added cluster.Member, members []cluster.Member) error {
	ctx, cancel := context.WithTimeout(context.Background(), 4*a.CallTimeout)
	defer cancel()
	err := a.removeMember(ctx, clientURLs(members, added.ID), added.ID)
	if err != nil {
		return fmt.Errorf("undoing the join: could not remove member %x that this start added; remove it with `etcdctl member remove %x`: %w", added.ID, added.ID, err)
	}
	a.log.Info("removed the member this failed start added", "member", added.String())
	if err := os.RemoveAll(a.cfg.MemberDir()); err != nil {
		return fmt.Errorf("undoing the join: removing data the failed start created in %s: %w", a.cfg.MemberDir(), err)
	}
	return nil
}
