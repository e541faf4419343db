package api_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/director"
	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/api/apitest"
)

var _ = Describe("restarting the director", func() {
	It("keeps finished tasks and fails the ones that were queued or running", func() {
		stateDir := GinkgoT().TempDir()
		backend := apitest.NewBackend()
		first := startDirector(stateDir, backend)
		client := first.client()

		done, err := client.Deploy(ctx(), manifestFor("finished"), director.DeployOptions{})
		Expect(err).NotTo(HaveOccurred())
		_, err = client.WaitTask(ctx(), done.ID, nil)
		Expect(err).NotTo(HaveOccurred())

		backend.Block("etcd")
		running, err := client.Deploy(ctx(), manifestFor("etcd"), director.DeployOptions{})
		Expect(err).NotTo(HaveOccurred())
		Eventually(func() int { return backend.RunningDeploys("etcd") }).Should(Equal(1))
		queued, err := client.Deploy(ctx(), manifestFor("etcd"), director.DeployOptions{})
		Expect(err).NotTo(HaveOccurred())

		first.Stop()
		second := startDirector(stateDir, backend)
		client = second.client()

		tasks, err := client.Tasks(ctx(), director.TaskFilter{})
		Expect(err).NotTo(HaveOccurred())
		Expect(tasks).To(HaveExactElements(
			And(HaveField("ID", queued.ID), HaveField("State", director.StateError), HaveField("Result", "director restarted while the task was running")),
			And(HaveField("ID", running.ID), HaveField("State", director.StateError), HaveField("Result", "director restarted while the task was running")),
			And(HaveField("ID", done.ID), HaveField("State", director.StateDone), HaveField("Result", "/deployments/finished")),
		))
		Expect(tasks[0].Timestamp).NotTo(BeZero())

		events := outputLines(client, running.ID, director.OutputEvent)
		Expect(events[len(events)-1]["error"]).To(HaveKeyWithValue("message", "director restarted while the task was running"))

		By("numbering new tasks after the old ones")
		next, err := client.Deploy(ctx(), manifestFor("etcd2"), director.DeployOptions{})
		Expect(err).NotTo(HaveOccurred())
		Expect(next.ID).To(Equal(queued.ID + 1))
		_, err = client.WaitTask(ctx(), next.ID, nil)
		Expect(err).NotTo(HaveOccurred())
	})
})
