package app

import (
	"context"
	"fmt"
	"strings"

	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/cluster"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/etcdclient"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/etcdversion"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/identity"
)

// checkVersions decides whether this node may start its etcd in a cluster
// whose members are listed (or, when no quorum answered, the group's other
// instances). It returns why not, or "" to go ahead. A member whose record
// says it ran this etcd minor on its data already goes ahead.
//
// A start that moves the cluster to a newer minor than it runs (etcd's
// version API says which it runs) goes ahead only one minor at a time, when
// every other member answers, runs at least the version etcd requires
// before that move (3.6.11 for 3.7), is a healthy voter without alarms, and
// the cluster has a leader and quorum: etcd's own upgrade rules, checked
// before the first member moves rather than found out by a member that
// cannot start or a cluster that cannot be upgraded further. A start of an
// older minor than the cluster runs goes ahead only while the cluster's
// downgrade to that minor is enabled.
//
// When no other member answers at all there is nothing to compare with:
// the start goes ahead, and etcd's own checks apply when the members meet.
func (a *App) checkVersions(ctx context.Context, list *cluster.List, local identity.Local) string {
	bin, err := a.binaryVersion(ctx)
	if err != nil {
		return fmt.Sprintf("cannot tell which etcd version etcd.etcd_path %s is: %v; check the etcd package", a.cfg.Etcd.EtcdPath, err)
	}
	if rec, ok, _ := identity.ReadRecord(a.cfg.Etcd.DataDir); ok && local.HasData && rec.MemberID == local.MemberID {
		if ran, err := etcdversion.Parse(rec.EtcdVersion); err == nil && ran.SameMinor(bin) {
			return "" // this member ran this minor on its data already
		}
	}
	var others []cluster.Member
	if list != nil {
		for _, m := range list.Members {
			if m.Name != a.cfg.MemberName() && !a.isSelfPeer(m) {
				others = append(others, m)
			}
		}
	} else {
		// No quorum answered: the group's other instances, by address.
		for _, p := range a.cfg.Others() {
			others = append(others, cluster.Member{Name: p.Name, ClientURLs: []string{a.cfg.PeerClientURL(p)}})
		}
	}
	running, answered := a.clusterVersion(ctx, others)
	if !answered {
		if len(others) > 0 {
			a.log.Warn("no other member answers etcd's version API; starting without the upgrade check", "etcd_version", bin.String())
		}
		return ""
	}
	switch {
	case running.SameMinor(bin):
		return ""
	case bin.Less(running):
		if a.downgradeTarget(ctx, others) == bin.MinorString() {
			a.log.Info("joining a cluster that is being downgraded", "cluster_version", running.MinorString(), "etcd_version", bin.String())
			return ""
		}
		return fmt.Sprintf("etcd %s cannot run in a cluster at version %s: etcd moves down one minor at a time, and only after `etcdfab downgrade` (etcdctl downgrade enable %s) on the cluster; deploy the release with etcd %s again, then follow the README's downgrade procedure",
			bin, running.MinorString(), bin.MinorString(), running.MinorString())
	case bin.Major != running.Major || bin.Minor > running.Minor+1:
		return fmt.Sprintf("etcd %s cannot join a cluster at version %s: etcd upgrades one minor at a time; deploy a release with etcd %d.%d first",
			bin, running.MinorString(), running.Major, running.Minor+1)
	}

	floor := etcdversion.UpgradeFloor(bin)
	var problems []string
	for _, m := range others {
		if p := a.readyForUpgrade(ctx, m, floor); p != "" {
			problems = append(problems, p)
		}
	}
	if len(problems) == 0 {
		err := a.withCluster(urlsOf(others), func(c Cluster) error {
			return a.call(ctx, c.CheckQuorum)
		})
		if err != nil {
			problems = append(problems, fmt.Sprintf("the cluster has no quorum (%v)", err))
		}
	}
	if len(problems) > 0 {
		return fmt.Sprintf("not upgrading this member from etcd %s to %s: %s; an upgrade to %s needs every member healthy and on %s or later, so fix that (or deploy a release with etcd %s first) and deploy again",
			running.MinorString(), bin, strings.Join(problems, "; "), bin.MinorString(), floor, floor)
	}
	a.log.Info("upgrade check passed: every other member is healthy and runs a version etcd can upgrade from",
		"cluster_version", running.MinorString(), "etcd_version", bin.String(), "floor", floor.String(), "members", len(others))
	return ""
}

