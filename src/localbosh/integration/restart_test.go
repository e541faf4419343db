package integration_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/director"
)

var _ = Describe("restarting the director", Label("integration"), Ordered, func() {
	var (
		dep    *fixtureDeployment
		before []director.Instance
	)

	BeforeAll(func(ctx SpecContext) {
		dep = newFixtureDeployment("restart")
		dep.addLoggerGroup("logger", 2)
		dep.mustDeploy(ctx)
		before = dep.instancesOf(ctx, "logger")
	})

	It("finds deployments, instances and VMs again between tasks", func(ctx SpecContext) {
		counts := dep.recordCounts()
		Expect(bosh.Restart(ctx)).To(Succeed())

		deployments, err := bosh.Client().Deployments(ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(deployments).To(ContainElement(HaveField("Name", dep.name)))
		after := dep.instancesOf(ctx, "logger")
		Expect(after).To(HaveLen(len(before)))
		for i, inst := range after {
			Expect(inst.ID).To(Equal(before[i].ID))
			Expect(inst.VMCID).To(Equal(before[i].VMCID))
			Expect(inst.JobState).To(Equal("running"), "monit kept the processes running")
		}

		By("seeing nothing to change in the same manifest")
		run := dep.mustDeploy(ctx)
		Expect(run.Started("Updating instance")).To(BeEmpty())
		Expect(dep.recordCounts()).To(Equal(counts))
	})

	It("recreates, with its jobs, a VM that was lost while the director was down", func(ctx SpecContext) {
		lost := before[1]
		Expect(bosh.VMs().Delete(ctx, lost.VMCID)).To(Succeed())
		Expect(bosh.Restart(ctx)).To(Succeed())
		counts := dep.recordCounts()

		run := dep.mustDeploy(ctx)
		Expect(run.Started("Creating missing vms")).To(HaveLen(1))
		inst, err := bosh.Instance(ctx, dep.name, lost.ID)
		Expect(err).NotTo(HaveOccurred())
		Expect(inst.VMCID).NotTo(BeEmpty())
		Expect(inst.VMCID).NotTo(Equal(lost.VMCID))
		Expect(inst.JobState).To(Equal("running"))
		Expect(hooks(dep.recordsSince(lost.ID, counts))).To(Equal([]string{"pre-start", "process-start", "post-start", "post-deploy"}))
		Expect(hooks(dep.recordsSince(before[0].ID, counts))).To(Equal([]string{"post-deploy"}))
		before = dep.instancesOf(ctx, "logger")
	})

	It("fails a task it was running with a clear result, and a following deploy converges", func(ctx SpecContext) {
		counts := dep.recordCounts()
		dep.props("logger")["marker"] = "interrupted"
		dep.props("logger")["pre_start_sleep_seconds"] = 600
		task, err := bosh.Client().Deploy(ctx, mustYAML(dep.doc), director.DeployOptions{})
		Expect(err).NotTo(HaveOccurred())

		By("restarting while the canary's pre-start runs")
		Eventually(func() []string {
			return hooks(dep.recordsSince(before[0].ID, counts))
		}).WithContext(ctx).Should(ContainElement("pre-start"))
		Expect(bosh.Restart(ctx)).To(Succeed())

		run, err := bosh.Wait(ctx, task)
		Expect(err).NotTo(HaveOccurred())
		Expect(run.Task.State).To(Equal(director.StateError))
		Expect(run.Task.Result).To(Equal("director restarted while the task was running"))
		Expect(run.Failure()).To(Equal(run.Task.Result))

		By("deploying again")
		counts = dep.recordCounts()
		dep.props("logger")["pre_start_sleep_seconds"] = 0
		dep.mustDeploy(ctx)
		for _, inst := range dep.instancesOf(ctx, "logger") {
			Expect(inst.JobState).To(Equal("running"))
			Expect(hooks(dep.recordsSince(inst.ID, counts))).To(ContainElements("pre-start", "process-start", "post-start"))
		}
	})
})
