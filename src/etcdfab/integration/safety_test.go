package integration_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/config"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/identity"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/localcluster"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/status"
)

// Issue 7's scenarios with real etcd: each must end with no acknowledged
// write lost and never two clusters behind one group.

// startSerially starts nodes one after another as BOSH's canary-first
// update does: each node's post-start must return before the next starts.
func startSerially(c *localcluster.Cluster, cfgs ...config.Config) {
	GinkgoHelper()
	for _, cfg := range cfgs {
		By("starting " + cfg.MemberName() + " and running its post-start")
		Expect(c.StartAndWait(cfg)).To(Succeed())
	}
}

func putKeys(c *localcluster.Cluster, cfgs []config.Config, n int) {
	GinkgoHelper()
	cli := client(c.Endpoints(cfgs...), nil)
	for i := range n {
		put(cli, fmt.Sprintf("key-%02d", i), "v")
	}
}

func expectKeys(c *localcluster.Cluster, cfgs []config.Config, n int) {
	GinkgoHelper()
	cli := client(c.Endpoints(cfgs...), nil)
	resp, err := cli.Get(ctx(), "key-", clientv3WithPrefix())
	Expect(err).NotTo(HaveOccurred())
	Expect(resp.Kvs).To(HaveLen(n), "every acknowledged key is still there")
}

// clusterIDs is the set of cluster IDs the members report.
func clusterIDs(c *localcluster.Cluster, cfgs []config.Config) []uint64 {
	GinkgoHelper()
	var ids []uint64
	for _, cfg := range cfgs {
		resp, err := client(c.Endpoints(cfg), nil).MemberList(ctx())
		Expect(err).NotTo(HaveOccurred())
		if len(ids) == 0 || ids[len(ids)-1] != resp.Header.ClusterId {
			ids = append(ids, resp.Header.ClusterId)
		}
	}
	return ids
}

func report(c *localcluster.Cluster, cfg config.Config) func() (status.Report, error) {
	return func() (status.Report, error) { return c.Status(cfg) }
}

