package integration_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/director"
)

var _ = Describe("the job lifecycle", Label("integration"), Ordered, func() {
	var (
		dep *fixtureDeployment
		ids []string // every instance, both groups
	)

	BeforeAll(func() {
		dep = newFixtureDeployment("lifecycle")
		dep.addLoggerGroup("first", 2)
		dep.addLoggerGroup("second", 1)
	})

	// lastPostStart is when the last instance of the task finished post-start.
	lastPostStart := func(counts map[string]int) int64 {
		var last int64
		for _, id := range ids {
			for _, r := range only("post-start", dep.recordsSince(id, counts)) {
				last = max(last, r.TimeNS)
			}
		}
		return last
	}

	It("creates instances: pre-start before monit starts the process, post-start once it runs, then post-deploy everywhere", func(ctx SpecContext) {
		dep.mustDeploy(ctx)
		instances := dep.instances(ctx)
		Expect(instances).To(HaveLen(3))
		for _, inst := range instances {
			Expect(inst.JobState).To(Equal("running"))
			ids = append(ids, inst.ID)
		}

		for _, id := range ids {
			recs := dep.records(id)
			Expect(hooks(recs)).To(Equal([]string{"pre-start", "process-start", "post-start", "post-deploy"}), "instance %s", id)
			preStart, postStart := recs[0], recs[2]
			Expect(preStart.ProcessRunning).To(BeFalse(), "pre-start runs before monit starts the process")
			Expect(postStart.ProcessRunning).To(BeTrue(), "post-start runs once the process runs")
			Expect(*postStart.Monit).To(Equal("Monitored"))
		}
		By("running post-deploy only after every group's instances started")
		for _, id := range ids {
			Expect(only("post-deploy", dep.records(id))[0].TimeNS).To(BeNumerically(">", lastPostStart(nil)))
		}
	})

	It("leaves unchanged instances alone on a redeploy: no hook runs, not even post-deploy", func(ctx SpecContext) {
		before := dep.recordCounts()
		run := dep.mustDeploy(ctx)
		Expect(run.Started("Updating instance")).To(BeEmpty())
		Expect(dep.recordCounts()).To(Equal(before))
	})

	It("updates every instance when a property changes: pre-stop, unmonitor, drain, monit stop, post-stop, then the start hooks", func(ctx SpecContext) {
		before := dep.recordCounts()
		dep.props("first")["marker"] = "changed"
		dep.props("second")["marker"] = "changed"
		run := dep.mustDeploy(ctx)
		Expect(run.Started("Updating instance")).To(HaveLen(3))

		By("running pre-stop while monit still monitors the process, and unmonitoring it before drain, as BOSH's director and agent do")
		for _, id := range ids {
			recs := dep.recordsSince(id, before)
			Expect(hooks(recs)).To(Equal([]string{"pre-stop", "drain", "process-stop", "post-stop",
				"pre-start", "process-start", "post-start", "post-deploy"}), "instance %s", id)
			preStop, drain, postStop := recs[0], recs[1], recs[3]
			Expect(*preStop.Monit).To(Equal("Monitored"))
			Expect(preStop.ProcessRunning).To(BeTrue())
			Expect(*drain.Monit).To(Equal("Not monitored"))
			for _, name := range []string{"BOSH_VM_NEXT_STATE", "BOSH_INSTANCE_NEXT_STATE", "BOSH_DEPLOYMENT_NEXT_STATE"} {
				Expect(preStop.env(name)).To(Equal("keep"), name)
			}
			Expect(drain.Args).To(Equal([]string{"job_unchanged", "hash_changed"}),
				"the release's job is the same, its configuration changed: the agent compares the apply spec's job.sha1 and configuration hash")
			Expect(drain.ProcessRunning).To(BeTrue(), "drain runs before monit stops the process")
			Expect(postStop.ProcessRunning).To(BeFalse(), "post-stop runs after monit stopped the process")
		}
		By("running post-deploy after all groups were updated")
		for _, id := range ids {
			Expect(only("post-deploy", dep.recordsSince(id, before))[0].TimeNS).To(BeNumerically(">", lastPostStart(before)))
		}
	})

	It("deletes the deployment: pre-stop and drain are told everything goes, then monit stop and post-stop", func(ctx SpecContext) {
		before := dep.recordCounts()
		var cids []string
		for _, inst := range dep.instances(ctx) {
			cids = append(cids, inst.VMCID)
		}
		run, err := bosh.DeleteDeployment(ctx, dep.name, false)
		Expect(err).NotTo(HaveOccurred())
		Expect(run.Err()).NotTo(HaveOccurred())

		for _, id := range ids {
			recs := dep.recordsSince(id, before)
			Expect(hooks(recs)).To(Equal([]string{"pre-stop", "drain", "process-stop", "post-stop"}), "instance %s", id)
			Expect(recs[0].env("BOSH_INSTANCE_NEXT_STATE")).To(Equal("delete"))
			Expect(recs[0].env("BOSH_DEPLOYMENT_NEXT_STATE")).To(Equal("delete"))
			Expect(recs[0].env("BOSH_VM_NEXT_STATE")).To(Equal("delete"))
			Expect(recs[1].Args).To(Equal([]string{"job_shutdown", "hash_unchanged"}))
			Expect(recs[1].env("BOSH_JOB_NEXT_STATE")).To(MatchJSON(`{"persistent_disk":0}`))
		}
		By("deleting the VMs")
		for _, cid := range cids {
			_, err := bosh.VMs().Get(cid)
			Expect(err).To(HaveOccurred())
		}
		_, err = bosh.Client().Deployment(ctx, dep.name)
		Expect(director.ErrorCode(err)).To(Equal(director.CodeDeploymentNotFound))
	})
})
