package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/cluster"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/etcdclient"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/identity"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/status"
)

// Run brings this node into its cluster and runs etcd until ctx ends (a
// stop: etcd is stopped gracefully, keeping its data) or etcd exits. Until
// it can tell what to do, it waits, answering its peers' status requests:
// a node that waits counts as started, so BOSH goes on to start the others
// (see PostStart). It never forms a cluster on a guess, and never clears
// data without its own cluster's linearizable word.
func (a *App) Run(ctx context.Context) error {
	if a.ServeStatus != nil {
		srv, err := a.ServeStatus(a.Report)
		if err != nil {
			return err
		}
		defer srv.Close()
	}
	if err := a.waitForDNS(ctx); err != nil {
		return nil // stopped while waiting
	}
	for {
		etcd, joining, err := a.startOnce(ctx)
		switch {
		case ctx.Err() != nil:
			if etcd != nil {
				return a.supervise(ctx, etcd, joining)
			}
			return nil
		case err != nil:
			if a.setPhase(status.Waiting, err.Error()) {
				a.log.Warn("cannot start yet; trying again", "error", err.Error())
			}
			if a.sleep(ctx) != nil {
				return nil
			}
		case etcd != nil:
			return a.supervise(ctx, etcd, joining)
		}
	}
}

// startOnce looks at the local data and the group once and acts on what
// Decide says: it returns a started etcd, or nothing to wait and look again.
func (a *App) startOnce(ctx context.Context) (Etcd, *joining, error) {
	local, err := identity.Read(a.cfg.Etcd.DataDir)
	if err != nil {
		a.refuse(err.Error())
		return nil, nil, a.sleep(ctx)
	}
	if local.Partial {
		if _, err := a.moveAside("the member directory holds no WAL: a start was killed before etcd wrote one"); err != nil {
			return nil, nil, err
		}
		local = identity.Local{}
	}
	a.setIdentity(local)
	d := cluster.Decide(a.observe(ctx, local))
	if d, local, err = a.checkData(ctx, d, local); err != nil {
		return nil, nil, err
	}
	switch d.Action {
	case cluster.Wait:
		if a.setPhase(status.Waiting, d.Reason) {
			a.log.Info("waiting", "reason", d.Reason, "member", a.cfg.MemberName())
		}
		return nil, nil, a.sleep(ctx)
	case cluster.Refuse:
		a.refuse(d.Reason)
		return nil, nil, a.sleep(ctx)
	}
	if d.Action != cluster.Bootstrap {
		if reason := a.checkVersions(ctx, d.List, local); reason != "" {
			a.refuse(reason)
			return nil, nil, a.sleep(ctx)
		}
	}
	a.log.Info("start decision", "action", d.Action.String(), "reason", d.Reason, "member", a.cfg.MemberName(),
		"has_data", local.HasData, "cluster_id", local.ClusterID.String(), "member_id", local.MemberID.String())
	a.setPhase(status.Starting, d.Reason)
	switch d.Action {
	case cluster.Bootstrap:
		if restored, err := a.restoreForBootstrap(ctx); errors.Is(err, errRefuseBootstrap) {
			a.refuse(err.Error())
			return nil, nil, a.sleep(ctx)
		} else if err != nil {
			return nil, nil, err
		} else if restored {
			etcd, err := a.startEtcd(plan{})
			a.setVoters(1)
			return etcd, nil, err
		}
		etcd, err := a.startEtcd(plan{state: "new", initialCluster: a.self().Name + "=" + a.self().PeerURL, token: newClusterToken(a.cfg)})
		a.setVoters(1)
		return etcd, nil, err
	case cluster.Restart:
		if rec, ok, _ := identity.ReadRecord(a.cfg.Etcd.DataDir); ok && rec.MemberID == local.MemberID {
			a.setVoters(rec.Voters)
		}
		a.renameBeforeRestart(ctx, d.List, uint64(local.MemberID))
		etcd, err := a.startEtcd(plan{})
		return etcd, a.resumedJoin(d.List, local), err
	case cluster.Rejoin:
		if err := a.prepareRejoin(ctx, d, local); err != nil {
			return nil, nil, err
		}
	}
	return a.join(ctx, *d.List)
}

