package eats_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/cloudfoundry-incubator/etcd-release/src/director"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/localcluster"
)

// The fault scenarios colocate the turbulence agent with etcd; they run
// only with enable_turbulence_tests.
var _ = Describe("faults", Label("turbulence", "tls"), func() {
	var d *deployment
	var c *clientv3.Client
	var members []director.Instance

	BeforeEach(func(ctx SpecContext) {
		if !cfg.Config.EnableTurbulenceTests {
			Skip("enable_turbulence_tests is false: the fault scenarios colocate the turbulence_agent job with etcd")
		}
		d = newDeployment("fault", true)
		d.mustDeploy(ctx, spec{TestJobs: true})
		members = d.members(ctx)
		c = d.etcd(ctx)
	}, NodeTimeout(15*time.Minute))

	// leader is the member every member names as leader, as the test
	// consumer sees them.
	leader := func(ctx context.Context) director.Instance {
		GinkgoHelper()
		var name string
		Eventually(func() (err error) {
			name, _, err = d.leader(ctx)
			return err
		}, "30s", "500ms").Should(Succeed())
		return memberNamed(members, name)
	}
	others := func(than director.Instance) []director.Instance {
		return slices.DeleteFunc(slices.Clone(members), func(m director.Instance) bool { return m.ID == than.ID })
	}

	It("survives its leader's etcd killed with -9: monit restarts it on its data", func(ctx SpecContext) {
		killed := leader(ctx)
		underLoad(ctx, "leader killed -9", true, route(c, true), c, faulty, func(l *localcluster.Load) {
			during(l, "the leader killed until every member serves", func() {
				Expect(d.agent(killed).Kill(ctx, "etcd")).To(Succeed())
				By("a read and a write succeed within 10 s through the test consumer")
				d.consumerWritesAndReads(ctx, "after-kill")
				d.waitRunning(ctx, 3*time.Minute)
				healthy(ctx, c, 2*time.Minute)
			})
			hold(ctx, 5*time.Second)
		})
		expectMembers(ctx, c, d, 3)
	}, SpecTimeout(20*time.Minute))

	It("recreates a VM killed under it, through the cloud check, with every key back", func(ctx SpecContext) {
		victim := others(leader(ctx))[0]
		underLoad(ctx, "VM killed and recreated by cck", true, route(c, true), c, faulty, func(l *localcluster.Load) {
			end := l.Fault("a VM killed until it is recreated and serves")
			defer end()
			Expect(d.agent(victim).KillVM(ctx)).To(Succeed())
			By("a read and a write succeed within 10 s through the test consumer")
			d.consumerWritesAndReads(ctx, "after-vm-killed")

			By("the cloud check finds the instance and recreates its VM")
			var problems []director.Problem
			Eventually(func() ([]director.Problem, error) {
				task, err := bosh.ScanForProblems(ctx, d.name)
				if err == nil {
					_, err = bosh.WaitTask(ctx, task.ID, nil)
				}
				if err == nil {
					problems, err = bosh.Problems(ctx, d.name)
				}
				return problems, err
			}, "3m", "5s").Should(ContainElement(HaveField("Description", ContainSubstring(victim.ID))))
			resolutions := map[int]string{}
			for _, p := range problems {
				Expect(p.Resolutions).To(ContainElement(HaveField("Name", "recreate_vm")), "problem %s", p.Description)
				resolutions[p.ID] = "recreate_vm"
			}
			task, err := bosh.ResolveProblems(ctx, d.name, resolutions)
			Expect(err).NotTo(HaveOccurred())
			_, err = bosh.WaitTask(ctx, task.ID, nil)
			Expect(err).NotTo(HaveOccurred())
			d.waitRunning(ctx, 5*time.Minute)
			healthy(ctx, c, 3*time.Minute)
		})
		expectMembers(ctx, c, d, 3)
	}, SpecTimeout(20*time.Minute))

	It("never lets a partitioned leader and the new one both accept writes, and heals", func(ctx SpecContext) {
		old := leader(ctx)
		peers := others(old)
		underLoad(ctx, "leader partitioned and healed", true, route(c, true), c, faulty, func(l *localcluster.Load) {
			end := l.Fault("the partition until every member serves")
			Expect(d.agent(old).Drop(ctx, ipsOf(peers)...)).To(Succeed())
			By("the majority elects a new leader; the old one no longer leads")
			var views map[string]string
			Eventually(func() error {
				_, v, _ := d.leader(ctx)
				views = v
				oldView := views[fmt.Sprintf("https://%s:2379", old.IPs[0])]
				var peerViews []string
				for _, p := range peers {
					peerViews = append(peerViews, views[fmt.Sprintf("https://%s:2379", p.IPs[0])])
				}
				if peerViews[0] == "" || peerViews[0] != peerViews[1] || strings.HasPrefix(peerViews[0], "error") || peerViews[0] == "0" {
					return fmt.Errorf("the majority agrees on no leader yet: %v", views)
				}
				if oldView == peerViews[0] {
					return fmt.Errorf("the partitioned member follows the new leader: %v", views)
				}
				return nil
			}, "60s", "1s").Should(Succeed())
			AddReportEntry("the split, as each member reports its leader", fmt.Sprint(views))

			By("a write through the partitioned member alone is refused")
			alone := client([]string{old.IPs[0]}, tlsFor(d.certs, d.certs))
			cctx, cancel := context.WithTimeout(ctx, 3*time.Second)
			_, err := alone.Put(cctx, "through-the-partitioned-member", "x")
			cancel()
			Expect(err).To(HaveOccurred(), "a member cut off from its peers must not acknowledge a write")

			By("healing the partition")
			Expect(d.agent(old).Restore(ctx)).To(Succeed())
			Eventually(func() error { _, _, err := d.leader(ctx); return err }, "60s", "1s").Should(Succeed())
			healthy(ctx, c, 2*time.Minute)
			end()
			hold(ctx, 5*time.Second)
		})
		d.waitRunning(ctx, 2*time.Minute) // the consistency checkers too
		expectMembers(ctx, c, d, 3)
	}, SpecTimeout(20*time.Minute))

	It("loses quorum with 2 of 3 members down, leader included, and comes back with its data", func(ctx SpecContext) {
		lead := leader(ctx)
		rest := others(lead)
		paused, survivor := rest[0], rest[1]
		underLoad(ctx, "quorum lost (2 of 3) and restored", true, route(c, true), c, faulty, func(l *localcluster.Load) {
			hold(ctx, 5*time.Second)
			end := l.Fault("quorum lost until every member serves")
			Expect(d.agent(paused).Pause(ctx, "etcd")).To(Succeed())
			Expect(d.agent(lead).Stop(ctx, "etcd", false)).To(Succeed())

			By("the survivor accepts no write")
			alone := client([]string{survivor.IPs[0]}, tlsFor(d.certs, d.certs))
			cctx, cancel := context.WithTimeout(ctx, 3*time.Second)
			_, err := alone.Put(cctx, "without-quorum", "x")
			cancel()
			Expect(err).To(HaveOccurred(), "one member of three has no quorum")
			hold(ctx, 5*time.Second)

			By("restoring both")
			Expect(d.agent(paused).Resume(ctx, "etcd")).To(Succeed())
			Expect(d.agent(lead).Start(ctx, "etcd")).To(Succeed())
			healthy(ctx, c, 3*time.Minute)
			end()
			hold(ctx, 5*time.Second)
		})
		d.waitRunning(ctx, 2*time.Minute)
		expectMembers(ctx, c, d, 3)
	}, SpecTimeout(20*time.Minute))

	It("brings every key back when the bootstrap instance's disk was lost during a whole-deployment stop", func(ctx SpecContext) {
		res := underLoad(ctx, "writes before the disk loss", true, route(c, true), c, steady, func(*localcluster.Load) { hold(ctx, 10*time.Second) })
		keys := acked(res)
		Expect(keys).NotTo(BeEmpty())
		i := slices.IndexFunc(members, func(m director.Instance) bool { return m.Bootstrap })
		Expect(i).To(BeNumerically(">=", 0), "one instance is the bootstrap one")
		bootstrap := members[i]

		By(fmt.Sprintf("deleting the data of the bootstrap instance %s/%d, then stopping every member", bootstrap.JobName, bootstrap.Index))
		Expect(d.agent(bootstrap).Stop(ctx, "etcd", true)).To(Succeed())
		for _, state := range []string{director.JobStopped, director.JobStarted} {
			task, err := bosh.ChangeJobState(ctx, d.name, d.group, "", director.JobStateOptions{State: state})
			Expect(err).NotTo(HaveOccurred())
			_, err = bosh.WaitTask(ctx, task.ID, nil)
			Expect(err).NotTo(HaveOccurred(), "bosh %s", state)
		}
		d.waitRunning(ctx, 3*time.Minute)
		healthy(ctx, c, 3*time.Minute)
		Expect(missing(ctx, c, keys)).To(BeEmpty(), "acknowledged writes missing after the restart")
		AddReportEntry("keys read back after the disk loss", fmt.Sprintf("all %d acknowledged writes", len(keys)))
		expectMembers(ctx, c, d, 3)
	}, SpecTimeout(20*time.Minute))
})
