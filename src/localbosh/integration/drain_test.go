package integration_test

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/director"
)

var _ = Describe("drain", Label("integration"), Ordered, func() {
	var (
		dep *fixtureDeployment
		ids []string // by index
	)

	BeforeAll(func(ctx SpecContext) {
		dep = newFixtureDeployment("drain")
		dep.addLoggerGroup("logger", 2)["persistent_disk"] = 1024
		dep.mustDeploy(ctx)
		for _, inst := range dep.instancesOf(ctx, "logger") {
			ids = append(ids, inst.ID)
			Expect(only("drain", dep.records(inst.ID))).To(BeEmpty(), "a new instance has nothing to drain")
		}
	})

	It("is told job_shutdown, and the persistent disk's size now and next, when the disk changes, as BOSH's stopper does", func(ctx SpecContext) {
		before := dep.recordCounts()
		dep.group("logger")["persistent_disk"] = 2048
		dep.props("logger")["drain"] = map[string]any{"mode": "dynamic", "dynamic_rounds": 2}
		dep.mustDeploy(ctx)

		for _, id := range ids {
			drains := only("drain", dep.recordsSince(id, before))
			Expect(drains).To(HaveLen(1), "the installed drain is static")
			Expect(drains[0].Args).To(Equal([]string{"job_shutdown", "hash_unchanged"}), "a disk change is a shutdown drain")
			Expect(drains[0].env("BOSH_JOB_STATE")).To(MatchJSON(`{"persistent_disk":1024}`))
			Expect(drains[0].env("BOSH_JOB_NEXT_STATE")).To(MatchJSON(`{"persistent_disk":2048}`))
		}
	})

	It("is run again with job_check_status, after waiting, while it prints a negative number", func(ctx SpecContext) {
		before := dep.recordCounts()
		dep.props("logger")["marker"] = "dynamic drain"
		dep.mustDeploy(ctx)

		for _, id := range ids {
			recs := dep.recordsSince(id, before)
			Expect(hooks(recs)[:5]).To(Equal([]string{"pre-stop", "drain", "drain", "drain", "process-stop"}))
			drains := only("drain", recs)
			Expect(drains[0].Args).To(Equal([]string{"job_unchanged", "hash_changed"}))
			Expect(drains[0].env("BOSH_JOB_NEXT_STATE")).To(MatchJSON(`{"persistent_disk":2048}`))
			for i, again := range drains[1:] {
				Expect(again.Args).To(Equal([]string{"job_check_status", "hash_unchanged"}))
				Expect(again.env("BOSH_JOB_NEXT_STATE")).To(Equal("<unset>"))
				Expect(again.TimeNS-drains[i].TimeNS).To(BeNumerically(">=", int64(time.Second)),
					"drain printed -1: the director waits a second before asking again")
			}
		}
	})

	It("is told job_shutdown and a persistent disk of 0 when a scale down deletes the instance", func(ctx SpecContext) {
		before := dep.recordCounts()
		dep.group("logger")["instances"] = 1
		dep.mustDeploy(ctx)

		gone := dep.recordsSince(ids[1], before)
		Expect(hooks(gone)).To(HaveExactElements("pre-stop", "drain", "drain", "drain", "process-stop", "post-stop"))
		Expect(gone[0].env("BOSH_INSTANCE_NEXT_STATE")).To(Equal("delete"))
		Expect(gone[0].env("BOSH_DEPLOYMENT_NEXT_STATE")).To(Equal("keep"))
		Expect(gone[1].Args).To(Equal([]string{"job_shutdown", "hash_unchanged"}))
		Expect(gone[1].env("BOSH_JOB_STATE")).To(MatchJSON(`{"persistent_disk":2048}`))
		Expect(gone[1].env("BOSH_JOB_NEXT_STATE")).To(MatchJSON(`{"persistent_disk":0}`))
		Expect(hooks(dep.recordsSince(ids[0], before))).To(Equal([]string{"post-deploy"}), "the instance that stays is not updated")
	})

	It("fails the task, naming the job and showing the script's output, when it prints no integer and exits non-zero", func(ctx SpecContext) {
		dep.props("logger")["drain"] = map[string]any{"mode": "fail"}
		dep.mustDeploy(ctx) // stops with the dynamic drain, installs the failing one

		before := dep.recordCounts()
		dep.props("logger")["marker"] = "drain fails"
		run := dep.deploy(ctx)
		Expect(run.Task.State).To(Equal(director.StateError))
		Expect(run.Failure()).To(ContainSubstring("drain script of job logger did not return a signed integer"))
		Expect(run.Failure()).To(ContainSubstring("exited 1"))
		Expect(run.Failure()).To(ContainSubstring("logger drain fails on purpose"))
		Expect(hooks(dep.recordsSince(ids[0], before))).To(Equal([]string{"pre-stop", "drain"}), "nothing is stopped after a failing drain")
	})
})
