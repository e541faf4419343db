package etcdrelease_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// slowPreStop colocates the fixture release's logger job with etcd, with
// a pre-stop that takes the given seconds. BOSH runs the pre-stop of every
// job of a VM in parallel and waits for all of them before it drains, so
// the etcd job stays monitored by monit that long: what a colocated job
// that drains its clients in pre-stop does on a real deployment.
func slowPreStop(seconds int) string {
	return replaceOp("/releases/-", map[string]any{"name": "lbfixture", "version": "latest"}) +
		replaceOp("/instance_groups/name=etcd/jobs/-", map[string]any{
			"name": "logger", "release": "lbfixture",
			"consumes": map[string]any{"upstream": "nil"},
			"properties": map[string]any{"logger": map[string]any{
				"greeting": "a colocated job with a slow pre-stop", "pre_stop_sleep_seconds": seconds,
			}},
		})
}

// memberWatch records every member a cluster lists while it runs.
type memberWatch struct {
	stop chan struct{}
	done chan struct{}

	mu       sync.Mutex
	seen     map[uint64]string // id -> memberName, the last seen
	learners map[uint64]string // every member ever seen as a learner
}

// watchMembers polls the member list through c until stopped.
func watchMembers(c *clientv3.Client, every time.Duration) *memberWatch {
	w := &memberWatch{stop: make(chan struct{}), done: make(chan struct{}), seen: map[uint64]string{}, learners: map[uint64]string{}}
	go func() {
		defer close(w.done)
		for {
			if members, err := memberList(context.Background(), c); err == nil {
				w.mu.Lock()
				for _, m := range members {
					w.seen[m.ID] = memberName(m)
					if m.IsLearner {
						w.learners[m.ID] = memberName(m)
					}
				}
				w.mu.Unlock()
			}
			select {
			case <-w.stop:
				return
			case <-time.After(every):
			}
		}
	}()
	return w
}

// Stop ends the watch; it returns the members seen (id -> description)
// and those seen as learners.
func (w *memberWatch) Stop() (seen, learners map[uint64]string) {
	close(w.stop)
	<-w.done
	w.mu.Lock()
	defer w.mu.Unlock()
	return maps.Clone(w.seen), maps.Clone(w.learners)
}

// Issue 7, item 4: leaving happens only when the instance is really
// deleted, and never while monit still watches (BOSH runs pre-stop before
// the agent's drain unmonitors the jobs).
var _ = Describe("scale down while monit watches pre-stop", Label("issue-7"), Ordered, ContinueOnFailure, func() {
	const keys = "before-scale-down"
	dep := scenarioDeployment("etcd-scale-down", withKeys(keys, 50),
		slowPreStop(8), etcdProperty("start_timeout_in_seconds", 30), watchTimes("1000-60000"))

	It("scales 3 -> 1: the deleted members leave once, nothing is re-added, and the data stays", func(ctx SpecContext) {
		c := etcdClient(dep.endpoints(ctx)[:1])
		before := memberIDs(ctx, c)
		Expect(before).To(HaveLen(3))

		By("watching the member list through etcd/0 while the scale down deletes etcd/2, then etcd/1")
		watch := watchMembers(c, 200*time.Millisecond)
		run := dep.tryDeploy(ctx, instanceCount(1))
		seen, learners := watch.Stop()

		var readded []string
		for id, desc := range seen {
			if !slices.Contains(slices.Collect(maps.Values(before)), id) {
				readded = append(readded, fmt.Sprintf("%x %s", id, desc))
			}
		}
		Expect(readded).To(BeEmpty(), "members added while instances were being deleted (a removed member that monit restarted and that joined again)")
		Expect(learners).To(BeEmpty(), "learners seen during the scale down")
		Expect(run.Err()).NotTo(HaveOccurred())
		Expect(run.Started("Deleting unneeded instances")).To(ConsistOf(ContainSubstring("(2)"), ContainSubstring("(1)")))

		By("finding exactly etcd-0 left, and every key")
		expectMembers(ctx, c, 30*time.Second, "etcd-0")
		Expect(memberIDs(ctx, c)).To(Equal(map[string]uint64{"etcd-0": before["etcd-0"]}))
		expectKeys(ctx, c, keys, 50)
	}, SpecTimeout(5*time.Minute))
})
