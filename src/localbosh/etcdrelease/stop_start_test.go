package etcdrelease_test

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/director"
)

// Issue 7, items 2 and 3: `bosh stop` then `bosh start` of the whole
// deployment. BOSH starts the instances one at a time, canary first, so
// the first ones start without quorum; and a bootstrap instance whose disk
// was lost must not form a new cluster while its peers are still stopped.
var _ = Describe("a whole deployment stopped and started", Label("issue-7"), Ordered, ContinueOnFailure, func() {
	const keys = "before-stop"
	// Bounded so that a start that cannot succeed fails in about 30 s.
	dep := scenarioDeployment("etcd-stop-start", withKeys(keys, 50),
		etcdProperty("start_timeout_in_seconds", 30), watchTimes("1000-60000"))

	stopAll := func(ctx SpecContext) {
		GinkgoHelper()
		By("stopping every instance, as `localbosh -d etcd stop` does")
		run := dep.changeState(ctx, director.JobStopped)
		Expect(run.Err()).NotTo(HaveOccurred())
		for _, inst := range dep.instances(ctx) {
			Expect(inst.State).To(Equal("stopped"))
		}
	}

	startAll := func(ctx SpecContext) {
		GinkgoHelper()
		By("starting every instance, one at a time, as `localbosh -d etcd start` does")
		run := dep.changeState(ctx, director.JobStarted)
		Expect(run.Err()).NotTo(HaveOccurred())
		Expect(updatedInstances(run)).To(HaveLen(3))
	}

	It("starts again on its data after `stop`: the start task succeeds, the members are the same, the data is intact", func(ctx SpecContext) {
		c := dep.client(ctx)
		before := memberIDs(ctx, c)
		Expect(before).To(HaveLen(3))

		stopAll(ctx)
		startAll(ctx)

		By("finding the same three members, one cluster, and every key")
		expectMembers(ctx, c, time.Minute, "etcd-0", "etcd-1", "etcd-2")
		expectOneCluster(ctx, c, dep.endpoints(ctx))
		Expect(memberIDs(ctx, c)).To(Equal(before))
		expectKeys(ctx, c, keys, 50)
	}, SpecTimeout(5*time.Minute))

	It("serves every key again after etcd/0's disk was lost while the deployment was stopped", func(ctx SpecContext) {
		c := dep.client(ctx)
		ids, err := clusterIDs(ctx, c, dep.endpoints(ctx))
		Expect(err).NotTo(HaveOccurred())
		cluster := ids[dep.endpoints(ctx)[0]]

		stopAll(ctx)
		By("emptying etcd/0's persistent disk, as a lost disk replaced by a new one leaves it")
		Expect(bosh.EmptyDisk(ctx, dep.name, "etcd/0")).To(Succeed())
		startAll(ctx)

		By("reading every key written before the stop")
		expectKeys(ctx, c, keys, 50)
		By("finding etcd-0 a voting member again, of the cluster it was in")
		expectMembers(ctx, c, 2*time.Minute, "etcd-0", "etcd-1", "etcd-2")
		expectOneCluster(ctx, c, dep.endpoints(ctx))
		ids, err = clusterIDs(ctx, c, dep.endpoints(ctx))
		Expect(err).NotTo(HaveOccurred())
		for endpoint, id := range ids {
			Expect(id).To(Equal(cluster), "the cluster ID %s answers with", endpoint)
		}
	}, SpecTimeout(5*time.Minute))
})
