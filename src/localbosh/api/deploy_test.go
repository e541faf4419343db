package api_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/director"
	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/api"
	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/api/apitest"
)

// eventRecorder collects the events WaitTask hands over, from another goroutine.
type eventRecorder struct {
	mu     sync.Mutex
	events []director.TaskEvent
}

func (r *eventRecorder) add(e director.TaskEvent) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

func (r *eventRecorder) all() []director.TaskEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]director.TaskEvent(nil), r.events...)
}

func outputLines(c *director.Client, id int, outputType string) []map[string]any {
	GinkgoHelper()
	out, err := c.TaskOutput(ctx(), id, outputType)
	Expect(err).NotTo(HaveOccurred())
	var lines []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		Expect(json.Unmarshal([]byte(line), &m)).To(Succeed(), line)
		lines = append(lines, m)
	}
	return lines
}

var _ = Describe("deploying", func() {
	var (
		d       *runningDirector
		backend *apitest.Backend
		client  *director.Client
	)

	BeforeEach(func() {
		backend = apitest.NewBackend()
		d = startDirector(GinkgoT().TempDir(), backend)
		client = d.client()
	})

	It("starts a 'create deployment' task through a redirect and passes the manifest and options", func() {
		_, err := client.UpdateConfig(ctx(), director.ConfigCloud, "default", []byte("azs: [{name: z1}]\n"))
		Expect(err).NotTo(HaveOccurred())

		task, err := client.Deploy(ctx(), manifestFor("etcd"), director.DeployOptions{
			Recreate: true, SkipDrain: []string{"*"}, Canaries: "1", MaxInFlight: "50%",
		})
		Expect(err).NotTo(HaveOccurred())
		Expect(task.ID).To(Equal(1))
		Expect(task.Description).To(Equal("create deployment"))
		Expect(task.Deployment).To(Equal("etcd"))
		Expect(task.User).To(Equal("admin"))

		final, err := client.WaitTask(ctx(), task.ID, nil)
		Expect(err).NotTo(HaveOccurred())
		Expect(final.State).To(Equal(director.StateDone))
		Expect(final.Result).To(Equal("/deployments/etcd"))
		Expect(final.StartedAt).NotTo(BeZero())
		Expect(final.Timestamp).To(BeNumerically(">=", final.StartedAt))

		deploys := backend.Deploys()
		Expect(deploys).To(HaveLen(1))
		Expect(deploys[0].Manifest).To(Equal(manifestFor("etcd")))
		Expect(deploys[0].Options).To(Equal(director.DeployOptions{
			Recreate: true, SkipDrain: []string{"*"}, Canaries: "1", MaxInFlight: "50%",
		}))
		Expect(deploys[0].CloudConfigs).To(ConsistOf(HaveField("Content", "azs: [{name: z1}]\n")))

		manifest, err := client.Deployment(ctx(), "etcd")
		Expect(err).NotTo(HaveOccurred())
		Expect(manifest).To(Equal(manifestFor("etcd")))
	})

	It("answers the task starter with 302 and a Location, and shows nulls while the task runs", func() {
		backend.Block("etcd")
		task, err := client.Deploy(ctx(), manifestFor("etcd"), director.DeployOptions{})
		Expect(err).NotTo(HaveOccurred())
		Eventually(func() int { return backend.RunningDeploys("etcd") }).Should(Equal(1))

		resp := d.rawGet("/tasks/1", nil, true)
		Expect(resp.StatusCode).To(Equal(http.StatusOK))
		var raw map[string]any
		Expect(json.NewDecoder(resp.Body).Decode(&raw)).To(Succeed())
		Expect(raw).To(HaveKeyWithValue("state", "processing"))
		Expect(raw).To(HaveKeyWithValue("timestamp", BeNil()))
		Expect(raw).To(HaveKeyWithValue("result", BeNil()))
		Expect(raw).To(HaveKeyWithValue("context_id", ""))
		Expect(raw).To(HaveKeyWithValue("started_at", BeNumerically(">", 0)))

		backend.Unblock("etcd")
		_, err = client.WaitTask(ctx(), task.ID, nil)
		Expect(err).NotTo(HaveOccurred())
	})

	It("streams events while the task runs, through Range polling", func() {
		backend.Block("etcd")
		task, err := client.Deploy(ctx(), manifestFor("etcd"), director.DeployOptions{})
		Expect(err).NotTo(HaveOccurred())

		recorder := &eventRecorder{}
		waited := make(chan error, 1)
		go func() {
			_, err := client.WaitTask(ctx(), task.ID, recorder.add)
			waited <- err
		}()

		By("seeing the events written so far before the task finishes")
		Eventually(recorder.all).Should(ContainElement(And(
			HaveField("Stage", "Updating instance"), HaveField("Task", "etcd/0 (canary)"),
			HaveField("State", director.EventStarted), HaveField("Tags", []string{"etcd"}),
			HaveField("Index", 1), HaveField("Total", 1),
		)))
		Expect(recorder.all()).NotTo(ContainElement(And(HaveField("State", director.EventFinished), HaveField("Stage", "Updating instance"))))

		By("getting the rest once it is released")
		backend.Unblock("etcd")
		Eventually(waited).Should(Receive(BeNil()))
		states := []string{}
		for _, e := range recorder.all() {
			states = append(states, e.Stage+"/"+e.State)
		}
		Expect(states).To(Equal([]string{
			"Preparing deployment/started", "Preparing deployment/finished",
			"Updating instance/started", "Updating instance/finished",
		}))
	})

	It("serves output ranges with 206, 416 for nothing new and 204 for no output", func() {
		backend.Block("etcd")
		task, err := client.Deploy(ctx(), manifestFor("etcd"), director.DeployOptions{})
		Expect(err).NotTo(HaveOccurred())
		Eventually(func() int { return backend.RunningDeploys("etcd") }).Should(Equal(1))
		path := "/tasks/1/output?type=event"

		var first []byte
		Eventually(func() int {
			resp := d.rawGet(path, http.Header{"Range": {"bytes=0-"}}, true)
			first, err = readAll(resp)
			return strings.Count(string(first), "\n")
		}).Should(Equal(3)) // Preparing started+finished, Updating started

		resp := d.rawGet(path, http.Header{"Range": {"bytes=0-"}}, true)
		Expect(resp.StatusCode).To(Equal(http.StatusPartialContent))
		Expect(resp.Header.Get("Content-Range")).To(Equal(fmtRange(0, len(first))))

		resp = d.rawGet(path, http.Header{"Range": {rangeFrom(len(first))}}, true)
		Expect(resp.StatusCode).To(Equal(http.StatusRequestedRangeNotSatisfiable))

		resp = d.rawGet("/tasks/1/output?type=result", http.Header{"Range": {"bytes=0-"}}, true)
		Expect(resp.StatusCode).To(Equal(http.StatusNoContent))

		backend.Unblock("etcd")
		_, err = client.WaitTask(ctx(), task.ID, nil)
		Expect(err).NotTo(HaveOccurred())
		resp = d.rawGet(path, http.Header{"Range": {rangeFrom(len(first))}}, true)
		Expect(resp.StatusCode).To(Equal(http.StatusPartialContent))
		rest, err := readAll(resp)
		Expect(err).NotTo(HaveOccurred())
		var last director.TaskEvent
		Expect(json.Unmarshal(rest, &last)).To(Succeed())
		Expect(last.State).To(Equal(director.EventFinished))

		By("serving everything without a Range")
		resp = d.rawGet(path, nil, true)
		Expect(resp.StatusCode).To(Equal(http.StatusOK))
		all, err := readAll(resp)
		Expect(err).NotTo(HaveOccurred())
		Expect(string(all)).To(Equal(string(first) + string(rest)))
	})

	It("runs one task per deployment at a time, and other deployments alongside", func() {
		backend.Block("etcd")
		backend.Block("other")
		first, err := client.Deploy(ctx(), manifestFor("etcd"), director.DeployOptions{})
		Expect(err).NotTo(HaveOccurred())
		Eventually(func() int { return backend.RunningDeploys("etcd") }).Should(Equal(1))

		second, err := client.Deploy(ctx(), []byte("name: etcd\nsecond: true\n"), director.DeployOptions{})
		Expect(err).NotTo(HaveOccurred())
		other, err := client.Deploy(ctx(), manifestFor("other"), director.DeployOptions{})
		Expect(err).NotTo(HaveOccurred())

		By("running the other deployment while the first deploy is blocked")
		Eventually(func() int { return backend.RunningDeploys("other") }).Should(Equal(1))
		waiting, err := client.Task(ctx(), second.ID)
		Expect(err).NotTo(HaveOccurred())
		Expect(waiting.State).To(Equal(director.StateProcessing), "it waits for the deployment's lock")
		Expect(backend.RunningDeploys("etcd")).To(Equal(1))

		By("listing the locks the running tasks hold, as GET /locks does")
		resp := d.rawGet("/locks", nil, true)
		Expect(resp.StatusCode).To(Equal(http.StatusOK))
		body, err := readAll(resp)
		Expect(err).NotTo(HaveOccurred())
		var locks []map[string]any
		Expect(json.Unmarshal(body, &locks)).To(Succeed())
		Expect(locks).To(ConsistOf(
			And(HaveKeyWithValue("type", "deployment"), HaveKeyWithValue("resource", []any{"etcd"}), HaveKeyWithValue("task_id", fmt.Sprint(first.ID)),
				HaveKeyWithValue("timeout", MatchRegexp(`^[0-9]+\.[0-9]{6}$`))),
			And(HaveKeyWithValue("resource", []any{"other"}), HaveKeyWithValue("task_id", fmt.Sprint(other.ID))),
		))

		By("starting the second deploy once the first is done, within the lock timeout")
		backend.Unblock("etcd")
		_, err = client.WaitTask(ctx(), first.ID, nil)
		Expect(err).NotTo(HaveOccurred())
		backend.Unblock("etcd")
		_, err = client.WaitTask(ctx(), second.ID, nil)
		Expect(err).NotTo(HaveOccurred())
		backend.Unblock("other")
		_, err = client.WaitTask(ctx(), other.ID, nil)
		Expect(err).NotTo(HaveOccurred())

		Expect(backend.MostConcurrentDeploys("etcd")).To(Equal(1))
		var etcdManifests []string
		for _, req := range backend.Deploys() {
			if req.Name == "etcd" {
				etcdManifests = append(etcdManifests, string(req.Manifest))
			}
		}
		Expect(etcdManifests).To(Equal([]string{string(manifestFor("etcd")), "name: etcd\nsecond: true\n"}))
	})

	It("fails a task whose deployment stays locked past the lock timeout, naming the task holding it", func() {
		d = startDirector(GinkgoT().TempDir(), backend, func(o *api.Options) { o.LockTimeout = 500 * time.Millisecond })
		client = d.client()
		backend.Block("etcd")
		first, err := client.Deploy(ctx(), manifestFor("etcd"), director.DeployOptions{})
		Expect(err).NotTo(HaveOccurred())
		Eventually(func() int { return backend.RunningDeploys("etcd") }).Should(Equal(1))

		second, err := client.Deploy(ctx(), manifestFor("etcd"), director.DeployOptions{})
		Expect(err).NotTo(HaveOccurred())
		task, err := client.WaitTask(ctx(), second.ID, nil)
		Expect(err).To(HaveOccurred())
		Expect(task.State).To(Equal(director.StateError))
		Expect(task.Result).To(MatchRegexp(`^Failed to acquire lock for lock:deployment:etcd uid: [0-9a-f-]{36}\. Locking task id is %d, description: 'create deployment'$`, first.ID))
		Expect(backend.Deploys()).To(HaveLen(1), "the second deploy never reached the backend")

		backend.Unblock("etcd")
		_, err = client.WaitTask(ctx(), first.ID, nil)
		Expect(err).NotTo(HaveOccurred())
	})

	It("cancels a task as `bosh cancel-task` does: cancelling until its next checkpoint, then cancelled", func() {
		backend.Block("etcd")
		task, err := client.Deploy(ctx(), manifestFor("etcd"), director.DeployOptions{})
		Expect(err).NotTo(HaveOccurred())
		Eventually(func() int { return backend.RunningDeploys("etcd") }).Should(Equal(1))

		resp := d.rawRequest(http.MethodDelete, fmt.Sprintf("/task/%d", task.ID), nil, nil, true)
		Expect(resp.StatusCode).To(Equal(http.StatusNoContent))
		cancelling, err := client.Task(ctx(), task.ID)
		Expect(err).NotTo(HaveOccurred())
		Expect(cancelling.State).To(Equal(director.StateCancelling))

		backend.Unblock("etcd") // the canary finishes; the next checkpoint stops the task
		done, err := client.WaitTask(ctx(), task.ID, nil)
		Expect(err).To(HaveOccurred())
		Expect(done.State).To(Equal(director.StateCancelled))
		Expect(done.Result).To(Equal("task cancelled"))
		Expect(done.Timestamp).NotTo(BeZero())

		By("refusing to cancel a finished task")
		resp = d.rawRequest(http.MethodDelete, fmt.Sprintf("/task/%d", task.ID), nil, nil, true)
		Expect(resp.StatusCode).To(Equal(http.StatusBadRequest))
		body, err := readAll(resp)
		Expect(err).NotTo(HaveOccurred())
		Expect(string(body)).To(ContainSubstring(fmt.Sprintf("Cannot cancel task %d: invalid state (cancelled)", task.ID)))
		Expect(d.rawRequest(http.MethodDelete, "/task/999", nil, nil, true).StatusCode).To(Equal(http.StatusNotFound))
	})

	It("cancels the selected tasks as `bosh cancel-tasks` does, and a task cancelled while it waits for the lock", func() {
		backend.Block("etcd")
		first, err := client.Deploy(ctx(), manifestFor("etcd"), director.DeployOptions{})
		Expect(err).NotTo(HaveOccurred())
		Eventually(func() int { return backend.RunningDeploys("etcd") }).Should(Equal(1))
		second, err := client.Deploy(ctx(), manifestFor("etcd"), director.DeployOptions{})
		Expect(err).NotTo(HaveOccurred())

		resp := d.rawRequest(http.MethodPost, "/tasks/cancel", strings.NewReader(`{"states":["done"]}`), http.Header{"Content-Type": {"application/json"}}, true)
		Expect(resp.StatusCode).To(Equal(http.StatusBadRequest))
		resp = d.rawRequest(http.MethodPost, "/tasks/cancel", strings.NewReader(`{"deployment":"etcd","types":["update_deployment"]}`), http.Header{"Content-Type": {"application/json"}}, true)
		Expect(resp.StatusCode).To(Equal(http.StatusNoContent))

		waited, err := client.WaitTask(ctx(), second.ID, nil)
		Expect(err).To(HaveOccurred())
		Expect(waited.State).To(Equal(director.StateCancelled))
		backend.Unblock("etcd")
		ran, err := client.WaitTask(ctx(), first.ID, nil)
		Expect(err).To(HaveOccurred())
		Expect(ran.State).To(Equal(director.StateCancelled))
		Expect(backend.Deploys()).To(HaveLen(1))
	})

	It("knows a deployment from the moment its first deploy is accepted", func() {
		backend.Block("etcd")
		task, err := client.Deploy(ctx(), manifestFor("etcd"), director.DeployOptions{})
		Expect(err).NotTo(HaveOccurred())

		instances, err := client.Instances(ctx(), "etcd")
		Expect(err).NotTo(HaveOccurred())
		Expect(instances).To(BeEmpty())
		del, err := client.DeleteDeployment(ctx(), "etcd", false)
		Expect(err).NotTo(HaveOccurred())

		backend.Unblock("etcd")
		_, err = client.WaitTask(ctx(), task.ID, nil)
		Expect(err).NotTo(HaveOccurred())
		_, err = client.WaitTask(ctx(), del.ID, nil)
		Expect(err).NotTo(HaveOccurred())
		_, err = client.Deployment(ctx(), "etcd")
		Expect(director.ErrorCode(err)).To(Equal(director.CodeDeploymentNotFound))
	})

	It("reports a failed task with its id, state and result, and the director's failure event", func() {
		backend.FailDeploys(director.NewError(http.StatusBadRequest, 140004, "Instance group 'etcd' references an unknown vm type 'large'"))
		task, err := client.Deploy(ctx(), manifestFor("etcd"), director.DeployOptions{})
		Expect(err).NotTo(HaveOccurred())

		final, err := client.WaitTask(ctx(), task.ID, nil)
		var taskErr *director.TaskError
		Expect(errors.As(err, &taskErr)).To(BeTrue())
		Expect(*taskErr).To(Equal(director.TaskError{
			ID: task.ID, State: director.StateError, Result: "Instance group 'etcd' references an unknown vm type 'large'",
		}))
		Expect(final.State).To(Equal(director.StateError))

		events := outputLines(client, task.ID, director.OutputEvent)
		Expect(events[len(events)-2]).To(And(HaveKeyWithValue("state", "failed"),
			HaveKeyWithValue("data", HaveKeyWithValue("error", ContainSubstring("unknown vm type")))))
		last := events[len(events)-1]
		Expect(last).To(HaveLen(2))
		Expect(last).To(HaveKey("time"))
		Expect(last["error"]).To(Equal(map[string]any{
			"code": float64(140004), "message": "Instance group 'etcd' references an unknown vm type 'large'",
		}))
	})

	It("gives a plain backend error the generic director error code", func() {
		backend.FailDeploys(errors.New("compiling package etcd: exit status 2"))
		task, err := client.Deploy(ctx(), manifestFor("etcd"), director.DeployOptions{})
		Expect(err).NotTo(HaveOccurred())
		_, err = client.WaitTask(ctx(), task.ID, nil)
		Expect(err).To(MatchError(ContainSubstring("compiling package etcd: exit status 2")))
		events := outputLines(client, task.ID, director.OutputEvent)
		Expect(events[len(events)-1]["error"]).To(HaveKeyWithValue("code", float64(director.CodeDirectorError)))
	})

	It("fails a task whose backend panics, and keeps serving", func() {
		task, err := client.Deploy(ctx(), manifestFor("panic"), director.DeployOptions{})
		Expect(err).NotTo(HaveOccurred())
		_, err = client.WaitTask(ctx(), task.ID, nil)
		Expect(err).To(MatchError(ContainSubstring("the task panicked (fake backend bug)")))
		debug, err := client.TaskOutput(ctx(), task.ID, director.OutputDebug)
		Expect(err).NotTo(HaveOccurred())
		Expect(string(debug)).To(ContainSubstring("goroutine"))

		_, err = client.Info(ctx())
		Expect(err).NotTo(HaveOccurred())
	})

	It("refuses a manifest that is not YAML, or has no name, before starting a task", func() {
		_, err := client.Deploy(ctx(), []byte("name: [unclosed\n"), director.DeployOptions{})
		de := directorError(err)
		Expect(de.StatusCode).To(Equal(http.StatusBadRequest))
		Expect(de.Code).To(Equal(director.CodeBadManifest))
		Expect(de.Description).To(HavePrefix("Incorrect YAML structure of the uploaded manifest"))

		_, err = client.Deploy(ctx(), []byte("instance_groups: []\n"), director.DeployOptions{})
		de = directorError(err)
		Expect(de.StatusCode).To(Equal(http.StatusBadRequest))
		Expect(de.Code).To(Equal(director.CodeValidationMissingField))

		_, err = client.Deploy(ctx(), manifestFor("etcd"), director.DeployOptions{MaxInFlight: "lots"})
		Expect(directorError(err).Code).To(Equal(director.CodeValidationInvalidValue))

		tasks, err := client.Tasks(ctx(), director.TaskFilter{Verbose: 2})
		Expect(err).NotTo(HaveOccurred())
		Expect(tasks).To(BeEmpty())
	})

	It("answers 404 with the director's error for an unknown deployment", func() {
		_, err := client.Deployment(ctx(), "nope")
		de := directorError(err)
		Expect(*de).To(Equal(director.Error{StatusCode: http.StatusNotFound, Code: 70000, Description: "Deployment 'nope' doesn't exist"}))

		_, err = client.DeleteDeployment(ctx(), "nope", false)
		Expect(directorError(err).Code).To(Equal(director.CodeDeploymentNotFound))
		_, err = client.Instances(ctx(), "nope")
		Expect(directorError(err).StatusCode).To(Equal(http.StatusNotFound))
	})

	It("deletes a deployment in a 'delete deployment <name>' task", func() {
		task, err := client.Deploy(ctx(), manifestFor("etcd"), director.DeployOptions{})
		Expect(err).NotTo(HaveOccurred())
		_, err = client.WaitTask(ctx(), task.ID, nil)
		Expect(err).NotTo(HaveOccurred())

		del, err := client.DeleteDeployment(ctx(), "etcd", true)
		Expect(err).NotTo(HaveOccurred())
		Expect(del.Description).To(Equal("delete deployment etcd"))
		final, err := client.WaitTask(ctx(), del.ID, nil)
		Expect(err).NotTo(HaveOccurred())
		Expect(final.Result).To(Equal("/deployments/etcd"))
		deps, err := client.Deployments(ctx())
		Expect(err).NotTo(HaveOccurred())
		Expect(deps).To(BeEmpty())
	})

	It("records the context id on the tasks a client starts", func() {
		tagged := d.client(func(c *director.Config) { c.ContextID = "pipeline-42" })
		task, err := tagged.Deploy(ctx(), manifestFor("etcd"), director.DeployOptions{})
		Expect(err).NotTo(HaveOccurred())
		Expect(task.ContextID).To(Equal("pipeline-42"))
		_, err = client.Deploy(ctx(), manifestFor("other"), director.DeployOptions{})
		Expect(err).NotTo(HaveOccurred())

		tasks, err := client.Tasks(ctx(), director.TaskFilter{ContextID: "pipeline-42"})
		Expect(err).NotTo(HaveOccurred())
		Expect(tasks).To(ConsistOf(HaveField("ID", task.ID)))
	})
})

func readAll(resp *http.Response) ([]byte, error) {
	defer resp.Body.Close()
	var b strings.Builder
	_, err := io.Copy(&b, resp.Body)
	return []byte(b.String()), err
}

func rangeFrom(offset int) string { return fmt.Sprintf("bytes=%d-", offset) }

func fmtRange(start, length int) string {
	return fmt.Sprintf("bytes %d-%d/%d", start, start+length-1, start+length)
}
