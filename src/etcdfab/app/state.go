package app

import (
	"context"
	"sync"

	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/identity"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/status"
)

// state is what this node's status endpoint reports: the phase start is in
// and the identity of the local data. start updates it; the endpoint reads
// it, adding the leader its etcd follows while etcd runs.
type state struct {
	mu      sync.Mutex
	report  status.Report
	running bool // etcd was launched and has not exited
	lastLog string
}

func (a *App) setVoters(n int) {
	a.state.mu.Lock()
	defer a.state.mu.Unlock()
	a.state.report.Voters = n
}

// setPhase records a new phase and reports whether the reason differs
// from the last one logged, so waiting loops log each new reason once.
func (a *App) setPhase(phase status.Phase, message string) (changed bool) {
	a.state.mu.Lock()
	defer a.state.mu.Unlock()
	a.state.report.Phase, a.state.report.Message = phase, message
	changed = a.state.lastLog != string(phase)+message
	a.state.lastLog = string(phase) + message
	return changed
}

// setIdentity records which data this node holds.
func (a *App) setIdentity(local identity.Local) {
	a.state.mu.Lock()
	defer a.state.mu.Unlock()
	a.state.report.HasData = local.HasData
	a.state.report.ClusterID, a.state.report.MemberID = local.ClusterID, local.MemberID
}

// setRunning records that etcd runs (or stopped) on this node; a running
// etcd holds data, of a cluster that may not be known yet.
func (a *App) setRunning(running bool) {
	a.state.mu.Lock()
	defer a.state.mu.Unlock()
	a.state.running = running
	if running {
		a.state.report.HasData = true
	}
}

func (a *App) setProgress(p int64) {
	a.state.mu.Lock()
	defer a.state.mu.Unlock()
	a.state.report.Progress = p
}

// Report is this node's current status, for its status endpoint. While
// etcd does not run, whether it holds data is read from the disk at each
// request, so that no answer ever says "no data" of a disk that has some.
func (a *App) Report(ctx context.Context) status.Report {
	a.state.mu.Lock()
	r, running := a.state.report, a.state.running
	a.state.mu.Unlock()
	if !running {
		local, err := identity.Read(a.cfg.Etcd.DataDir)
		if err != nil {
			local = identity.Local{HasData: true} // unreadable data is still data
		}
		r.HasData, r.ClusterID, r.MemberID = local.HasData, local.ClusterID, local.MemberID
		if rec, ok, _ := identity.ReadRecord(a.cfg.Etcd.DataDir); ok && local.HasData && rec.MemberID == local.MemberID {
			r.Voters = rec.Voters
		}
		return r
	}
	_ = a.withCluster([]string{a.localURL()}, func(c Cluster) error {
		return a.callAt(ctx, a.localURL(), func(ctx context.Context) error {
			st, err := c.Status(ctx, a.localURL())
			if err == nil {
				r.ClusterID, r.MemberID, r.Leader = identity.ID(st.ClusterID), identity.ID(st.MemberID), identity.ID(st.Leader)
			}
			return err
		})
	})
	return r
}
