package app

import (
	"context"
	"sync"
	"time"

	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/defrag"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/etcdclient"
)

// defragSchedule is the state of scheduled defragmentation: when this
// node's etcdfab last saw itself leader without a run due, and whether a
// run is going on.
type defragSchedule struct {
	mu      sync.Mutex
	since   time.Time // start of the current wait; zero while not leader
	running bool
}

// scheduleDefrag starts a whole-cluster defragmentation in the background
// when etcd.defrag.interval is set, this member leads, and it has led for
// an interval since the last run (or since it became leader). Only the
// leader's etcdfab runs one, so runs do not overlap across the cluster; a
// leader that changes hands resets the wait. A run refuses when the
// cluster is not fully healthy, and it never disarms alarms.
func (a *App) scheduleDefrag(ctx context.Context, st etcdclient.Status) {
	interval := a.cfg.DefragInterval()
	if interval <= 0 || a.Defrag == nil {
		return
	}
	s := &a.defrags
	s.mu.Lock()
	defer s.mu.Unlock()
	if st.Leader != st.MemberID {
		s.since = time.Time{}
		return
	}
	now := a.Now()
	if s.since.IsZero() {
		s.since = now
		return
	}
	if s.running || now.Sub(s.since) < interval {
		return
	}
	s.running = true
	go func() {
		a.log.Info("scheduled defragmentation starting", "interval", interval.String(), "min_free_ratio", a.cfg.Etcd.Defrag.MinFreeRatio)
		outcomes, err := a.Defrag(ctx)
		if err == nil {
			err = defrag.Complete(outcomes)
		}
		if err != nil {
			a.log.Warn("scheduled defragmentation did not defragment every member", "error", err.Error())
		} else {
			a.log.Info("scheduled defragmentation done", "members", len(outcomes))
		}
		s.mu.Lock()
		s.running, s.since = false, a.Now()
		s.mu.Unlock()
	}()
}
