package app

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"

	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/cluster"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/etcdclient"
)

// startAndWait launches etcd with plan p and waits until it is healthy (see
// ensureHealthy). If etcd exits or ctx ends first, etcd is stopped and an
// error returned.
func (a *App) startAndWait(ctx context.Context, p plan, members []cluster.Member) (Etcd, error) {
	args := etcdArgs(a.cfg, p)
	etcd, err := a.launch(args)
	if err != nil {
		return nil, err
	}
	a.log.Info("started etcd", "pid", etcd.Pid(), "args", args)

	if err := a.untilHealthy(ctx, etcd.Done(), func(ctx context.Context, local Cluster) error {
		return a.ensureHealthy(ctx, local, members)
	}); err != nil {
		etcd.Stop(a.cfg.StopTimeout())
		if errors.Is(err, errExited) {
			err = fmt.Errorf("%w: %v", err, etcd.Err())
		}
		logFile := filepath.Join(a.cfg.Etcd.LogDir, "etcd.log")
		return nil, fmt.Errorf("etcd member %s did not become healthy (see %s): %w", a.cfg.MemberName(), logFile, err)
	}
	a.log.Info("etcd is healthy", "member", a.cfg.MemberName(), "client_url", a.cfg.ClientURL(a.cfg.Self()),
		"peer_url", a.self().PeerURL, "pid", etcd.Pid())
	return etcd, nil
}

// WaitHealthy waits until this node's etcd is healthy as start leaves it:
// a voting member of a cluster with quorum, advertising its configured peer
// URL. BOSH's post-start waits for this before the next instance updates.
func (a *App) WaitHealthy(ctx context.Context) error {
	err := a.untilHealthy(ctx, nil, func(ctx context.Context, local Cluster) error {
		if _, err := a.probe(ctx, local); err != nil {
			return err
		}
		_, _, err := a.peerURLs(ctx, local)
		return err
	})
	if err != nil {
		return fmt.Errorf("etcd member %s at %s is not healthy: %w", a.cfg.MemberName(), a.cfg.ClientURL(a.cfg.Self()), err)
	}
	a.log.Info("member is healthy and the cluster has quorum", "member", a.cfg.MemberName())
	return nil
}

var (
	// errExited: etcd exited while etcdfab waited for it to become healthy.
	errExited = errors.New("etcd exited")
	// errLearner: the member has not been promoted yet.
	errLearner = errors.New("the member is still a learner")
	// errStalePeerURL: the member still advertises an old peer URL.
	errStalePeerURL = errors.New("the member advertises an outdated peer URL")
)

// untilHealthy repeats check against this node's own client URL until it
// passes, exited closes (nil: never) or ctx ends.
func (a *App) untilHealthy(ctx context.Context, exited <-chan struct{}, check func(context.Context, Cluster) error) error {
	return a.withCluster([]string{a.cfg.ClientURL(a.cfg.Self())}, func(local Cluster) error {
		for {
			err := check(ctx, local)
			if err == nil {
				return nil
			}
			select {
			case <-exited:
				return errExited
			case <-ctx.Done():
				return fmt.Errorf("%w (last check: %v)", ctx.Err(), err)
			case <-a.after():
			}
		}
	})
}

// ensureHealthy is one round of start's health work: promote the node while
// it is a learner, check quorum, then bring its advertised peer URL up to
// date (turning peer TLS on switches http://IP to https://name).
func (a *App) ensureHealthy(ctx context.Context, local Cluster, members []cluster.Member) error {
	st, err := a.probe(ctx, local)
	if errors.Is(err, errLearner) {
		if err := a.promote(ctx, st.MemberID, members); err != nil {
			return err
		}
		st, err = a.probe(ctx, local)
	}
	if err != nil {
		return err
	}
	me, want, err := a.peerURLs(ctx, local)
	if !errors.Is(err, errStalePeerURL) {
		return err
	}
	a.log.Info("updating peer URLs", "member", me.String(), "from", me.PeerURLs, "to", want)
	return a.call(ctx, func(ctx context.Context) error { return local.UpdatePeerURLs(ctx, me.ID, want) })
}

// probe checks that the local member is a voting member with quorum.
func (a *App) probe(ctx context.Context, local Cluster) (etcdclient.Status, error) {
	selfURL := a.cfg.ClientURL(a.cfg.Self())
	var st etcdclient.Status
	if err := a.callAt(ctx, selfURL, func(ctx context.Context) (err error) {
		st, err = local.Status(ctx, selfURL)
		return err
	}); err != nil {
		return st, err
	}
	if st.IsLearner {
		return st, errLearner
	}
	return st, a.call(ctx, local.CheckQuorum)
}

// peerURLs finds this member in the cluster's list and compares its peer
// URLs with the configured one (errStalePeerURL when they differ).
func (a *App) peerURLs(ctx context.Context, local Cluster) (me cluster.Member, want []string, err error) {
	want = []string{a.self().PeerURL}
	var members []cluster.Member
	if err := a.call(ctx, func(ctx context.Context) (err error) {
		members, err = local.Members(ctx, true)
		return err
	}); err != nil {
		return me, want, fmt.Errorf("checking this member's peer URLs: %w", err)
	}
	me, ok := a.self().Find(members)
	if !ok {
		return me, want, fmt.Errorf("the cluster does not list member %s", a.cfg.MemberName())
	}
	if !slices.Equal(me.PeerURLs, want) {
		return me, want, fmt.Errorf("%w: %v instead of %v", errStalePeerURL, me.PeerURLs, want)
	}
	return me, want, nil
}

// promote asks the voting members to promote this learner; etcd refuses
// until the learner has caught up with the leader's log.
func (a *App) promote(ctx context.Context, id uint64, members []cluster.Member) error {
	endpoints := clientURLs(cluster.Voters(members), id)
	if len(endpoints) == 0 {
		endpoints = a.cfg.OtherClientURLs()
	}
	return a.withCluster(endpoints, func(c Cluster) error {
		err := a.call(ctx, func(ctx context.Context) error { return c.Promote(ctx, id) })
		switch {
		case err == nil:
			a.log.Info("promoted to voting member", "member", a.cfg.MemberName())
			return nil
		case etcdclient.IsLearnerNotReady(err):
			return fmt.Errorf("learner is still catching up: %w", err)
		default:
			return err
		}
	})
}

// healthyMembers asks every started member for its status; a member that
// answers and knows a leader counts as healthy.
func (a *App) healthyMembers(ctx context.Context, members []cluster.Member) map[uint64]bool {
	healthy := map[uint64]bool{}
	for _, m := range members {
		if len(m.ClientURLs) == 0 {
			continue
		}
		_ = a.withCluster(m.ClientURLs, func(c Cluster) error {
			for _, u := range m.ClientURLs {
				var st etcdclient.Status
				err := a.callAt(ctx, u, func(ctx context.Context) (err error) {
					st, err = c.Status(ctx, u)
					return err
				})
				if err == nil && st.Leader != 0 {
					healthy[m.ID] = true
					return nil
				}
			}
			return nil
		})
	}
	return healthy
}