// renameBeforeRestart brings this member's advertised peer URL up to date
// through the quorum that listed it, before etcd starts, when only its host
// changed: an instance group renamed under TLS (etcd-0.<suffix> becomes
// etcd-renamed-0.<suffix>), whose old name consul no longer resolves. The
// leader reaches a member only at its listed URL when it sends it a
// snapshot, and etcd is not ready before it has caught up, so after the
// start it could never be updated. A scheme change (turning peer TLS on)
// is left to supervise, once the member is healthy; so is any failure here.
func (a *App) renameBeforeRestart(ctx context.Context, list *cluster.List, id uint64) {
	if list == nil {
		return
	}
	i := slices.IndexFunc(list.Members, func(m cluster.Member) bool { return m.ID == id })
	want := a.self().PeerURL
	if i < 0 || len(list.Members[i].PeerURLs) != 1 || list.Members[i].PeerURLs[0] == want ||
		!sameScheme(list.Members[i].PeerURLs[0], want) {
		return
	}
	me := list.Members[i]
	err := a.withCluster(a.cfg.OtherClientURLs(), func(c Cluster) error {
		return a.call(ctx, func(ctx context.Context) error { return c.UpdatePeerURLs(ctx, id, []string{want}) })
	})
	if err != nil {
		a.log.Warn("could not update the peer URL before the start; trying again once the member is healthy",
			"member", me.String(), "from", me.PeerURLs, "to", want, "error", err.Error())
		return
	}
	a.log.Info("updated peer URLs before the start", "member", me.String(), "from", me.PeerURLs, "to", want)
}

// sameScheme reports whether two URLs start with the same scheme.
func sameScheme(a, b string) bool {
	sa, _, _ := strings.Cut(a, "://")
	sb, _, _ := strings.Cut(b, "://")
	return sa == sb
}

// resumedJoin is the join a restart goes on with when the cluster lists
// this member as a learner: an earlier start added it, and it had not
// caught up when that start ended.
func (a *App) resumedJoin(list *cluster.List, local identity.Local) *joining {
	if list == nil {
		return nil
	}
	i := slices.IndexFunc(list.Members, func(m cluster.Member) bool { return m.ID == uint64(local.MemberID) })
	if i < 0 || !list.Members[i].IsLearner {
		return nil
	}
	return &joining{member: list.Members[i], members: list.Members, progress: progress{since: a.Now()}}
}

// refuse reports, loudly and once per reason, that etcd will not start.
func (a *App) refuse(reason string) {
	if a.setPhase(status.Refused, reason) {
		a.log.Error("refusing to start etcd; the local data is kept", "reason", reason, "member", a.cfg.MemberName())
	}
}

// observe gathers what Decide needs: the local data, and from every other
// instance at once its linearizable member list and its status report.
func (a *App) observe(ctx context.Context, local identity.Local) cluster.Observation {
	obs := cluster.Observation{HasData: local.HasData, ClusterID: uint64(local.ClusterID), MemberID: uint64(local.MemberID),
		Bootstrap: a.cfg.MayBootstrap(), GroupSize: len(a.cfg.Group()), Self: a.self()}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, p := range a.cfg.Others() {
		wg.Add(2)
		go func() {
			defer wg.Done()
			endpoint := a.cfg.PeerClientURL(p)
			var list cluster.List
			err := a.withCluster([]string{endpoint}, func(c Cluster) error {
				return a.callAt(ctx, endpoint, func(ctx context.Context) (err error) {
					list, err = c.Members(ctx)
					return err
				})
			})
			if err == nil {
				list.From = p.Name
				mu.Lock()
				obs.Lists = append(obs.Lists, list)
				mu.Unlock()
			}
		}()
		go func() {
			defer wg.Done()
			r, reach, _ := a.peers.Fetch(ctx, a.cfg.StatusURL(p))
			mu.Lock()
			obs.Peers = append(obs.Peers, r.Instance(p.Name, reach))
			mu.Unlock()
		}()
	}
	wg.Wait()
	return obs
}

