package app

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"time"

	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/cluster"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/etcdclient"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/identity"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/status"
)

var (
	// errLearner: the member has not been promoted yet.
	errLearner = errors.New("the member is still a learner")
	// errStalePeerURL: the member still advertises an old peer URL.
	errStalePeerURL = errors.New("the member advertises an outdated peer URL")
)

// startEtcd launches etcd with plan p.
func (a *App) startEtcd(p plan) (Etcd, error) {
	args := etcdArgs(a.cfg, p)
	etcd, err := a.launch(args)
	if err != nil {
		return nil, err
	}
	a.setRunning(true)
	a.log.Info("started etcd", "pid", etcd.Pid(), "args", args)
	return etcd, nil
}

// supervise stays with a started etcd until ctx ends (it then stops etcd
// gracefully) or etcd exits. It brings the member up to date as it goes:
// promotes it while it is a learner, updates its advertised peer URL, and,
// once it is healthy, records its identity, drops data moved aside and
// removes stale members. A member restarting on its data is never killed
// for lacking quorum: its peers may simply not be started yet. Only a join
// whose catch-up stops moving for the start timeout is given up.
func (a *App) supervise(ctx context.Context, etcd Etcd, j *joining) error {
	defer a.setRunning(false)
	local, err := a.dial([]string{a.localURL()})
	if err != nil {
		etcd.Stop(a.cfg.StopTimeout())
		return err
	}
	defer local.Close()

	healthy := false
	var lastMaintenance time.Time
	for {
		select {
		case <-etcd.Done():
			err := fmt.Errorf("etcd (pid %d) exited: %v; see %s", etcd.Pid(), etcd.Err(), filepath.Join(a.cfg.Etcd.LogDir, "etcd.log"))
			if j != nil {
				return a.abandonJoin(j, err)
			}
			return err
		case <-ctx.Done():
			a.log.Info("stopping etcd", "pid", etcd.Pid())
			if !etcd.Stop(a.cfg.StopTimeout()) {
				return fmt.Errorf("etcd (pid %d) did not stop within %s and was killed", etcd.Pid(), a.cfg.StopTimeout())
			}
			a.log.Info("etcd stopped", "pid", etcd.Pid())
			return nil
		case <-time.After(a.PollInterval):
		}

		st, list, err := a.healthRound(ctx, local, j)
		if err == nil {
			if !healthy {
				healthy, j = true, nil
				a.becameHealthy(st, list)
			}
			// The record keeps up with every membership change: a whole-
			// cluster start reads its voter count to tell what quorum needs.
			a.record(st, list)
			if a.Now().Sub(lastMaintenance) >= a.MaintenanceInterval {
				lastMaintenance = a.Now()
				a.maintain(ctx, st, list)
			}
			a.maybeSnapshot(ctx, st)
			continue
		}
		if healthy {
			healthy = false
			a.log.Warn("member is no longer healthy", "member", a.cfg.MemberName(), "reason", err.Error())
		}
		if j == nil {
			a.setPhase(status.Starting, err.Error())
			continue
		}
		a.setPhase(status.Joining, err.Error())
		j.progress.moved(a.cfg.Etcd.DataDir, a.Now())
		a.setProgress(j.progress.changes)
		if a.Now().Sub(j.progress.since) > a.cfg.StartTimeout() {
			etcd.Stop(a.cfg.StopTimeout())
			return a.abandonJoin(j, fmt.Errorf("the learner received no data for %s (etcd.start_timeout_in_seconds): %w", a.cfg.StartTimeout(), err))
		}
	}
}

// healthRound is one round of supervision: promote the node while it is a
// learner, check quorum, then bring its advertised peer URL up to date
// (turning peer TLS on switches http://IP to https://name). It returns the
// member's status and the cluster's member list once the member is a
// healthy voting member of a cluster with quorum.
func (a *App) healthRound(ctx context.Context, local Cluster, j *joining) (etcdclient.Status, cluster.List, error) {
	st, err := a.probe(ctx, local)
	if err != nil && !errors.Is(err, errLearner) && j != nil {
		// A learner answers nothing until it has caught up far enough to
		// apply its own registration; ask the voters to promote it anyway,
		// which they do once it has caught up.
		st.MemberID, err = j.member.ID, errLearner
	}
	if errors.Is(err, errLearner) {
		var members []cluster.Member
		if j != nil {
			members = j.members
		}
		if err := a.promote(ctx, st.MemberID, members); err != nil {
			return st, cluster.List{}, err
		}
		// The member sees its promotion once it applies it; until its own
		// status says so it still refuses what learners cannot serve.
		return st, cluster.List{}, fmt.Errorf("%w: promoted, waiting for the member to apply it", errLearner)
	}
	if err != nil {
		return st, cluster.List{}, err
	}
	list, me, err := a.ownEntry(ctx, local, st.MemberID)
	if errors.Is(err, errStalePeerURL) {
		want := []string{a.self().PeerURL}
		a.log.Info("updating peer URLs", "member", me.String(), "from", me.PeerURLs, "to", want)
		err = a.call(ctx, func(ctx context.Context) error { return local.UpdatePeerURLs(ctx, me.ID, want) })
	}
	return st, list, err
}

