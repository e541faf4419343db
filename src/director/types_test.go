package director_test

import (
	"encoding/json"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/director"
)

var _ = Describe("JSON shapes", func() {
	It("writes null timestamp, started_at, result and deployment for a queued task", func() {
		data, err := json.Marshal(director.Task{ID: 3, State: director.StateQueued, Description: "create release", User: "admin"})
		Expect(err).NotTo(HaveOccurred())
		Expect(data).To(MatchJSON(`{"id":3,"state":"queued","description":"create release","timestamp":null,
			"started_at":null,"result":null,"user":"admin","deployment":null,"context_id":""}`))
	})

	It("writes a finished task's result even when empty, and reads it back", func() {
		task := director.Task{ID: 4, State: director.StateDone, Timestamp: 20, StartedAt: 10, Deployment: "etcd"}
		data, err := json.Marshal(task)
		Expect(err).NotTo(HaveOccurred())
		Expect(data).To(MatchJSON(`{"id":4,"state":"done","description":"","timestamp":20,"started_at":10,
			"result":"","user":"","deployment":"etcd","context_id":""}`))
		var back director.Task
		Expect(json.Unmarshal(data, &back)).To(Succeed())
		Expect(back).To(Equal(task))
	})

	DescribeTable("event lines",
		func(e director.TaskEvent, expected string) {
			data, err := json.Marshal(e)
			Expect(err).NotTo(HaveOccurred())
			Expect(data).To(MatchJSON(expected))
		},
		Entry("a stage event keeps empty tags and zero progress", director.TaskEvent{
			Time: 1, Stage: "Preparing deployment", Total: 1, Task: "Preparing deployment", Index: 1, State: "started",
		}, `{"time":1,"stage":"Preparing deployment","tags":[],"total":1,"task":"Preparing deployment","index":1,"state":"started","progress":0}`),
		Entry("a failed item carries its error", director.TaskEvent{
			Time: 2, Stage: "Updating instance", Tags: []string{"etcd"}, Total: 3, Task: "etcd/0", Index: 1,
			State: "failed", Progress: 100, Data: &director.TaskEventData{Error: "boom"},
		}, `{"time":2,"stage":"Updating instance","tags":["etcd"],"total":3,"task":"etcd/0","index":1,"state":"failed","progress":100,"data":{"error":"boom"}}`),
		Entry("a task failure has only time and error", director.TaskEvent{
			Time: 3, Error: &director.TaskEventError{Code: 100, Message: "boom"},
		}, `{"time":3,"error":{"code":100,"message":"boom"}}`),
		Entry("a warning has time, type and message", director.TaskEvent{Time: 4, Type: "warning", Message: "careful"},
			`{"time":4,"type":"warning","message":"careful"}`),
	)

	It("reads instance slugs as objects and as group/id strings", func() {
		var req director.ErrandRequest
		Expect(json.Unmarshal([]byte(`{"keep-alive":true,"instances":[{"group":"a","id":"1"},"b/2","c"]}`), &req)).To(Succeed())
		Expect(req.KeepAlive).To(BeTrue())
		Expect(req.Instances).To(Equal([]director.InstanceSlug{{Group: "a", ID: "1"}, {Group: "b", ID: "2"}, {Group: "c"}}))
		Expect(json.Unmarshal([]byte(`{"instances":["/2"]}`), &req)).To(MatchError(ContainSubstring("no instance group")))
	})

	It("counts errand results as succeeded, errored (1-128) and canceled (over 128)", func() {
		summary := director.ErrandSummary([]director.ErrandResult{{ExitCode: 0}, {ExitCode: 1}, {ExitCode: 128}, {ExitCode: 137}})
		Expect(summary).To(Equal("1 succeeded, 2 errored, 1 canceled"))
	})
})
