package integration_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/director"
)

var _ = Describe("scaling down", Label("integration"), func() {
	It("deletes the instances with the highest indexes, telling them in pre-stop, and keeps the others untouched", func(ctx SpecContext) {
		dep := newFixtureDeployment("scale")
		dep.addLoggerGroup("logger", 3)["persistent_disk"] = 512
		dep.mustDeploy(ctx)
		before := dep.instancesOf(ctx, "logger")
		Expect(before).To(HaveLen(3))
		disksBefore, err := bosh.VMs().Disks()
		Expect(err).NotTo(HaveOccurred())
		counts := dep.recordCounts()

		dep.group("logger")["instances"] = 1
		run := dep.mustDeploy(ctx)
		Expect(run.Started("Deleting unneeded instances")).To(ConsistOf(
			"logger/"+before[1].ID+" (1)", "logger/"+before[2].ID+" (2)"))

		after := dep.instancesOf(ctx, "logger")
		Expect(after).To(HaveLen(1))
		Expect(after[0].ID).To(Equal(before[0].ID))
		Expect(after[0].VMCID).To(Equal(before[0].VMCID))
		Expect(hooks(dep.recordsSince(before[0].ID, counts))).To(Equal([]string{"post-deploy"}),
			"index 0 is not updated; it runs post-deploy, as the deployment changed")

		for _, gone := range before[1:] {
			recs := dep.recordsSince(gone.ID, counts)
			Expect(hooks(recs)).To(Equal([]string{"pre-stop", "drain", "process-stop", "post-stop"}))
			Expect(recs[0].env("BOSH_INSTANCE_NEXT_STATE")).To(Equal("delete"))
			Expect(recs[0].env("BOSH_VM_NEXT_STATE")).To(Equal("delete"))
			Expect(recs[0].env("BOSH_DEPLOYMENT_NEXT_STATE")).To(Equal("keep"))
			_, err := bosh.VMs().Get(gone.VMCID)
			Expect(err).To(HaveOccurred(), "VM %s of deleted instance %s", gone.VMCID, gone.ID)
		}
		By("orphaning their persistent disks, as BOSH does")
		disksAfter, err := bosh.VMs().Disks()
		Expect(err).NotTo(HaveOccurred())
		Expect(disksBefore).To(ContainElements(*before[1].DiskCID, *before[2].DiskCID))
		Expect(disksAfter).To(ContainElements(*before[0].DiskCID, *before[1].DiskCID, *before[2].DiskCID))
		var orphans []director.OrphanedDisk
		cliGet(ctx, "/disks", &orphans)
		Expect(orphans).To(ContainElements(HaveField("CID", *before[1].DiskCID), HaveField("CID", *before[2].DiskCID)))
		Expect(orphans).NotTo(ContainElement(HaveField("CID", *before[0].DiskCID)))
	})
})
