package testdirector

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/director"
)

var _ = Describe("InstanceChanges", func() {
	instance := func(index int, id, cid string, pid int) InstanceState {
		return InstanceState{
			Instance: director.Instance{JobName: "etcd", Index: index, ID: id, VMCID: cid, IPs: []string{"10.0.0.1"}, JobState: "running"},
			PIDs:     map[string]int{"etcd": pid},
		}
	}

	It("finds nothing when every instance kept its VM and its processes", func() {
		before := []InstanceState{instance(0, "a", "vm-a", 10), instance(1, "b", "vm-b", 12)}
		after := []InstanceState{instance(0, "a", "vm-a", 10), instance(1, "b", "vm-b", 12)}
		Expect(InstanceChanges(before, after)).To(BeEmpty())
	})

	It("names a new VM, a job not running, a process started again, one that appeared, and a missing instance", func() {
		before := []InstanceState{instance(0, "a", "vm-a", 10), instance(1, "b", "vm-b", 12), instance(2, "c", "vm-c", 14)}
		failing := instance(1, "b", "vm-b", 12)
		failing.JobState = "failing"
		failing.PIDs["checker"] = 40
		after := []InstanceState{instance(0, "a", "vm-new", 20), failing}
		Expect(InstanceChanges(before, after)).To(ConsistOf(
			"3 instances before, 2 after",
			"etcd/0: VM vm-new, was vm-a",
			"etcd/0: process etcd has pid 20, had 10",
			"etcd/1: job failing",
			"etcd/1: process checker has pid 40, had 0",
		))
	})
})
