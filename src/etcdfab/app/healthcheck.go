package app

import (
	"context"
	"fmt"

	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/cluster"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/status"
)

// DNSHealthCheck is consul's check for this member's service entry, which
// makes <group>-<index>.<suffix> and the suffix resolve to it. It passes
// while the member starts or waits to start (etcd resolves its own
// advertised name when it starts), and while it runs with quorum; it fails
// when etcdfab does not run, refused to start, or the member lost its
// peers, so that clients using the names move away from it.
func (a *App) DNSHealthCheck(ctx context.Context) error {
	r, reach, err := a.peers.Fetch(ctx, a.cfg.StatusURL(a.cfg.SelfPeer()))
	if reach != cluster.Answered {
		return fmt.Errorf("etcdfab does not run on this instance: %w", err)
	}
	switch r.Phase {
	case status.Refused:
		return fmt.Errorf("etcdfab refused to start etcd: %s", r.Message)
	case status.Running:
		return a.withCluster([]string{a.localURL()}, func(c Cluster) error {
			if err := a.call(ctx, c.CheckQuorum); err != nil {
				return fmt.Errorf("member %s is cut off from its cluster: %w", a.cfg.MemberName(), err)
			}
			return nil
		})
	}
	return nil
}
