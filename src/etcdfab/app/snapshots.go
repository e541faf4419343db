package app

import (
	"context"
	"sync"
	"time"

	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/etcdclient"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/snapshot"
)

// Snapshots is the snapshot destination (etcd.snapshots.*), as the
// periodic snapshotter and the automatic restore use it.
type Snapshots interface {
	// Take snapshots the member at endpoint, then prunes the destination
	// to the retention: a non-empty Metadata with an error means the
	// snapshot was saved and pruning failed.
	Take(ctx context.Context, endpoint string) (m snapshot.Metadata, pruned []string, err error)
	List(ctx context.Context) (snapshot.Listing, error)
	// Fetch writes snapshot m, verified and decoded, to dbFile.
	Fetch(ctx context.Context, m snapshot.Metadata, dbFile string) error
	String() string
}

// snapshotter paces the periodic snapshots; its fields are shared between
// the supervising goroutine and the one taking a snapshot.
type snapshotter struct {
	mu      sync.Mutex
	next    time.Time
	running bool
}

// snapshotRetry is how soon a failed periodic snapshot is tried again;
// snapshotTimeout the least time one may take (the interval, if longer).
const (
	snapshotRetry   = time.Minute
	snapshotTimeout = 15 * time.Minute
)

// maybeSnapshot is the periodic snapshotter, called on every healthy round:
// the member that leads takes a snapshot in the background when the newest
// at the destination is older than etcd.snapshots.interval (so one member
// takes each, and a new leader goes on with the same pace), then prunes to
// etcd.snapshots.retention. A failure is logged as an error and tried again
// later; etcd runs on regardless.
func (a *App) maybeSnapshot(ctx context.Context, st etcdclient.Status) {
	if a.Snapshots == nil || st.Leader == 0 || st.Leader != st.MemberID {
		return
	}
	s := &a.snapshots
	s.mu.Lock()
	defer s.mu.Unlock()
	now := a.Now()
	if s.running || now.Before(s.next) {
		return
	}
	s.running = true
	go func() {
		next := a.takeSnapshot(ctx, now)
		s.mu.Lock()
		s.next, s.running = next, false
		s.mu.Unlock()
	}()
}

// takeSnapshot takes one periodic snapshot if one is due and says when to
// look again.
func (a *App) takeSnapshot(ctx context.Context, now time.Time) time.Time {
	interval := a.cfg.Etcd.Snapshots.IntervalDuration()
	retry := now.Add(min(interval, snapshotRetry))
	l, err := a.Snapshots.List(ctx)
	if err != nil {
		if ctx.Err() == nil {
			a.log.Error("periodic snapshot failed: cannot list the destination; etcd runs on, trying again", "destination", a.Snapshots.String(), "error", err.Error(), "retry_in", retry.Sub(now).String())
		}
		return retry
	}
	if len(l.Snapshots) > 0 {
		if due := l.Snapshots[0].Created.Add(interval); now.Before(due) {
			return due
		}
	}
	// A stalled upload must not hold the snapshotter up for good.
	takeCtx, cancel := context.WithTimeout(ctx, max(interval, snapshotTimeout))
	defer cancel()
	m, pruned, err := a.Snapshots.Take(takeCtx, a.localURL())
	if m.Name != "" {
		a.log.Info("took a periodic snapshot", "snapshot", m.Name, "destination", a.Snapshots.String(), "revision", m.Revision, "size", m.Size,
			"gzip", m.Gzip, "encrypted", m.Encrypted, "pruned", pruned)
	}
	if err != nil {
		if ctx.Err() == nil {
			a.log.Error("periodic snapshot failed; etcd runs on, trying again", "destination", a.Snapshots.String(), "error", err.Error(), "retry_in", retry.Sub(now).String())
		}
		if m.Name == "" {
			return retry
		}
	}
	return now.Add(interval)
}
