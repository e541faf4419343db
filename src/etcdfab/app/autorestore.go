package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/identity"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/restore"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/snapshot"
)

// autoRestoreRecheck: after refusing to bootstrap over a destination whose
// snapshots are all invalid, look at it again only this often (each look
// downloads them all).
const autoRestoreRecheck = 30 * time.Second

// errRefuseBootstrap: the destination holds snapshots and none is valid.
var errRefuseBootstrap = errors.New("refusing to form an empty cluster")

// restoreForBootstrap runs where Decide said Bootstrap: no instance that
// answered holds data, and this one holds none. With a snapshot destination
// set, the cluster is formed from the newest valid snapshot there instead
// of empty; it reports whether it restored one. An invalid snapshot (its
// checksum, authentication or etcd's own hash fails) is skipped, loudly,
// for the next older one. When the destination holds snapshots and none is
// valid it refuses (errRefuseBootstrap): forming an empty cluster would
// hide the loss; the operator fixes or empties the destination, or sets
// etcd.snapshots.destination to "". An empty destination bootstraps empty.
// Any other error (the destination out of reach) means wait and try again.
func (a *App) restoreForBootstrap(ctx context.Context) (bool, error) {
	if a.Snapshots == nil {
		return false, nil
	}
	if r := a.lastRefusal; r.err != nil && a.Now().Sub(r.at) < autoRestoreRecheck {
		return false, r.err
	}
	restored, err := a.restoreLatest(ctx)
	a.lastRefusal = refusal{}
	if errors.Is(err, errRefuseBootstrap) {
		a.lastRefusal = refusal{at: a.Now(), err: err}
	}
	return restored, err
}

type refusal struct {
	at  time.Time
	err error
}

func (a *App) restoreLatest(ctx context.Context) (bool, error) {
	dataDir := a.cfg.Etcd.DataDir
	// Decide saw no data here; never restore over data whatever it said.
	if local, err := identity.Read(dataDir); err != nil || local.HasData || local.Partial {
		return false, fmt.Errorf("not restoring a snapshot into %s: it holds data (%v)", dataDir, err)
	}
	dest := a.Snapshots.String()
	l, err := a.Snapshots.List(ctx)
	if err != nil {
		return false, fmt.Errorf("bootstrapping: cannot tell whether %s (etcd.snapshots.destination) holds a snapshot to restore, so no cluster is formed yet: %w", dest, err)
	}
	if len(l.Snapshots) == 0 && len(l.Broken) == 0 {
		a.log.Info("no snapshot at the destination; forming an empty cluster", "destination", dest)
		return false, nil
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return false, fmt.Errorf("bootstrapping from a snapshot: %w", err)
	}
	tmp, err := os.MkdirTemp(dataDir, ".fetch-") // the disk etcdfab may write to
	if err != nil {
		return false, fmt.Errorf("bootstrapping from a snapshot: %w", err)
	}
	defer os.RemoveAll(tmp) // only what this call downloaded
	reasons := make([]string, 0, len(l.Broken)+len(l.Snapshots))
	for _, b := range l.Broken {
		a.log.Error("skipping a snapshot whose metadata is unusable", "destination", dest, "error", b.Error())
		reasons = append(reasons, b.Error())
	}
	for _, m := range l.Snapshots {
		age := m.Age(a.Now()).String()
		a.log.Warn("TOTAL LOSS: no member holds data; restoring the cluster from a snapshot", "snapshot", m.Name, "revision", m.Revision,
			"created", m.Created, "age", age, "destination", dest, "cluster_id_of_snapshot", m.ClusterID)
		dbFile := filepath.Join(tmp, m.Name+".db")
		err := a.Snapshots.Fetch(ctx, m, dbFile)
		var res restore.Result
		if err == nil {
			res, err = restore.FromSnapshot(ctx, restore.Options{Etcdutl: restore.EtcdutlBeside(a.cfg.Etcd.EtcdPath), DBFile: dbFile,
				DataDir: dataDir, Name: a.self().Name, PeerURL: a.self().PeerURL, Token: newClusterToken(a.cfg), Now: a.Now})
		}
		os.Remove(dbFile)
		switch {
		case err == nil:
			a.log.Warn("restored the cluster from a snapshot: it starts as a new cluster with this member alone; the others join it", "snapshot", m.Name,
				"revision", m.Revision, "age", age, "destination", dest, "cluster_id", res.ClusterID.String(), "member_id", res.MemberID.String())
			a.setIdentity(identity.Local{HasData: true, MemberID: res.MemberID, ClusterID: res.ClusterID})
			return true, nil
		case snapshot.Invalid(err) || errors.Is(err, restore.ErrRefused):
			a.log.Error("skipping an invalid snapshot; trying the next older one", "snapshot", m.Name, "destination", dest, "error", err.Error())
			reasons = append(reasons, err.Error())
		default:
			return false, fmt.Errorf("bootstrapping from snapshot %s at %s: %w", m.Name, dest, err)
		}
	}
	return false, fmt.Errorf("%w: %s (etcd.snapshots.destination) holds %d snapshots and %d unusable metadata objects, and none restores: %s; fix or empty the destination, or set etcd.snapshots.destination to \"\" to form an empty cluster",
		errRefuseBootstrap, dest, len(l.Snapshots), len(l.Broken), strings.Join(reasons, "; "))
}
