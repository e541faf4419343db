package testdirector

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/director"
)

var _ = Describe("InstanceChanges", func() {
	instance := func(index int, id, cid string, uptime int64) director.Instance {
		return director.Instance{JobName: "etcd", Index: index, ID: id, VMCID: cid, IPs: []string{"10.0.0.1"}, JobState: "running",
			Processes: []director.Process{{Name: "etcd", State: "running", Uptime: director.ProcessUptime{Secs: uptime}}}}
	}

	It("finds nothing when every instance kept its VM and its processes ran on", func() {
		before := []director.Instance{instance(0, "a", "vm-a", 10), instance(1, "b", "vm-b", 12)}
		after := []director.Instance{instance(0, "a", "vm-a", 15), instance(1, "b", "vm-b", 17)}
		Expect(InstanceChanges(before, after)).To(BeEmpty())
	})

	It("names a new VM, a job not running, a restarted process and a missing instance", func() {
		before := []director.Instance{instance(0, "a", "vm-a", 10), instance(1, "b", "vm-b", 12), instance(2, "c", "vm-c", 12)}
		stopped := instance(1, "b", "vm-b", 14)
		stopped.JobState = "failing"
		after := []director.Instance{instance(0, "a", "vm-new", 2), stopped}
		Expect(InstanceChanges(before, after)).To(ConsistOf(
			"3 instances before, 2 after",
			"etcd/0: VM vm-new, was vm-a",
			"etcd/0: process etcd started again (up 2 s, was up 10 s)",
			"etcd/1: job failing",
		))
	})
})
