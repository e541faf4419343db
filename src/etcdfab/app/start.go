package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/cluster"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/etcdclient"
)

// ErrNoCluster: no peer answered before the deadline and this node may not
// bootstrap a cluster of its own.
var ErrNoCluster = errors.New("no etcd cluster answered")

// Start brings this node into its cluster and returns the running etcd once
// it is a healthy voting member with quorum. On failure it stops the etcd it
// started and undoes the membership change it made, keeping data that
// existed before. ctx bounds the whole start (the config's start timeout).
func (a *App) Start(ctx context.Context) (Etcd, error) {
	if err := a.waitForDNS(ctx); err != nil {
		return nil, err
	}
	for {
		obs, err := a.observe(ctx)
		if err != nil {
			return nil, err
		}
		d := cluster.Decide(obs)
		a.log.Info("start decision", "action", d.Action.String(), "reason", d.Reason,
			"member", a.cfg.MemberName(), "has_data", obs.HasData, "bootstrap", obs.Bootstrap)

		switch d.Action {
		case cluster.Wait:
			if err := a.sleep(ctx); err != nil {
				return nil, fmt.Errorf("%w at %s, and this instance is not the bootstrap instance (spec.bootstrap is false), so it will not form a cluster of its own; deploy the bootstrap instance first or check that the peers' client ports are reachable: %v",
					ErrNoCluster, strings.Join(a.cfg.OtherClientURLs(), ", "), err)
			}
			continue
		case cluster.Bootstrap:
			return a.startAndWait(ctx, plan{state: "new", initialCluster: a.self().Name + "=" + a.self().PeerURL}, nil)
		case cluster.Restart:
			return a.startAndWait(ctx, plan{}, obs.Members)
		case cluster.Rejoin:
			if d.Stale != nil {
				if err := a.removeStale(ctx, obs.Members, *d.Stale); err != nil {
					return nil, err
				}
			}
			if err := a.clearData(); err != nil {
				return nil, err
			}
			return a.join(ctx, obs.Members)
		case cluster.Join:
			return a.join(ctx, obs.Members)
		}
	}
}

// waitForDNS waits, when TLS is on, until the DNS health check host
// resolves: members reach each other by name, so etcd must not start before
// DNS answers.
func (a *App) waitForDNS(ctx context.Context) error {
	host := a.cfg.Etcd.DNSHealthCheckHost
	if host == "" || !(a.cfg.Etcd.RequireSSL || a.cfg.Etcd.PeerRequireSSL) {
		return nil
	}
	for {
		var err error
		if err = a.call(ctx, func(ctx context.Context) error { _, err := a.LookupHost(ctx, host); return err }); err == nil {
			return nil
		}
		a.log.Info("waiting for DNS", "host", host, "error", err.Error())
		if werr := a.sleep(ctx); werr != nil {
			return fmt.Errorf("etcd.dns_health_check_host %s does not resolve (%v), and TLS members find each other by DNS name; check the consul agent or set etcd.dns_health_check_host to a name that resolves: %w", host, err, werr)
		}
	}
}

// observe gathers what Decide needs: local data and what peers say.
func (a *App) observe(ctx context.Context) (cluster.Observation, error) {
	obs := cluster.Observation{Bootstrap: a.cfg.Node.Bootstrap, Self: a.self()}
	if _, err := os.Stat(a.cfg.MemberDir()); err == nil {
		obs.HasData = true
	} else if !errors.Is(err, os.ErrNotExist) {
		return obs, fmt.Errorf("checking for local data in %s: %w", a.cfg.MemberDir(), err)
	}
	obs.ClusterFound, obs.Members = a.discover(ctx)
	return obs, nil
}

// discover asks every other instance at once for the member list and takes
// the first list given. Any answer, even a refusal, proves that a cluster
// exists.
func (a *App) discover(ctx context.Context) (found bool, members []cluster.Member) {
	type answer struct {
		endpoint string
		members  []cluster.Member
		err      error
	}
	endpoints := a.cfg.OtherClientURLs()
	answers := make(chan answer, len(endpoints))
	for _, endpoint := range endpoints {
		go func() {
			var list []cluster.Member
			err := a.withCluster([]string{endpoint}, func(c Cluster) error {
				return a.callAt(ctx, endpoint, func(ctx context.Context) (err error) {
					list, err = c.Members(ctx, false)
					return err
				})
			})
			answers <- answer{endpoint, list, err}
		}()
	}
	for range endpoints {
		ans := <-answers
		switch {
		case ans.err == nil:
			return true, ans.members
		case !etcdclient.IsUnreachable(ans.err):
			a.log.Info("peer answered without a member list", "endpoint", ans.endpoint, "error", ans.err.Error())
			found = true
		}
	}
	return found, nil
}

// clearData removes etcd's member directory (never the data directory
// itself, which may be a mount point). Callers only get here once the
// cluster no longer lists this node.
func (a *App) clearData() error {
	dir := a.cfg.MemberDir()
	if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	a.log.Info("clearing stale local data", "dir", dir)
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("clearing stale data in %s: %w", dir, err)
	}
	return nil
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
