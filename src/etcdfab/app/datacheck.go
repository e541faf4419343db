package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/cluster"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/dbcheck"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/identity"
)

// DataCheck checks the member's database in dataDir against its WAL; a
// *dbcheck.Problem means the data is bad, any other error that it could
// not be checked yet.
type DataCheck func(ctx context.Context, dataDir string) (dbcheck.Result, error)

// badData remembers the last check's finding for the data as it was, so a
// member that refuses does not check the same files again at every poll.
type badData struct {
	mark string
	err  error
}

// checkData runs before etcd restarts on existing data. Good data keeps
// the decision. Bad data never reaches etcd: with its cluster's quorum
// listing this member, the member is replaced from its peers (its entry
// removed first, only if the rest keep quorum, then the data quarantined,
// then the join); without, the decision becomes a refusal that names the
// file and the recovery. It returns the decision and the local data left.
func (a *App) checkData(ctx context.Context, d cluster.Decision, local identity.Local) (cluster.Decision, identity.Local, error) {
	if d.Action != cluster.Restart || a.CheckData == nil {
		return d, local, nil
	}
	err := a.lastCheck.err
	if mark := dataMark(a.cfg.Etcd.DataDir); mark != a.lastCheck.mark || err == nil {
		var res dbcheck.Result
		res, err = a.CheckData(ctx, a.cfg.Etcd.DataDir)
		var p *dbcheck.Problem
		switch {
		case err == nil:
			a.log.Info("the member's database passed its check", "file", res.File, "size", res.Size,
				"consistent_index", res.ConsistentIndex, "wal_commit", res.WAL.Commit, "wal_snapshot_index", res.WAL.SnapshotIndex)
			a.lastCheck = badData{}
			return d, local, nil
		case !errors.As(err, &p):
			return d, local, fmt.Errorf("checking the member's database before starting etcd: %w", err)
		}
		a.lastCheck = badData{mark: mark, err: err}
	}
	d = cluster.BadData(d, uint64(local.MemberID), err.Error())
	if d.Action != cluster.Rejoin {
		return d, local, nil
	}
	a.log.Error("the member's database is bad; replacing this member from its peers", "reason", d.Reason,
		"member", a.cfg.MemberName(), "member_id", local.MemberID.String(), "cluster_id", local.ClusterID.String())
	if err := a.removeStale(ctx, d.List.Members, *d.Stale); err != nil {
		return d, local, err
	}
	dir, err := identity.Quarantine(a.cfg.Etcd.DataDir, d.Reason, a.Now())
	if err != nil {
		return d, local, err
	}
	a.log.Error("moved the bad data aside; it is kept until an operator removes it", "dir", dir,
		"member_id", local.MemberID.String(), "cluster_id", local.ClusterID.String())
	a.lastCheck = badData{}
	a.setIdentity(identity.Local{})
	d.Stale = nil // removed already
	return d, identity.Local{}, nil
}
