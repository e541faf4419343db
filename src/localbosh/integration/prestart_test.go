package integration_test

import (
	"fmt"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/director"
)

var _ = Describe("a failing pre-start", Label("integration"), func() {
	It("fails the task naming the instance and the script, with the tail of its output, and updates no further instance", func(ctx SpecContext) {
		dep := newFixtureDeployment("prestart")
		dep.addLoggerGroup("logger", 3)
		dep.doc["update"].(map[string]any)["max_in_flight"] = 1
		dep.mustDeploy(ctx)
		instances := dep.instancesOf(ctx, "logger")
		counts := dep.recordCounts()

		dep.props("logger")["fail_pre_start"] = true
		run := dep.deploy(ctx)
		Expect(run.Task.State).To(Equal(director.StateError))
		failure := run.Failure()
		Expect(failure).To(ContainSubstring(fmt.Sprintf("logger/%s (0)", instances[0].ID)))
		Expect(failure).To(ContainSubstring("pre-start script of job logger failed (exit code 3)"))
		lines := strings.Split(failure, "\n")
		Expect(lines).To(ContainElement("logger pre-start fails on purpose (logger.fail_pre_start is true)"))
		Expect(lines).To(ContainElement("pre-start output line 30"))
		Expect(lines).NotTo(ContainElement("pre-start output line 1"), "only the tail of the output")
		Expect(run.Task.Result).To(Equal(failure))

		By("stopping the update at the failed canary")
		Expect(hooks(dep.recordsSince(instances[0].ID, counts))).To(Equal([]string{"pre-stop", "drain", "process-stop", "post-stop", "pre-start"}))
		for _, later := range instances[1:] {
			Expect(dep.recordsSince(later.ID, counts)).To(BeEmpty(), "instance %d", later.Index)
		}
		Expect(run.Started("Updating instance")).To(HaveLen(1))

		By("converging once pre-start passes again")
		dep.props("logger")["fail_pre_start"] = false
		dep.mustDeploy(ctx)
		for _, inst := range dep.instancesOf(ctx, "logger") {
			Expect(inst.JobState).To(Equal("running"))
		}
	})
})
