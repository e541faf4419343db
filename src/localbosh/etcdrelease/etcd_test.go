package etcdrelease_test

import (
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/localcluster"
)

// plain is the bosh-lite manifest's own deployment, "etcd".
var plain = &etcdDeployment{name: "etcd"}

var _ = Describe("the etcd release on localbosh", Ordered, func() {
	AfterAll(func(ctx SpecContext) {
		run, err := bosh.DeleteDeployment(ctx, "etcd", true)
		if err == nil {
			Expect(run.Err()).NotTo(HaveOccurred())
		}
	})

	It("deploys a three-member cluster from manifests/bosh-lite", func(ctx SpecContext) {
		run := plain.deploy(ctx)
		Expect(run.Started("Updating instance")).To(HaveLen(3))
		Expect(run.Started("Updating instance")[0]).To(HaveSuffix("(canary)"))

		c := plain.client(ctx)
		Expect(voters(ctx, c)).To(Equal([]string{"etcd-0", "etcd-1", "etcd-2"}))
		_, err := c.Put(ctx, "deployed", "yes")
		Expect(err).NotTo(HaveOccurred())

		By("redeploying the same manifest, which touches no instance")
		Expect(plain.deploy(ctx).Started("Updating instance")).To(BeEmpty())
	}, SpecTimeout(10*time.Minute))

	It("rolls a property change through every member, one at a time, losing no acknowledged write", func(ctx SpecContext) {
		c := plain.client(ctx)
		w := localcluster.StartWriter(c, "rolling", 20*time.Millisecond, 2*time.Second)
		run := plain.deploy(ctx, `
- type: replace
  path: /instance_groups/name=etcd/jobs/name=etcd/properties/etcd/heartbeat_interval_in_milliseconds?
  value: 60
`)
		stats := w.Stop()
		GinkgoWriter.Printf("rolling property change: %d writes attempted, %d failed\n", stats.Attempted, stats.Failed)
		Expect(run.Started("Updating instance")).To(HaveLen(3))

		lost, err := w.Lost(ctx, c, stats.Acked)
		Expect(err).NotTo(HaveOccurred())
		Expect(lost).To(BeEmpty())

		config, err := bosh.ReadFile(ctx, "etcd", "etcd/2", "/var/vcap/jobs/etcd/config/etcdfab.json")
		Expect(err).NotTo(HaveOccurred())
		Expect(string(config)).To(ContainSubstring(`"heartbeat_interval_in_milliseconds": 60`))
	}, SpecTimeout(10*time.Minute))

	It("scales 3 -> 5 -> 3, keeping the data and removing the deleted members", func(ctx SpecContext) {
		ops := `
- type: replace
  path: /instance_groups/name=etcd/jobs/name=etcd/properties/etcd/heartbeat_interval_in_milliseconds?
  value: 60
`
		plain.deploy(ctx, ops+`
- type: replace
  path: /instance_groups/name=etcd/instances
  value: 5
`)
		c := plain.client(ctx)
		Expect(voters(ctx, c)).To(Equal([]string{"etcd-0", "etcd-1", "etcd-2", "etcd-3", "etcd-4"}))
		resp, err := c.Get(ctx, "deployed", clientv3.WithSerializable())
		Expect(err).NotTo(HaveOccurred())
		Expect(resp.Kvs).To(HaveLen(1))

		By("scaling back to three, which deletes the two highest indexes")
		run := plain.deploy(ctx, ops)
		deleted := run.Started("Deleting unneeded instances")
		Expect(deleted).To(HaveLen(2))
		Expect(strings.Join(deleted, " ")).To(And(ContainSubstring("(4)"), ContainSubstring("(3)")))
		c = plain.client(ctx)
		Expect(voters(ctx, c)).To(Equal([]string{"etcd-0", "etcd-1", "etcd-2"}))
		resp, err = c.Get(ctx, "deployed")
		Expect(err).NotTo(HaveOccurred())
		Expect(resp.Kvs).To(HaveLen(1))
	}, SpecTimeout(10*time.Minute))

	It("deletes the deployment and its VMs", func(ctx SpecContext) {
		run, err := bosh.DeleteDeployment(ctx, "etcd", false)
		Expect(err).NotTo(HaveOccurred())
		Expect(run.Err()).NotTo(HaveOccurred())
		cids, err := bosh.VMs().List()
		Expect(err).NotTo(HaveOccurred())
		Expect(cids).To(BeEmpty())
		_, err = bosh.Client().Deployment(ctx, "etcd")
		Expect(err).To(HaveOccurred())
	}, SpecTimeout(5*time.Minute))
})
