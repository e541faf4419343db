package etcdrelease_test

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/cloudfoundry-incubator/etcd-release/src/director"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/localcluster"
	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/testdirector"
)

// manifest is manifests/bosh-lite/etcd.yml with ops applied.
func manifest(ops string) []byte {
	GinkgoHelper()
	out, err := testdirector.Manifest(filepath.Join(repo, "manifests", "bosh-lite", "etcd.yml"), ops, "")
	Expect(err).NotTo(HaveOccurred())
	return out
}

func deploy(ctx context.Context, ops string) testdirector.TaskRun {
	GinkgoHelper()
	run, err := bosh.Deploy(ctx, manifest(ops), director.DeployOptions{})
	Expect(err).NotTo(HaveOccurred())
	Expect(run.Err()).NotTo(HaveOccurred())
	return run
}

// endpoints are the client URLs of the deployment's instances.
func endpoints(ctx context.Context) []string {
	GinkgoHelper()
	instances, err := bosh.Client().Instances(ctx, "etcd")
	Expect(err).NotTo(HaveOccurred())
	var urls []string
	for _, inst := range instances {
		urls = append(urls, "http://"+inst.IPs[0]+":2379")
	}
	return urls
}

func etcdClient(urls []string) *clientv3.Client {
	GinkgoHelper()
	c, err := clientv3.New(clientv3.Config{Endpoints: urls, DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(c.Close)
	return c
}

// voters lists the voting members' names, sorted.
func voters(ctx context.Context, c *clientv3.Client) []string {
	GinkgoHelper()
	resp, err := c.MemberList(ctx)
	Expect(err).NotTo(HaveOccurred())
	var names []string
	for _, m := range resp.Members {
		if !m.IsLearner {
			names = append(names, m.Name)
		}
	}
	slices.Sort(names)
	return names
}

var _ = Describe("the etcd release on localbosh", Ordered, func() {
	AfterAll(func(ctx SpecContext) {
		run, err := bosh.DeleteDeployment(ctx, "etcd", true)
		if err == nil {
			Expect(run.Err()).NotTo(HaveOccurred())
		}
	})

	It("deploys a three-member cluster from manifests/bosh-lite", func(ctx SpecContext) {
		run := deploy(ctx, "")
		Expect(run.Started("Updating instance")).To(HaveLen(3))
		Expect(run.Started("Updating instance")[0]).To(HaveSuffix("(canary)"))

		c := etcdClient(endpoints(ctx))
		Expect(voters(ctx, c)).To(Equal([]string{"etcd-0", "etcd-1", "etcd-2"}))
		_, err := c.Put(ctx, "deployed", "yes")
		Expect(err).NotTo(HaveOccurred())

		By("redeploying the same manifest, which touches no instance")
		Expect(deploy(ctx, "").Started("Updating instance")).To(BeEmpty())
	}, SpecTimeout(10*time.Minute))

	It("rolls a property change through every member, one at a time, losing no acknowledged write", func(ctx SpecContext) {
		c := etcdClient(endpoints(ctx))
		w := localcluster.StartWriter(c, "rolling", 20*time.Millisecond, 2*time.Second)
		run := deploy(ctx, `
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
		deploy(ctx, ops+`
- type: replace
  path: /instance_groups/name=etcd/instances
  value: 5
`)
		c := etcdClient(endpoints(ctx))
		Expect(voters(ctx, c)).To(Equal([]string{"etcd-0", "etcd-1", "etcd-2", "etcd-3", "etcd-4"}))
		resp, err := c.Get(ctx, "deployed", clientv3.WithSerializable())
		Expect(err).NotTo(HaveOccurred())
		Expect(resp.Kvs).To(HaveLen(1))

		By("scaling back to three, which deletes the two highest indexes")
		run := deploy(ctx, ops)
		deleted := run.Started("Deleting unneeded instances")
		Expect(deleted).To(HaveLen(2))
		Expect(strings.Join(deleted, " ")).To(And(ContainSubstring("(4)"), ContainSubstring("(3)")))
		c = etcdClient(endpoints(ctx))
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
