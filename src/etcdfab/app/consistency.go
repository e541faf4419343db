package app

import (
	"context"
	"sync"
	"time"

	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/cluster"
)

// splitChecks is how many checks in a row must see a split before it is
// reported: an election makes members follow different leaders for a
// moment.
const splitChecks = 2

// CheckConsistency asks every instance of the group, every interval, which
// cluster it holds data of and which leader it follows, as the original
// release's consistency checker did. It calls ready once the group is
// consistent (the ctl script's pid file: monit sees the checker running
// only then) and returns the split when one persists, so that the job fails
// in monit and `bosh instances` shows it. It returns nil when ctx ends.
func (a *App) CheckConsistency(ctx context.Context, ready func() error) error {
	failures := 0
	for isReady := false; ; {
		err := cluster.CheckConsistency(a.withEtcdAnswers(ctx, a.survey(ctx)))
		switch {
		case err == nil:
			failures = 0
			if !isReady {
				if rerr := ready(); rerr != nil {
					return rerr
				}
				isReady = true
			}
		case ctx.Err() == nil:
			failures++
			a.log.Warn("instances disagree", "error", err.Error(), "checks", failures)
			if failures >= splitChecks {
				return err
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(a.cfg.ConsistencyCheckInterval()):
		}
	}
}

// withEtcdAnswers asks the etcd at every instance's client URL for its
// status, which says for certain which cluster answers there: an etcd run
// by hand, or left over, answers clients at an instance's address while
// that instance's etcdfab is stopped, and clients reach it.
func (a *App) withEtcdAnswers(ctx context.Context, instances []cluster.Instance) []cluster.Instance {
	group := a.cfg.Group()
	var wg sync.WaitGroup
	for i, p := range group {
		wg.Add(1)
		go func() {
			defer wg.Done()
			endpoint := a.cfg.PeerClientURL(p)
			_ = a.withCluster([]string{endpoint}, func(c Cluster) error {
				return a.callAt(ctx, endpoint, func(ctx context.Context) error {
					st, err := c.Status(ctx, endpoint)
					if err == nil {
						instances[i] = cluster.Instance{Name: p.Name, Reach: cluster.Answered, HasData: true,
							ClusterID: st.ClusterID, MemberID: st.MemberID, Leader: st.Leader}
					}
					return err
				})
			})
		}()
	}
	wg.Wait()
	return instances
}
