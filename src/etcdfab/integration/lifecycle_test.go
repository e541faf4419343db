package integration_test

import (
	"net"
	"os"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/config"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/status"
)

var _ = Describe("etcdfab with real etcd", func() {
	It("bootstraps a one-node cluster", func() {
		c := newCluster(nil)
		cfg := c.Config(0, 1)
		startAll(c, cfg)

		cli := client(c.Endpoints(cfg), nil)
		put(cli, "greeting", "hello")
		voters, learners := memberNames(cli)
		Expect(voters).To(ConsistOf("etcd-0"))
		Expect(learners).To(BeZero())
		Expect(hasData(c, 0)).To(BeTrue())
	})

	It("forms one three-node cluster when all nodes start at once", func() {
		c := newCluster(nil)
		cfgs := configs(c, 3, 0, 1, 2)
		startAll(c, cfgs...)

		By("every node reporting the same three members")
		for _, cfg := range cfgs {
			voters, learners := memberNames(client(c.Endpoints(cfg), nil))
			Expect(voters).To(ConsistOf("etcd-0", "etcd-1", "etcd-2"))
			Expect(learners).To(BeZero())
		}
		put(client(c.Endpoints(cfgs...), nil), "k", "v")
		Expect(localValue(c.Endpoints(cfgs[2])[0], nil, "k")).To(Equal("v"))
	})

	It("never forms a cluster from a non-bootstrap node that finds no peer; it waits, saying why", func() {
		c := newCluster(nil)
		cfg := c.Config(1, 3)
		Expect(c.Start(cfg)).To(Succeed())
		Eventually(report(c, cfg), "20s").Should(HaveField("Phase", status.Waiting))
		Consistently(func() bool { return hasData(c, 1) }, "3s").Should(BeFalse())
		r, err := c.Status(cfg)
		Expect(err).NotTo(HaveOccurred())
		Expect(r.Message).To(ContainSubstring("not the bootstrap instance"))
		Expect(c.Exited(1)).NotTo(BeClosed(), "a waiting member counts as started")
	})

	It("scales 3 -> 5 with concurrent joins and 5 -> 3 by deleting instances, keeping the data", func() {
		c := newCluster(nil)
		startAll(c, configs(c, 3, 0, 1, 2)...)
		cli := client(c.Endpoints(configs(c, 3, 0, 1, 2)...), nil)
		put(cli, "before-scale", "kept")

		By("starting two new instances at once (max_in_flight 2)")
		startAll(c, configs(c, 5, 3, 4)...)
		voters, learners := memberNames(cli)
		Expect(voters).To(ConsistOf("etcd-0", "etcd-1", "etcd-2", "etcd-3", "etcd-4"))
		Expect(learners).To(BeZero())
		Expect(localValue(c.Endpoints(c.Config(4, 5))[0], nil, "before-scale")).To(Equal("kept"))

		By("deleting the two highest instances as BOSH does on scale down")
		Expect(c.Delete(4)).To(Succeed())
		Expect(c.Delete(3)).To(Succeed())
		voters, _ = memberNames(cli)
		Expect(voters).To(ConsistOf("etcd-0", "etcd-1", "etcd-2"))
		resp, err := cli.Get(ctx(), "before-scale")
		Expect(err).NotTo(HaveOccurred())
		Expect(resp.Kvs).To(HaveLen(1))
	})

	It("refuses to leave when the remaining members could not form a quorum", func() {
		c := newCluster(nil)
		cfgs := configs(c, 3, 0, 1, 2)
		startAll(c, cfgs...)

		By("stopping one member, then deleting another")
		Expect(c.Stop(2)).To(Succeed())
		err := c.PreStop(1, "delete", "keep")
		Expect(err).To(MatchError(ContainSubstring("quorum needs 2")))
		Expect(err).To(MatchError(ContainSubstring("etcd-2")))

		voters, _ := memberNames(client(c.Endpoints(cfgs[0]), nil))
		Expect(voters).To(ConsistOf("etcd-0", "etcd-1", "etcd-2"))
	})

	It("lets the last member stop without removing it", func() {
		c := newCluster(nil)
		cfg := c.Config(0, 1)
		startAll(c, cfg)
		cli := client(c.Endpoints(cfg), nil)
		Expect(c.PreStop(0, "delete", "keep")).To(Succeed())
		out, err := c.Drain(0, 0)
		Expect(err).NotTo(HaveOccurred())
		Expect(out).To(Equal("0"))
		voters, _ := memberNames(cli)
		Expect(voters).To(ConsistOf("etcd-0"), "the last member is not removed")
		Expect(c.Stop(0)).To(Succeed())
		Expect(hasData(c, 0)).To(BeTrue())
	})

	It("does not leave on drain when the disk stays, and prints 0", func() {
		c := newCluster(nil)
		cfgs := configs(c, 3, 0, 1, 2)
		startAll(c, cfgs...)
		out, err := c.Drain(2, 1024)
		Expect(err).NotTo(HaveOccurred())
		Expect(out).To(Equal("0"))
		voters, _ := memberNames(client(c.Endpoints(cfgs[0]), nil))
		Expect(voters).To(HaveLen(3))
	})

	It("does not remove members one by one when the whole deployment is deleted", func() {
		c := newCluster(nil)
		cfgs := configs(c, 3, 0, 1, 2)
		startAll(c, cfgs...)
		for i := range 3 {
			Expect(c.PreStop(i, "delete", "delete")).To(Succeed())
			out, err := c.Drain(i, 0)
			Expect(err).NotTo(HaveOccurred())
			Expect(out).To(Equal("0"))
		}
		voters, _ := memberNames(client(c.Endpoints(cfgs...), nil))
		Expect(voters).To(HaveLen(3))
	})

	It("restarts on its data after a graceful stop, as the same member", func() {
		c := newCluster(nil)
		cfgs := configs(c, 3, 0, 1, 2)
		startAll(c, cfgs...)
		cli := client(c.Endpoints(cfgs...), nil)
		id := memberID(cli, "etcd-0")
		put(cli, "k", "v")

		Expect(c.Stop(0)).To(Succeed())
		Expect(hasData(c, 0)).To(BeTrue())
		put(cli, "written-while-down", "caught-up")
		startAll(c, cfgs[0])

		Expect(memberID(cli, "etcd-0")).To(Equal(id))
		Expect(localValue(c.Endpoints(cfgs[0])[0], nil, "written-while-down")).To(Equal("caught-up"))
	})

	It("restarts a whole cluster whose nodes all have data and none answers yet", func() {
		c := newCluster(nil)
		cfgs := configs(c, 3, 0, 1, 2)
		startAll(c, cfgs...)
		put(client(c.Endpoints(cfgs...), nil), "k", "v")
		for i := range 3 {
			Expect(c.Stop(i)).To(Succeed())
		}
		startAll(c, cfgs...)
		Expect(localValue(c.Endpoints(cfgs[1])[0], nil, "k")).To(Equal("v"))
	})

	It("rejoins after losing its disk, replacing its stale member", func() {
		c := newCluster(nil)
		cfgs := configs(c, 3, 0, 1, 2)
		startAll(c, cfgs...)
		cli := client(c.Endpoints(cfgs[0], cfgs[1]), nil)
		oldID := memberID(cli, "etcd-2")
		put(cli, "k", "v")

		By("losing node 2's data while it is down")
		Expect(c.Stop(2)).To(Succeed())
		Expect(os.RemoveAll(filepath.Join(c.NodeDir(2), "store"))).To(Succeed())
		startAll(c, cfgs[2])

		voters, learners := memberNames(cli)
		Expect(voters).To(ConsistOf("etcd-0", "etcd-1", "etcd-2"))
		Expect(learners).To(BeZero())
		Expect(memberID(cli, "etcd-2")).NotTo(Equal(oldID))
		Expect(localValue(c.Endpoints(cfgs[2])[0], nil, "k")).To(Equal("v"))
	})

	It("rejoins with fresh data after it was removed from the cluster while down", func() {
		c := newCluster(nil)
		cfgs := configs(c, 3, 0, 1, 2)
		startAll(c, cfgs...)
		cli := client(c.Endpoints(cfgs[0], cfgs[1]), nil)
		oldID := memberID(cli, "etcd-2")
		Expect(c.Stop(2)).To(Succeed())
		_, err := cli.MemberRemove(ctx(), oldID)
		Expect(err).NotTo(HaveOccurred())
		put(cli, "after-removal", "v")

		startAll(c, cfgs[2])
		voters, _ := memberNames(cli)
		Expect(voters).To(ConsistOf("etcd-0", "etcd-1", "etcd-2"))
		Expect(memberID(cli, "etcd-2")).NotTo(Equal(oldID))
		Expect(localValue(c.Endpoints(cfgs[2])[0], nil, "after-removal")).To(Equal("v"))
	})

	It("undoes a join whose etcd exits before it received anything: removes the member it added", func() {
		c := newCluster(nil)
		startAll(c, configs(c, 2, 0)...)
		cli := client(c.Endpoints(c.Config(0, 2)), nil)

		By("starting node 1 while something else holds its peer port, so etcd exits after the add")
		blocker, err := net.Listen("tcp", net.JoinHostPort(c.IP(1), "2380"))
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(func() { _ = blocker.Close() })
		bad := c.Config(1, 2, func(cfg *config.Config) { cfg.Etcd.StartTimeoutSeconds = 10 })
		Expect(c.Start(bad)).To(Succeed())
		Eventually(c.Exited(1), "30s").Should(BeClosed())

		voters, learners := memberNames(cli)
		Expect(voters).To(ConsistOf("etcd-0"))
		Expect(learners).To(BeZero(), "the learner added by the failed start must be removed")
		Expect(hasData(c, 1)).To(BeFalse())

		By("starting again once the port is free")
		Expect(blocker.Close()).To(Succeed())
		startAll(c, c.Config(1, 2))
		voters, _ = memberNames(cli)
		Expect(voters).To(ConsistOf("etcd-0", "etcd-1"))
	})
})
