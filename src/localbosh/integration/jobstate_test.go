package integration_test

import (
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/director"
)

var _ = Describe("changing job states", Label("integration"), Ordered, func() {
	var (
		dep    *fixtureDeployment
		first  director.Instance // index 0, the one the specs change
		second director.Instance // index 1, which stays as it is
		counts map[string]int
	)

	BeforeAll(func(ctx SpecContext) {
		dep = newFixtureDeployment("jobstate")
		dep.addLoggerGroup("logger", 2)["persistent_disk"] = 256
		dep.mustDeploy(ctx)
		instances := dep.instancesOf(ctx, "logger")
		first, second = instances[0], instances[1]
	})

	BeforeEach(func() { counts = dep.recordCounts() })

	var instance func(ctx SpecContext) director.Instance

	// change sets the state of instance 0 and returns its records since,
	// but for post-deploy.
	change := func(ctx SpecContext, state string) []record {
		GinkgoHelper()
		run, err := bosh.ChangeJobState(ctx, dep.name, "logger", first.ID, state)
		Expect(err).NotTo(HaveOccurred())
		Expect(run.Err()).NotTo(HaveOccurred())
		Expect(hooks(dep.recordsSince(second.ID, counts))).To(Equal([]string{"post-deploy"}),
			"the other instance is left alone but for post-deploy, which BOSH runs after a change on every instance not stopped")
		recs := dep.recordsSince(first.ID, counts)
		if n := len(recs); n > 0 && recs[n-1].Hook == "post-deploy" {
			Expect(instance(ctx).State).To(Equal("started"), "post-deploy runs on started instances only")
			recs = recs[:n-1]
		}
		return recs
	}

	instance = func(ctx SpecContext) director.Instance {
		GinkgoHelper()
		inst, err := bosh.Instance(ctx, dep.name, first.ID)
		Expect(err).NotTo(HaveOccurred())
		return inst
	}

	starts := func(ctx SpecContext) []string {
		GinkgoHelper()
		data, err := bosh.ReadFile(ctx, dep.name, first.ID, "/var/vcap/store/logger/starts")
		Expect(err).NotTo(HaveOccurred())
		return strings.Fields(string(data))
	}

	It("stops an instance: its jobs are drained and stopped, the VM stays", func(ctx SpecContext) {
		recs := change(ctx, director.JobStopped)
		Expect(hooks(recs)).To(Equal([]string{"pre-stop", "drain", "process-stop", "post-stop"}))
		Expect(recs[0].env("BOSH_INSTANCE_NEXT_STATE")).To(Equal("keep"))
		Expect(recs[1].Args).To(Equal([]string{"job_shutdown", "hash_unchanged"}))
		Expect(recs[1].env("BOSH_JOB_NEXT_STATE")).To(MatchJSON(`{"persistent_disk":256}`))
		inst := instance(ctx)
		Expect(inst.State).To(Equal("stopped"))
		Expect(inst.JobState).To(Equal("stopped"))
		Expect(inst.VMCID).To(Equal(first.VMCID))
	})

	It("starts it again", func(ctx SpecContext) {
		recs := change(ctx, director.JobStarted)
		Expect(hooks(recs)).To(Equal([]string{"pre-start", "process-start", "post-start"}))
		inst := instance(ctx)
		Expect(inst.State).To(Equal("started"))
		Expect(inst.JobState).To(Equal("running"))
	})

	It("restarts it on the same VM", func(ctx SpecContext) {
		recs := change(ctx, director.JobRestart)
		Expect(hooks(recs)).To(Equal([]string{"pre-stop", "drain", "process-stop", "post-stop", "pre-start", "process-start", "post-start"}))
		Expect(recs[0].env("BOSH_VM_NEXT_STATE")).To(Equal("keep"))
		Expect(recs[1].Args).To(Equal([]string{"job_unchanged", "hash_unchanged"}), "a restart is an update drain with nothing changed, as on BOSH")
		inst := instance(ctx)
		Expect(inst.VMCID).To(Equal(first.VMCID))
		Expect(inst.JobState).To(Equal("running"))
	})

	It("recreates it on a new VM with the same persistent disk and its content", func(ctx SpecContext) {
		startsBefore := starts(ctx)
		Expect(startsBefore).To(HaveLen(3), "pre-start wrote a line on the disk at each start")

		recs := change(ctx, director.JobRecreate)
		Expect(hooks(recs)).To(Equal([]string{"pre-stop", "drain", "process-stop", "post-stop", "pre-start", "process-start", "post-start"}))
		Expect(recs[0].env("BOSH_VM_NEXT_STATE")).To(Equal("delete"))
		Expect(recs[0].env("BOSH_INSTANCE_NEXT_STATE")).To(Equal("keep"))
		Expect(recs[1].Args).To(Equal([]string{"job_shutdown", "hash_unchanged"}), "the VM goes: a shutdown drain")
		inst := instance(ctx)
		Expect(inst.VMCID).NotTo(Equal(first.VMCID))
		Expect(inst.DiskCID).To(Equal(first.DiskCID))
		Expect(inst.JobState).To(Equal("running"))
		Expect(starts(ctx)).To(Equal(append(startsBefore, first.ID)), "the disk kept what was written before")
		_, err := bosh.VMs().Get(first.VMCID)
		Expect(err).To(HaveOccurred(), "the old VM is deleted")
	})
})
