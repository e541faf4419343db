package integration_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/director"
	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/testdirector"
)

var _ = Describe("errands", Label("integration"), Ordered, func() {
	var dep *fixtureDeployment

	BeforeAll(func(ctx SpecContext) {
		dep = newFixtureDeployment("errands")
		dep.addLoggerGroup("logger", 1)
		dep.addErrandGroup("smoke")
		dep.mustDeploy(ctx)
	})

	// runErrand runs the smoke errand and returns its task and results.
	runErrand := func(ctx SpecContext, req director.ErrandRequest) (testdirector.TaskRun, []director.ErrandResult) {
		GinkgoHelper()
		run := testdirector.TaskRun{}
		task, results, err := bosh.Client().RunErrand(ctx, dep.name, "smoke", req, func(e director.TaskEvent) {
			run.Events = append(run.Events, e)
		})
		Expect(err).NotTo(HaveOccurred())
		run.Task = task
		return run, results
	}

	errandVM := func(ctx SpecContext) string {
		GinkgoHelper()
		smoke := dep.instancesOf(ctx, "smoke")
		Expect(smoke).To(HaveLen(1))
		return smoke[0].VMCID
	}

	It("creates no VM for an errand group on deploy", func(ctx SpecContext) {
		Expect(errandVM(ctx)).To(BeEmpty())
	})

	It("returns bin/run's exit code, stdout and stderr, and deletes the errand's VM", func(ctx SpecContext) {
		run, results := runErrand(ctx, director.ErrandRequest{})
		Expect(run.Task.Result).To(Equal("1 succeeded, 0 errored, 0 canceled"))
		Expect(results).To(HaveLen(1))
		Expect(results[0].ErrandName).To(Equal("smoke"))
		Expect(results[0].Instance.Group).To(Equal("smoke"))
		Expect(results[0].ExitCode).To(Equal(0))
		Expect(results[0].Stdout).To(Equal("smoke test passed\n"))
		Expect(results[0].Stderr).To(Equal("smoke test diagnostics\n"))
		Expect(errandVM(ctx)).To(BeEmpty())
	})

	It("reports a failing errand's exit code", func(ctx SpecContext) {
		dep.props("smoke")["exit_code"] = 7
		dep.props("smoke")["stderr"] = "2 checks failed"
		dep.mustDeploy(ctx)

		run, results := runErrand(ctx, director.ErrandRequest{})
		Expect(run.Task.State).To(Equal(director.StateDone), "an errand that fails is a result, not a failed task")
		Expect(run.Task.Result).To(Equal("0 succeeded, 1 errored, 0 canceled"))
		Expect(results).To(HaveLen(1))
		Expect(results[0].ExitCode).To(Equal(7))
		Expect(results[0].Stderr).To(Equal("2 checks failed\n"))
	})

	It("keeps the errand's VM with keep-alive, and reuses it for the next run", func(ctx SpecContext) {
		_, results := runErrand(ctx, director.ErrandRequest{KeepAlive: true})
		Expect(results).To(HaveLen(1))
		cid := errandVM(ctx)
		Expect(cid).NotTo(BeEmpty())
		_, err := bosh.VMs().Get(cid)
		Expect(err).NotTo(HaveOccurred())

		run, results := runErrand(ctx, director.ErrandRequest{})
		Expect(results).To(HaveLen(1))
		Expect(run.Started("Updating instance")).To(BeEmpty(), "the kept VM runs the errand again as it is")
		Expect(errandVM(ctx)).To(BeEmpty())
		_, err = bosh.VMs().Get(cid)
		Expect(err).To(HaveOccurred())
	})

	It("runs an errand group's errand on its first instance only, as BOSH does, and refuses --instance by group name", func(ctx SpecContext) {
		dep.group("smoke")["instances"] = 2
		dep.mustDeploy(ctx)
		_, results := runErrand(ctx, director.ErrandRequest{})
		Expect(results).To(HaveLen(1))
		first := dep.instancesOf(ctx, "smoke")[0]
		Expect(results[0].Instance.ID).To(Equal(first.ID))

		_, results, err := bosh.Client().RunErrand(ctx, dep.name, "smoke", director.ErrandRequest{
			Instances: []director.InstanceSlug{{Group: "smoke", ID: first.ID}}}, nil)
		Expect(err).NotTo(HaveOccurred(), "by job name an instance filter is fine")
		Expect(results).To(HaveLen(1))

		By("naming the group, not a job, with an instance filter")
		dep.group("smoke")["name"] = "smoke-tests"
		dep.mustDeploy(ctx)
		_, _, err = bosh.Client().RunErrand(ctx, dep.name, "smoke-tests", director.ErrandRequest{
			Instances: []director.InstanceSlug{{Group: "smoke-tests"}}}, nil)
		Expect(err).To(MatchError(ContainSubstring("Filtering by instances is not supported when running errand by instance group name")))
	})

	It("lists the errands as bosh errands does", func(ctx SpecContext) {
		var errands []map[string]any
		cliGet(ctx, "/deployments/"+dep.name+"/errands", &errands)
		Expect(errands).To(Equal([]map[string]any{{"name": "smoke-tests"}, {"name": "smoke"}}))
	})
})
