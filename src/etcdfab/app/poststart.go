package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/cluster"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/status"
)

// awaitGrace is how long the cluster must have waited for instances not
// started before post-start lets BOSH go on: instances that BOSH starts
// together come up within it, and then the member is healthy instead.
const awaitGrace = 5 * time.Second

// PostStart waits until this node's etcd is healthy as supervise leaves
// it: a voting member of a cluster with quorum, advertising its configured
// peer URL. BOSH's post-start waits for this before the next instance
// updates. Two exceptions end the wait early:
//   - the instances that run cannot form a quorum without instances BOSH
//     has not started yet (a whole-cluster start, or a first deploy, under
//     BOSH's one-at-a-time update): this node counts as started so that
//     BOSH goes on to start the rest;
//   - start refused to run etcd (data of another cluster): that fails.
//
// A join waits as long as it goes on (it gives up by itself when its
// learner receives no data for the start timeout); anything else that does
// not become healthy within the start timeout fails.
func (a *App) PostStart(ctx context.Context) error {
	deadline := a.Now().Add(a.cfg.StartTimeout())
	var awaitingSince time.Time
	local, err := a.dial([]string{a.localURL()})
	if err != nil {
		return err
	}
	defer local.Close()
	for {
		_, _, err := a.healthRound(ctx, local, nil)
		if err == nil {
			a.log.Info("member is healthy and the cluster has quorum", "member", a.cfg.MemberName())
			return nil
		}
		self, reach, ferr := a.peers.Fetch(ctx, a.cfg.StatusURL(a.cfg.SelfPeer()))
		switch {
		case reach != cluster.Answered:
			err = fmt.Errorf("%w (and etcdfab start does not answer: %v)", err, ferr)
		case self.Phase == status.Refused:
			return fmt.Errorf("etcd member %s refused to start: %s", a.cfg.MemberName(), self.Message)
		case self.Phase == status.Joining:
			// A join gives up by itself once it waits for its add, or its
			// learner receives nothing, for the start timeout; while it goes
			// on, so does the wait.
			deadline = a.Now().Add(a.cfg.StartTimeout())
		case self.Phase == status.Waiting || self.Phase == status.Starting:
			awaits, why := cluster.AwaitsUnstarted(a.survey(ctx))
			switch {
			case !awaits:
				awaitingSince = time.Time{}
			case awaitingSince.IsZero():
				awaitingSince = a.Now()
			case a.Now().Sub(awaitingSince) >= awaitGrace:
				a.log.Info("member counts as started: its cluster waits for instances not started yet", "member", a.cfg.MemberName(), "reason", why)
				return nil
			}
			if self.Message != "" {
				err = fmt.Errorf("%w (%s)", err, self.Message)
			}
		}
		if a.Now().After(deadline) {
			return fmt.Errorf("etcd member %s at %s is not healthy after %s (etcd.start_timeout_in_seconds): %w",
				a.cfg.MemberName(), a.localURL(), a.cfg.StartTimeout(), err)
		}
		if serr := a.sleep(ctx); serr != nil {
			return errors.Join(serr, err)
		}
	}
}