var _ = Describe("etcdfab keeps the data safe", func() {
	It("brings every key back when the bootstrap instance's disk was lost during a whole-cluster stop", func() {
		c := newCluster(nil)
		cfgs := configs(c, 3, 0, 1, 2)
		startAll(c, cfgs...)
		putKeys(c, cfgs, 50)
		before := clusterIDs(c, cfgs)

		By("stopping every member, then losing etcd-0's disk")
		for i := range 3 {
			Expect(c.Stop(i)).To(Succeed())
		}
		Expect(os.RemoveAll(filepath.Join(c.NodeDir(0), "store"))).To(Succeed())

		startSerially(c, cfgs...)
		Eventually(func() []string { v, _ := memberNames(client(c.Endpoints(cfgs...), nil)); return v }, "60s").
			Should(ConsistOf("etcd-0", "etcd-1", "etcd-2"))
		expectKeys(c, cfgs, 50)
		Expect(clusterIDs(c, cfgs)).To(Equal(before), "one cluster, the old one")
		Expect(localValue(c.Endpoints(cfgs[0])[0], nil, "key-49")).To(Equal("v"))
	})

	It("starts a stopped cluster one instance at a time, as BOSH does, with no member killed for lacking quorum", func() {
		c := newCluster(nil)
		cfgs := configs(c, 3, 0, 1, 2)
		startAll(c, cfgs...)
		putKeys(c, cfgs, 10)
		for i := range 3 {
			Expect(c.Stop(i)).To(Succeed())
		}
		start := time.Now()
		startSerially(c, cfgs...)
		GinkgoWriter.Printf("whole-cluster start, one instance at a time: %s\n", time.Since(start))
		for i := range 3 {
			Expect(c.Exited(i)).NotTo(BeClosed(), "etcdfab of node %d still runs", i)
			Expect(c.PostStart(i)).To(Succeed())
		}
		expectKeys(c, cfgs, 10)
	})

	It("forms a new cluster with new IDs after all data is gone, never the old ones", func() {
		c := newCluster(nil)
		cfg := c.Config(0, 1)
		startAll(c, cfg)
		first := clusterIDs(c, []config.Config{cfg})
		local, err := identity.Read(filepath.Join(c.NodeDir(0), "store"))
		Expect(err).NotTo(HaveOccurred())
		Expect(uint64(local.ClusterID)).To(Equal(first[0]), "the WAL names the cluster etcd reports")

		Expect(c.Stop(0)).To(Succeed())
		Expect(os.RemoveAll(filepath.Join(c.NodeDir(0), "store"))).To(Succeed())
		startAll(c, cfg)
		Expect(clusterIDs(c, []config.Config{cfg})).NotTo(Equal(first))
	})

	It("refuses data of another cluster than the one that answers, keeping it", func() {
		c := newCluster(nil)
		a := configs(c, 3, 0, 1, 2)
		startAll(c, a...)
		putKeys(c, a, 5)
		idA := clusterIDs(c, a)[0]
		for i := range 3 {
			Expect(c.Stop(i)).To(Succeed())
		}
		saved := filepath.Join(c.Dir(), "etcd-0-of-A")
		Expect(os.Rename(filepath.Join(c.NodeDir(0), "store"), saved)).To(Succeed())

		By("forming cluster B on etcd-1 and etcd-2 with fresh disks")
		b := []config.Config{
			c.Config(1, 3, func(cfg *config.Config) { cfg.Node.Bootstrap = true }),
			c.Config(2, 3),
		}
		for i := 1; i <= 2; i++ {
			Expect(os.RemoveAll(filepath.Join(c.NodeDir(i), "store"))).To(Succeed())
		}
		startAll(c, b...)
		idB := clusterIDs(c, b)[0]
		Expect(idB).NotTo(Equal(idA))

		By("starting etcd-0 on its data of cluster A")
		Expect(os.Rename(saved, filepath.Join(c.NodeDir(0), "store"))).To(Succeed())
		refused := c.Config(0, 3, func(cfg *config.Config) { cfg.Node.Bootstrap = false; cfg.Etcd.StartTimeoutSeconds = 5 })
		Expect(c.Start(refused)).To(Succeed())
		Eventually(report(c, refused), "20s").Should(HaveField("Phase", status.Refused))
		r, _ := c.Status(refused)
		Expect(r.Message).To(And(ContainSubstring(fmt.Sprintf("%x", idA)), ContainSubstring(fmt.Sprintf("%x", idB))))
		Expect(c.PostStart(0)).To(MatchError(ContainSubstring("refused to start")))

		local, err := identity.Read(filepath.Join(c.NodeDir(0), "store"))
		Expect(err).NotTo(HaveOccurred())
		Expect(uint64(local.ClusterID)).To(Equal(idA), "cluster A's data is still in place")
		voters, _ := memberNames(client(c.Endpoints(b...), nil))
		Expect(voters).To(ConsistOf("etcd-1", "etcd-2"))
	})

	It("does not form a cluster when the peers' answers fail TLS: a cluster may exist behind them", func() {
		tlsCerts, err := localcluster.NewTLS()
		Expect(err).NotTo(HaveOccurred())
		c := newCluster(tlsCerts)
		Expect(c.AddHosts(3)).To(Succeed())
		cfgs := configs(c, 3, 0, 1, 2)
		startAll(c, cfgs...)
		Expect(c.Stop(0)).To(Succeed())
		Expect(os.RemoveAll(filepath.Join(c.NodeDir(0), "store"))).To(Succeed())

		By("starting etcd-0 without data and with certificates of another CA")
		other, err := localcluster.NewTLS()
		Expect(err).NotTo(HaveOccurred())
		stranger := sibling(c, other)
		Expect(stranger.Start(cfgs[0])).To(Succeed())
		Consistently(func() bool { return hasData(c, 0) }, "8s").Should(BeFalse())
		r, err := stranger.Status(cfgs[0])
		Expect(err).NotTo(HaveOccurred())
		Expect(r.Phase).To(Equal(status.Waiting))
		voters, _ := memberNames(client(c.Endpoints(cfgs[1], cfgs[2]), tlsCerts))
		Expect(voters).To(ConsistOf("etcd-0", "etcd-1", "etcd-2"))
	})

	It("hands leadership over in pre-stop without leaving, and leaves in drain, once monit no longer watches", func() {
		c := newCluster(nil)
		cfgs := configs(c, 3, 0, 1, 2)
		startAll(c, cfgs...)
		cli := client(c.Endpoints(cfgs...), nil)
		Expect(c.PreStop(2, "delete", "keep")).To(Succeed())
		voters, _ := memberNames(cli)
		Expect(voters).To(ConsistOf("etcd-0", "etcd-1", "etcd-2"), "pre-stop runs while monit watches: nobody leaves yet")
		Expect(c.Exited(2)).NotTo(BeClosed())

		out, err := c.DrainWith(2, 0, 0)
		Expect(err).NotTo(HaveOccurred())
		Expect(out).To(Equal("0"))
		voters, _ = memberNames(cli)
		Expect(voters).To(ConsistOf("etcd-0", "etcd-1"), "a deleted instance without a disk leaves in drain")
	})

	It("stays a member when an instance without a persistent disk is drained for an update", func() {
		c := newCluster(nil)
		cfgs := configs(c, 3, 0, 1, 2)
		startAll(c, cfgs...)
		cli := client(c.Endpoints(cfgs...), nil)
		id := memberID(cli, "etcd-1")
		Expect(c.PreStop(1, "keep", "keep")).To(Succeed())
		out, err := c.DrainWith(1, 0, 0)
		Expect(err).NotTo(HaveOccurred())
		Expect(out).To(Equal("0"))
		Expect(c.Stop(1)).To(Succeed())
		startAll(c, cfgs[1])
		Expect(memberID(cli, "etcd-1")).To(Equal(id))
	})

	It("joins past a learner that nobody runs, removing it", func() {
		c := newCluster(nil)
		startAll(c, configs(c, 3, 0, 1, 2)...)
		cli := client(c.Endpoints(configs(c, 3, 0, 1, 2)...), nil)
		Eventually(func() error { // etcd refuses membership changes for 5 s after the last one
			_, err := cli.MemberAddAsLearner(ctx(), []string{"http://" + c.IP(9) + ":2380"})
			return err
		}, "20s", "500ms").Should(Succeed())

		startAll(c, c.Config(3, 4))
		voters, learners := memberNames(cli)
		Expect(voters).To(ConsistOf("etcd-0", "etcd-1", "etcd-2", "etcd-3"))
		Expect(learners).To(BeZero())
	})

	It("keeps a slow join's progress: a learner catching up on 100 MB with a start timeout shorter than the catch-up", func() {
		c := newCluster(nil)
		cfgs := configs(c, 3, 0, 1, 2)
		startAll(c, cfgs...)
		cli := client(c.Endpoints(cfgs...), nil)
		value := strings.Repeat("x", 1<<20)
		for i := range 100 {
			put(cli, fmt.Sprintf("big-%03d", i), value)
		}
		joiner := c.Config(3, 4, func(cfg *config.Config) { cfg.Etcd.StartTimeoutSeconds = 2 })
		start := time.Now()
		Expect(c.StartAndWait(joiner)).To(Succeed())
		GinkgoWriter.Printf("join of a member to a cluster holding 100 MB: %s\n", time.Since(start))
		voters, _ := memberNames(cli)
		Expect(voters).To(ContainElement("etcd-3"))
		Expect(localValue(c.Endpoints(joiner)[0], nil, "big-099")).To(HaveLen(1 << 20))
	})

	It("removes a member that no instance runs, once it has been down long enough", func() {
		c := newCluster(nil)
		quick := func(cfg *config.Config) { cfg.Etcd.RemoveStaleMembersAfterSeconds = 1 }
		cfgs := []config.Config{c.Config(0, 3, quick), c.Config(1, 3, quick), c.Config(2, 3, quick)}
		startAll(c, cfgs...)
		cli := client(c.Endpoints(cfgs...), nil)
		By("adding a member for an instance that is gone (as a deletion with --skip-drain leaves)")
		Eventually(func() error {
			_, err := cli.MemberAdd(ctx(), []string{"http://" + c.IP(9) + ":2380"})
			return err
		}, "20s", "500ms").Should(Succeed())
		Eventually(func() int { resp, _ := cli.MemberList(ctx()); return len(resp.Members) }, "60s", "1s").Should(Equal(3))
	})

	It("reports a split brain: instances of the group holding data of two clusters", func() {
		c := newCluster(nil)
		two := []config.Config{c.Config(0, 3), c.Config(1, 3)}
		startAll(c, two...)
		By("forming a second cluster on etcd-2 by hand")
		loner := c.Config(2, 3, func(cfg *config.Config) { cfg.Etcd.Cluster = cfg.Etcd.Cluster[2:]; cfg.Node.Bootstrap = true })
		startAll(c, loner)
		cfg := c.Config(0, 3, func(cfg *config.Config) { cfg.Etcd.ConsistencyCheckIntervalSeconds = 1 })
		Expect(os.WriteFile(c.ConfigPath(0), mustJSON(cfg), 0o600)).To(Succeed())
		err := c.CheckConsistency(0, 15*time.Second)
		Expect(err).To(MatchError(ContainSubstring("split brain")))
		Expect(err).To(MatchError(And(ContainSubstring("etcd-0, etcd-1"), ContainSubstring("etcd-2"))))

		By("finding no split in a healthy group")
		healthy := newCluster(nil)
		startAll(healthy, configs(healthy, 3, 0, 1, 2)...)
		Expect(healthy.CheckConsistency(0, 8*time.Second)).To(Succeed())
	})

	It("stops, drains and pre-stops whatever a failed deploy left in the rendered config", func() {
		c := newCluster(nil)
		cfgs := configs(c, 3, 0, 1, 2)
		startAll(c, cfgs...)
		Expect(os.WriteFile(c.ConfigPath(1), []byte(`{"node": {"name": "etcd", "index": 1}, "etcd": {"heartbeat_interval_in_milliseconds": "fast", "run_dir": "`+cfgs[1].Etcd.RunDir+`"}}`), 0o600)).To(Succeed())
		Expect(c.PreStop(1, "keep", "keep")).To(Succeed())
		out, err := c.Drain(1, 1024)
		Expect(err).NotTo(HaveOccurred())
		Expect(out).To(Equal("0"))
		Expect(c.Stop(1)).To(Succeed())
		Eventually(c.Exited(1), "30s").Should(BeClosed())
		Expect(hasData(c, 1)).To(BeTrue())
	})

	It("forms a cluster from etcd.machines given as <ip>:<port>, as the original release's manifests did", func() {
		c := newCluster(nil)
		var cfgs []config.Config
		for i := range 3 {
			cfgs = append(cfgs, c.Config(i, 3, func(cfg *config.Config) {
				cfg.Etcd.Cluster = nil
				cfg.Etcd.Machines = []string{c.IP(0) + ":4001", c.IP(1) + ":4001", c.IP(2) + ":4001"}
			}))
		}
		startAll(c, cfgs...)
		voters, _ := memberNames(client(c.Endpoints(cfgs...), nil))
		Expect(voters).To(ConsistOf("etcd-0", "etcd-1", "etcd-2"))
	})
})

var _ = Describe("the etcdfab binary", func() {
	It("names every command in its usage", func() {
		out, _ := exec.Command(etcdfabPath).CombinedOutput()
		Expect(string(out)).To(And(ContainSubstring("consistency-checker"), ContainSubstring("post-start")))
	})
})