// probe checks that the local member is a voting member with quorum.
func (a *App) probe(ctx context.Context, local Cluster) (etcdclient.Status, error) {
	var st etcdclient.Status
	if err := a.callAt(ctx, a.localURL(), func(ctx context.Context) (err error) {
		st, err = local.Status(ctx, a.localURL())
		return err
	}); err != nil {
		return st, err
	}
	if st.IsLearner {
		return st, errLearner
	}
	return st, a.call(ctx, local.CheckQuorum)
}

// ownEntry finds member id in the cluster's list and compares its peer
// URLs with the configured one (errStalePeerURL when they differ).
func (a *App) ownEntry(ctx context.Context, local Cluster, id uint64) (list cluster.List, me cluster.Member, err error) {
	if err := a.call(ctx, func(ctx context.Context) (err error) {
		list, err = local.Members(ctx)
		return err
	}); err != nil {
		return list, me, fmt.Errorf("checking this member's peer URLs: %w", err)
	}
	i := slices.IndexFunc(list.Members, func(m cluster.Member) bool { return m.ID == id })
	if i < 0 {
		return list, me, fmt.Errorf("the cluster does not list member %x (%s)", id, a.cfg.MemberName())
	}
	me = list.Members[i]
	if want := []string{a.self().PeerURL}; !slices.Equal(me.PeerURLs, want) {
		return list, me, fmt.Errorf("%w: %v instead of %v", errStalePeerURL, me.PeerURLs, want)
	}
	return list, me, nil
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
		case etcdclient.IsMemberNotLearner(err):
			return nil // promoted already; the member has not applied it yet
		case etcdclient.IsLearnerNotReady(err):
			return fmt.Errorf("learner is still catching up: %w", err)
		default:
			return err
		}
	})
}

// becameHealthy marks the member running and records it: the first
// healthy start after data was moved aside drops that copy.
func (a *App) becameHealthy(st etcdclient.Status, list cluster.List) {
	a.setIdentity(identity.Local{HasData: true, ClusterID: identity.ID(st.ClusterID), MemberID: identity.ID(st.MemberID)})
	a.setPhase(status.Running, "")
	a.setProgress(0)
	a.log.Info("etcd is healthy", "member", a.cfg.MemberName(), "cluster_id", identity.ID(st.ClusterID).String(),
		"member_id", identity.ID(st.MemberID).String(), "peer_url", a.self().PeerURL)
	if removed, err := identity.ClearAside(a.cfg.Etcd.DataDir); err != nil {
		a.log.Warn("could not remove the data moved aside", "error", err.Error())
	} else if removed {
		a.log.Info("removed the data moved aside before this healthy start", "dir", identity.AsideDir(a.cfg.Etcd.DataDir))
	}
	a.record(st, list)
}

// maintain is a healthy member's housekeeping.
func (a *App) maintain(ctx context.Context, st etcdclient.Status, list cluster.List) {
	if st.Leader == st.MemberID {
		a.removeStaleMembers(ctx, list)
	}
	a.scheduleDefrag(ctx, st)
}

// record writes the member's identity beside its data when it changed
// (compared with the last one written, so a round costs no file read).
func (a *App) record(st etcdclient.Status, list cluster.List) {
	r := identity.Record{ClusterID: identity.ID(st.ClusterID), MemberID: identity.ID(st.MemberID), Name: a.cfg.MemberName(),
		PeerURLs: []string{a.self().PeerURL}, EtcdVersion: st.Version}
	for _, m := range list.Members {
		r.Members = append(r.Members, fmt.Sprintf("%s=%x", m.Name, m.ID))
	}
	slices.Sort(r.Members)
	r.Voters = len(cluster.Voters(list.Members))
	a.setVoters(r.Voters)
	if old := a.recorded; old != nil && old.ClusterID == r.ClusterID && old.MemberID == r.MemberID &&
		slices.Equal(old.Members, r.Members) && slices.Equal(old.PeerURLs, r.PeerURLs) && old.Voters == r.Voters && old.EtcdVersion == r.EtcdVersion {
		return
	}
	r.UpdatedAt = a.Now().UTC()
	if err := identity.WriteRecord(a.cfg.Etcd.DataDir, r); err != nil {
		a.log.Warn("could not record the member's identity", "error", err.Error())
		return
	}
	a.recorded = &r
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
