package etcdrelease_test

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/localcluster"
)

// Issue 7, item 4: a group without a persistent disk is told
// {"persistent_disk":0} by drain on every update, now and next; only a
// deletion is a reason to leave.
var _ = Describe("a rolling update of a group without a persistent disk", Label("issue-7"), Ordered, ContinueOnFailure, func() {
	const keys = "before-update"
	dep := scenarioDeployment("etcd-no-disk", func(ctx SpecContext, d *etcdDeployment) {
		withKeys(keys, 50)(ctx, d)
		for _, inst := range d.instances(ctx) {
			Expect(inst.DiskCID).To(BeNil(), "etcd/%d has no persistent disk", inst.Index)
		}
	}, `
- type: remove
  path: /instance_groups/name=etcd/persistent_disk_type
`, etcdProperty("start_timeout_in_seconds", 60), watchTimes("1000-60000"))

	It("keeps every member, by ID, and the data through a property change", func(ctx SpecContext) {
		c := dep.client(ctx)
		before := memberIDs(ctx, c)
		Expect(before).To(HaveLen(3))

		By("changing a property, which updates every instance in turn, under a continuous writer")
		w := localcluster.StartWriter(c, "rolling-no-disk", 20*time.Millisecond, 2*time.Second)
		run := dep.deploy(ctx, etcdProperty("heartbeat_interval_in_milliseconds", 60))
		stats := w.Stop()
		Expect(updatedInstances(run)).To(HaveLen(3))

		By("finding the same members, by ID, every key, and no acknowledged write lost")
		expectMembers(ctx, c, time.Minute, "etcd-0", "etcd-1", "etcd-2")
		Expect(memberIDs(ctx, c)).To(Equal(before), "member IDs before and after the update")
		expectKeys(ctx, c, keys, 50)
		lost, err := w.Lost(ctx, c, stats.Acked)
		Expect(err).NotTo(HaveOccurred())
		Expect(lost).To(BeEmpty())
	}, SpecTimeout(5*time.Minute))
})
