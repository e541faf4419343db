package app

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/cluster"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/config"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/etcdclient"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/identity"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/status"
)

// addQueueTimeout bounds how long a join waits for etcd to admit its
// learner: behind another learner's catch-up, or etcd's guard of a few
// seconds after each membership change.
const addQueueTimeout = 10 * time.Minute

// joining is a join in progress: the learner this start added, the member
// list it joined with, and how far its catch-up has come.
type joining struct {
	member   cluster.Member
	members  []cluster.Member
	progress progress
}

// join adds this node as a learner of the cluster that listed itself in
// list and starts etcd against its members; supervise then promotes it once
// it has caught up. etcd admits one learner at a time, so concurrent joiners
// queue by retrying the add.
func (a *App) join(ctx context.Context, list cluster.List) (Etcd, *joining, error) {
	a.setPhase(status.Joining, fmt.Sprintf("joining cluster %x as a learner", list.ClusterID))
	// etcd refuses an add while another learner catches up or right after a
	// membership change; a join queues for it at most addQueueTimeout (or
	// the start timeout, if longer).
	addCtx, cancel := context.WithTimeout(ctx, max(a.cfg.StartTimeout(), addQueueTimeout))
	defer cancel()
	added, members, err := a.addLearner(addCtx, list.Members)
	if err != nil {
		return nil, nil, err
	}
	a.log.Info("added as learner", "member", added.String(), "members", len(members))
	etcd, err := a.startEtcd(plan{state: "existing", initialCluster: cluster.InitialCluster(members, a.self())})
	if err != nil {
		return nil, nil, errors.Join(err, a.undoJoin(added, members))
	}
	return etcd, &joining{member: added, members: members, progress: progress{since: a.Now()}}, nil
}

// addLearner asks the voting members of the known cluster to add this node,
// retrying while etcd is busy with another membership change. A learner
// nobody runs (left by a join that died) would block every join, since etcd
// admits one at a time, so it is removed when it is in the way.
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
			case etcdclient.IsTooManyLearners(err):
				a.removeStrandedLearners(ctx, c)
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
	list, err := c.Members(ctx)
	if err != nil {
		return cluster.Member{}, nil, err
	}
	me, ok := a.self().Find(list.Members)
	if !ok || me.Started() || !me.IsLearner {
		return cluster.Member{}, nil, fmt.Errorf("peer URL %s is already held by %s; start again to replace it", a.self().PeerURL, me)
	}
	return me, list.Members, nil
}

// removeStrandedLearners removes the learners that no instance of the group
// is running: learners never vote, so removing one never costs quorum.
func (a *App) removeStrandedLearners(ctx context.Context, c Cluster) {
	list, err := c.Members(ctx)
	if err != nil {
		return
	}
	for _, m := range list.Members {
		if !m.IsLearner {
			continue
		}
		if why := a.stranded(ctx, m); why != "" {
			a.log.Warn("removing a learner that blocks this join", "member", m.String(), "reason", why)
			if err := c.Remove(ctx, m.ID); err != nil && !etcdclient.IsMemberNotFound(err) {
				a.log.Warn("could not remove the learner", "member", m.String(), "error", err.Error())
			}
		}
	}
}

// stranded says why nobody runs learner m, or "" when an instance does (or
// may: one that does not answer may be running behind a fault).
func (a *App) stranded(ctx context.Context, m cluster.Member) string {
	p, ok := a.instanceOf(m)
	if !ok {
		return "no instance of the group has its peer URL"
	}
	if a.cfg.IsSelf(p) {
		return "it is this instance's, from an earlier start"
	}
	r, reach, _ := a.peers.Fetch(ctx, a.cfg.StatusURL(p))
	switch {
	case reach == cluster.NotStarted:
		return fmt.Sprintf("its instance %s does not run etcdfab", p.Name)
	case reach == cluster.Answered && uint64(r.MemberID) != m.ID && (r.Phase == status.Waiting || r.Phase == status.Refused):
		return fmt.Sprintf("its instance %s is not running it (%s)", p.Name, r.Phase)
	}
	return ""
}

// instanceOf finds the group's instance a member belongs to, by name or by
// the host of its peer URLs (an address, or <name>.<suffix> under TLS).
func (a *App) instanceOf(m cluster.Member) (p config.Peer, ok bool) {
	for _, p := range a.cfg.Group() {
		if m.Name != "" && m.Name == p.Name {
			return p, true
		}
		for _, u := range m.PeerURLs {
			host := hostOf(u)
			if host == p.Address || host == p.Name+"."+a.cfg.Etcd.AdvertiseURLsDNSSuffix {
				return p, true
			}
		}
	}
	return p, false
}

// hostOf is the host of a URL such as https://etcd-0.suffix:2380.
func hostOf(u string) string {
	if i := strings.Index(u, "://"); i >= 0 {
		u = u[i+3:]
	}
	if i := strings.LastIndex(u, ":"); i >= 0 && !strings.HasSuffix(u, "]") {
		u = u[:i]
	}
	return strings.Trim(u, "[]")
}

// abandonJoin ends a join that cannot go on: etcd exited, or its catch-up
// made no progress for the start timeout. What the learner received is
// kept, with its membership, when etcd wrote a WAL: the next start
// restarts on it and goes on catching up instead of starting over. Only a
// learner that received nothing is removed, with the empty directory its
// start created, so it blocks no other join.
func (a *App) abandonJoin(j *joining, cause error) error {
	local, err := identity.Read(a.cfg.Etcd.DataDir)
	if err == nil && local.HasData {
		return fmt.Errorf("learner %x did not catch up; its data and membership are kept, and the next start goes on from there: %w", j.member.ID, cause)
	}
	return errors.Join(fmt.Errorf("learner %x received no data: %w", j.member.ID, cause), a.undoJoin(j.member, j.members))
}

// undoJoin removes the member this start added, then the directory its
// etcd created. It runs after ctx expired, so it has its own deadline.
func (a *App) undoJoin(added cluster.Member, members []cluster.Member) error {
	ctx, cancel := context.WithTimeout(context.Background(), 4*a.CallTimeout)
	defer cancel()
	if err := a.removeMember(ctx, clientURLs(members, added.ID), added.ID); err != nil {
		return fmt.Errorf("undoing the join: could not remove member %x that this start added; remove it with `etcdctl member remove %x`: %w", added.ID, added.ID, err)
	}
	a.log.Info("removed the member this failed start added", "member", added.String())
	dir := identity.MemberDir(a.cfg.Etcd.DataDir)
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("undoing the join: removing the empty member directory %s: %w", dir, err)
	}
	return nil
}

// progress tells whether a learner's catch-up moves: the size and latest
// modification of the files etcd writes as it receives the cluster's data.
type progress struct {
	mark    string
	since   time.Time // when the mark last changed
	changes int64     // how often it changed
}

// moved reports whether the data changed since the last look.
func (p *progress) moved(dataDir string, now time.Time) bool {
	mark := dataMark(dataDir)
	if mark == p.mark {
		return false
	}
	p.mark, p.since = mark, now
	p.changes++
	return true
}

// dataMark sums up the member directory's files: their size and latest
// modification (etcd preallocates WAL files, so sizes alone move in steps).
func dataMark(dataDir string) string {
	var bytes, latest int64
	_ = filepath.WalkDir(identity.MemberDir(dataDir), func(_ string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		if info, err := d.Info(); err == nil {
			bytes += info.Size()
			latest = max(latest, info.ModTime().UnixNano())
		}
		return nil
	})
	return fmt.Sprintf("%d@%d", bytes, latest)
}