// isSelfPeer: the member is this node by its peer URL (a learner added for
// it has no name yet).
func (a *App) isSelfPeer(m cluster.Member) bool {
	for _, u := range m.PeerURLs {
		if u == a.self().PeerURL {
			return true
		}
	}
	return false
}

// binaryVersion is the version of the etcd this node starts, read once.
func (a *App) binaryVersion(ctx context.Context) (etcdversion.Version, error) {
	if a.EtcdVersion != nil {
		return a.EtcdVersion(ctx)
	}
	return etcdversion.OfBinary(ctx, a.cfg.Etcd.EtcdPath)
}

// clusterVersion asks the members, one after another until one answers,
// for the cluster's version.
func (a *App) clusterVersion(ctx context.Context, members []cluster.Member) (etcdversion.Version, bool) {
	for _, endpoint := range urlsOf(members) {
		var v etcdclient.Versions
		err := a.withCluster([]string{endpoint}, func(c Cluster) error {
			return a.callAt(ctx, endpoint, func(ctx context.Context) (err error) {
				v, err = c.Versions(ctx, endpoint)
				return err
			})
		})
		if err != nil {
			a.log.Debug("no versions from member", "endpoint", endpoint, "error", err.Error())
			continue
		}
		running, err := etcdversion.Parse(v.Cluster)
		if err != nil {
			a.log.Warn("member answers an unreadable cluster version", "endpoint", endpoint, "error", err.Error())
			continue
		}
		return running, true
	}
	return etcdversion.Version{}, false
}

// downgradeTarget is the downgrade the cluster has enabled (major.minor),
// or "", as the first member that answers reports it.
func (a *App) downgradeTarget(ctx context.Context, members []cluster.Member) string {
	for _, endpoint := range urlsOf(members) {
		var s etcdclient.Status
		err := a.withCluster([]string{endpoint}, func(c Cluster) error {
			return a.callAt(ctx, endpoint, func(ctx context.Context) (err error) {
				s, err = c.Status(ctx, endpoint)
				return err
			})
		})
		if err == nil {
			if s.Downgrade == "" {
				return ""
			}
			if v, err := etcdversion.Parse(s.Downgrade); err == nil {
				return v.MinorString()
			}
			return s.Downgrade
		}
	}
	return ""
}

// readyForUpgrade says what keeps member m from taking part in an upgrade,
// or "".
func (a *App) readyForUpgrade(ctx context.Context, m cluster.Member, floor etcdversion.Version) string {
	name := m.Name
	if name == "" {
		name = fmt.Sprintf("%x", m.ID)
	}
	if len(m.ClientURLs) == 0 {
		return fmt.Sprintf("member %s has not started yet (a learner still joining)", name)
	}
	var s etcdclient.Status
	var err error
	for _, endpoint := range m.ClientURLs {
		err = a.withCluster([]string{endpoint}, func(c Cluster) error {
			return a.callAt(ctx, endpoint, func(ctx context.Context) (err error) {
				s, err = c.Status(ctx, endpoint)
				return err
			})
		})
		if err == nil {
			break
		}
	}
	switch {
	case err != nil:
		return fmt.Sprintf("member %s does not answer (%v)", name, err)
	case s.IsLearner:
		return fmt.Sprintf("member %s is a learner still catching up", name)
	case s.Leader == 0:
		return fmt.Sprintf("member %s has no leader", name)
	case len(s.Errors) > 0:
		return fmt.Sprintf("member %s reports %s", name, strings.Join(s.Errors, ", "))
	}
	v, err := etcdversion.Parse(s.Version)
	if err != nil {
		return fmt.Sprintf("member %s reports an unreadable version: %v", name, err)
	}
	if v.Less(floor) {
		return fmt.Sprintf("member %s runs etcd %s, older than %s", name, v, floor)
	}
	return ""
}

// urlsOf collects the members' client URLs (members built from the config
// have no ID yet, so clientURLs' exclusion does not fit).
func urlsOf(members []cluster.Member) []string {
	var urls []string
	for _, m := range members {
		urls = append(urls, m.ClientURLs...)
	}
	return urls
}
