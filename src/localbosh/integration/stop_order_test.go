package integration_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/director"
)

// BOSH's stop order: the director runs pre-stop while monit still monitors
// the jobs, then asks the agent to drain, whose drain action unmonitors the
// jobs before it runs drain; monit stop and post-stop follow. A job whose
// process exits during pre-stop is therefore started again by monit.
// skip_drain skips pre-stop and the drain action.
var _ = Describe("the stop order", Label("integration"), Ordered, func() {
	var (
		dep *fixtureDeployment
		ids []string // by index
	)

	BeforeAll(func(ctx SpecContext) {
		dep = newFixtureDeployment("stoporder")
		dep.addLoggerGroup("logger", 2)["persistent_disk"] = 256
		// Installed by the first deploy; the pre-stop of every later stop
		// kills the process and waits for monit to start it again.
		dep.props("logger")["pre_stop_kill_seconds"] = 15
		dep.mustDeploy(ctx)
		for _, inst := range dep.instancesOf(ctx, "logger") {
			ids = append(ids, inst.ID)
		}
	})

	It("runs pre-stop while monit watches the job: a process that exits in pre-stop is started again; drain finds it unmonitored", func(ctx SpecContext) {
		before := dep.recordCounts()
		dep.props("logger")["marker"] = "changed"
		run := dep.deploy(ctx)
		Expect(run.Err()).NotTo(HaveOccurred())

		for _, id := range ids {
			recs := dep.recordsSince(id, before)
			Expect(hooks(recs)).To(Equal([]string{"pre-stop", "process-start", "pre-stop-restarted", "drain", "process-stop", "post-stop",
				"pre-start", "process-start", "post-start", "post-deploy"}), "instance %s", id)
			preStop, drain, postStop := recs[0], recs[3], recs[5]
			Expect(*preStop.Monit).To(Equal("Monitored"))
			Expect(preStop.ProcessRunning).To(BeTrue())
			Expect(*drain.Monit).To(Equal("Not monitored"), "the drain action unmonitors before drain runs")
			Expect(drain.ProcessRunning).To(BeTrue(), "the process monit restarted still runs at drain")
			Expect(postStop.ProcessRunning).To(BeFalse(), "monit stop stops the restarted process")
		}
	})

	It("keeps that order when a scale down deletes an instance", func(ctx SpecContext) {
		before := dep.recordCounts()
		dep.group("logger")["instances"] = 1
		dep.mustDeploy(ctx)

		gone := dep.recordsSince(ids[1], before)
		Expect(hooks(gone)).To(Equal([]string{"pre-stop", "process-start", "pre-stop-restarted", "drain", "process-stop", "post-stop"}))
		Expect(gone[0].env("BOSH_INSTANCE_NEXT_STATE")).To(Equal("delete"))
		Expect(*gone[0].Monit).To(Equal("Monitored"))
		Expect(gone[3].Args).To(Equal([]string{"job_shutdown", "hash_unchanged"}))
		Expect(*gone[3].Monit).To(Equal("Not monitored"))
	})

	It("runs neither pre-stop nor drain with skip_drain, and still stops the process", func(ctx SpecContext) {
		before := dep.recordCounts()
		dep.props("logger")["marker"] = "skip drain"
		dep.mustDeploy(ctx, director.DeployOptions{SkipDrain: []string{"logger"}})

		recs := dep.recordsSince(ids[0], before)
		Expect(hooks(recs)).To(Equal([]string{"process-stop", "post-stop", "pre-start", "process-start", "post-start", "post-deploy"}))
		Expect(recs[1].ProcessRunning).To(BeFalse())
	})
})