// prepareRejoin clears the way for a node that its cluster no longer knows
// as it is: the stale member entry goes first (only if the rest keep
// quorum), then the stale data is moved aside.
func (a *App) prepareRejoin(ctx context.Context, d cluster.Decision, local identity.Local) error {
	if d.Stale != nil {
		if err := a.removeStale(ctx, d.List.Members, *d.Stale); err != nil {
			return err
		}
	}
	if local.HasData {
		aside, err := a.moveAside(d.Reason)
		if err != nil {
			return err
		}
		a.log.Warn("moved the stale data aside", "dir", aside, "cluster_id", local.ClusterID.String(), "member_id", local.MemberID.String())
		a.setIdentity(identity.Local{})
	}
	return nil
}

func (a *App) moveAside(reason string) (string, error) {
	return identity.MoveAside(a.cfg.Etcd.DataDir, reason, a.Now())
}

// removeStale removes this node's old member entry so it can join afresh,
// but only if the remaining members keep quorum.
func (a *App) removeStale(ctx context.Context, members []cluster.Member, stale cluster.Member) error {
	healthy := a.healthyMembers(ctx, members)
	if err := cluster.SafeToRemove(members, healthy, stale.ID); err != nil {
		return fmt.Errorf("replacing stale member %s: %w", stale, err)
	}
	a.log.Info("removing stale member", "member", stale.String())
	if err := a.removeMember(ctx, clientURLs(members, stale.ID), stale.ID); err != nil {
		return fmt.Errorf("replacing stale member %s: %w", stale, err)
	}
	return nil
}

// removeMember removes member id through endpoints, retrying while etcd
// refuses for a passing reason; a member already gone counts as removed.
func (a *App) removeMember(ctx context.Context, endpoints []string, id uint64) error {
	return a.withCluster(endpoints, func(c Cluster) error {
		return a.retryBusy(ctx, fmt.Sprintf("removing member %x", id), func(ctx context.Context) error {
			if err := c.Remove(ctx, id); err != nil && !etcdclient.IsMemberNotFound(err) {
				return err
			}
			return nil
		})
	})
}

// waitForDNS waits, when TLS is on, until the DNS health check host and
// this member's own advertised name resolve: members reach each other by
// name, so etcd must not start before DNS answers (its own name resolves
// once consul's check of it passes, which it does while it waits). It
// returns only when they resolve or ctx ends.
func (a *App) waitForDNS(ctx context.Context) error {
	if !(a.cfg.Etcd.RequireSSL || a.cfg.Etcd.PeerRequireSSL) {
		return nil
	}
	for _, w := range []struct{ host, fix string }{
		{a.cfg.Etcd.DNSHealthCheckHost, "check the consul agent or set etcd.dns_health_check_host to a name that resolves"},
		{a.cfg.AdvertisedName(), "check that consul registers this member (consul.agent.services on the colocated consul_agent) and that etcd.advertise_urls_dns_suffix matches its domain"},
	} {
		if w.host == "" {
			continue
		}
		if err := a.waitForName(ctx, w.host, w.fix); err != nil {
			return err
		}
	}
	return nil
}

func (a *App) waitForName(ctx context.Context, host, fix string) error {
	for {
		var err error
		if err = a.call(ctx, func(ctx context.Context) error { _, err := a.LookupHost(ctx, host); return err }); err == nil {
			return nil
		}
		reason := fmt.Sprintf("%s does not resolve, and TLS members find each other by DNS name; %s", host, fix)
		if a.setPhase(status.Waiting, reason) {
			a.log.Warn("waiting for DNS", "reason", reason, "error", err.Error())
		}
		if werr := a.sleep(ctx); werr != nil {
			return errors.Join(werr, err)
		}
	}
}
