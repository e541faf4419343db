package etcdrelease_test

import (
	"fmt"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// Issue 7, item 5: a learner left by a join that died must not block
// joins forever.
var _ = Describe("a join while an orphan learner is in the cluster", Label("issue-7"), Ordered, ContinueOnFailure, func() {
	const keys = "before-join"
	dep := scenarioDeployment("etcd-orphan-learner", withKeys(keys, 20),
		etcdProperty("start_timeout_in_seconds", 30), watchTimes("1000-60000"))

	It("joins a fourth member in bounded time, and the orphan learner goes", func(ctx SpecContext) {
		c := dep.client(ctx)
		// Reserved in the cloud config: no instance ever has it.
		orphanURL := "http://" + bosh.Network().Gateway.Next().String() + ":2380"
		By("adding a learner by hand whose peer URL no instance has, as a join that died leaves one")
		var orphan uint64
		// etcd refuses the add while the member asked has not been connected
		// to every peer for 5 s (--strict-reconfig-check).
		Eventually(ctx, func() error {
			add, cancel := call(ctx)
			defer cancel()
			resp, err := c.MemberAddAsLearner(add, []string{orphanURL})
			if err == nil {
				orphan = resp.Member.ID
			}
			return err
		}).WithTimeout(30 * time.Second).WithPolling(time.Second).Should(Succeed())

		By("scaling 3 -> 4")
		started := time.Now()
		run := dep.tryDeploy(ctx, instanceCount(4))
		took := time.Since(started)
		Expect(run.Err()).NotTo(HaveOccurred())
		// The etcd link changes, so every instance is updated, the new one last.
		Expect(updatedInstances(run)).To(HaveLen(4))
		Expect(updatedInstances(run)[3]).To(ContainSubstring("(3)"))
		Expect(took).To(BeNumerically("<", 3*time.Minute))

		By("finding the four members, and the orphan gone")
		expectMembers(ctx, c, 2*time.Minute, "etcd-0", "etcd-1", "etcd-2", "etcd-3")
		Expect(memberIDs(ctx, c)).NotTo(ContainElement(orphan))
		expectKeys(ctx, c, keys, 20)
	}, SpecTimeout(6*time.Minute))
})

// bigJoinTimeout is etcd.start_timeout_in_seconds of the 100 MB join:
// shorter than the catch-up.
const bigJoinTimeout = 3

// Issue 7, item 6: a slow join keeps its progress; catching up a large
// database may take longer than the start timeout.
var _ = Describe("a join that takes longer than the start timeout", Label("issue-7"), Ordered, ContinueOnFailure, func() {
	const bulk, values = "bulk", 100
	dep := scenarioDeployment("etcd-big-join", func(ctx SpecContext, d *etcdDeployment) {
		// Three members join one another with a usual timeout first; then
		// they restart, on little data, with the short one.
		d.deploy(ctx, etcdProperty("start_timeout_in_seconds", 30))
		d.deploy(ctx)
		By(fmt.Sprintf("writing %d values of 1 MB", values))
		c := d.client(ctx)
		value := strings.Repeat("x", 1<<20) // under etcd's 1.5 MB request limit
		for i := range values {
			put, cancel := call(ctx)
			_, err := c.Put(put, fmt.Sprintf("%s-%03d", bulk, i), value)
			cancel()
			Expect(err).NotTo(HaveOccurred())
		}
	}, etcdProperty("start_timeout_in_seconds", bigJoinTimeout), watchTimes("1000-60000"))

	It("joins a fourth member to a cluster holding 100 MB: it is promoted and holds the data", func(ctx SpecContext) {
		run := dep.tryDeploy(ctx, instanceCount(4))
		Expect(run.Err()).NotTo(HaveOccurred())
		Expect(updatedInstances(run)).To(HaveLen(4))

		c := dep.client(ctx)
		expectMembers(ctx, c, 2*time.Minute, "etcd-0", "etcd-1", "etcd-2", "etcd-3")
		By("reading the data from etcd/3's own store")
		joined := etcdClient(dep.endpoints(ctx)[3:4])
		get, cancel := call(ctx)
		defer cancel()
		resp, err := joined.Get(get, bulk+"-", clientv3.WithPrefix(), clientv3.WithCountOnly(), clientv3.WithSerializable())
		Expect(err).NotTo(HaveOccurred())
		Expect(resp.Count).To(BeEquivalentTo(values))
		st, err := joined.Status(get, dep.endpoints(ctx)[3])
		Expect(err).NotTo(HaveOccurred())
		Expect(st.DbSize).To(BeNumerically(">=", values<<20))
	}, SpecTimeout(6*time.Minute))
})
