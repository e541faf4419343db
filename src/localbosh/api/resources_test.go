package api_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/director"
	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/api"
	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/api/apitest"
)

var _ = Describe("resources", func() {
	var (
		d       *runningDirector
		backend *apitest.Backend
		client  *director.Client
	)

	BeforeEach(func() {
		backend = apitest.NewBackend()
		d = startDirector(GinkgoT().TempDir(), backend)
		client = d.client()
		task, err := client.Deploy(ctx(), manifestFor("etcd"), director.DeployOptions{})
		Expect(err).NotTo(HaveOccurred())
		_, err = client.WaitTask(ctx(), task.ID, nil)
		Expect(err).NotTo(HaveOccurred())
	})

	Describe("instances and VMs", func() {
		var known []director.Instance

		BeforeEach(func() {
			az := "z1"
			known = []director.Instance{
				{VMCID: "vm-1", AgentID: "agent-1", JobName: "etcd", Index: 0, ID: "uuid-0", JobState: "running", AZ: &az, Bootstrap: true,
					IPs: []string{"10.244.0.2"}, Processes: []director.Process{{Name: "etcd", State: "running"}}},
				{JobName: "acceptance-tests", Index: 0, ID: "uuid-1"},
			}
			backend.SetInstances(known...)
		})

		It("returns every instance as result lines of a 'retrieve vm-stats' task", func() {
			instances, err := client.Instances(ctx(), "etcd")
			Expect(err).NotTo(HaveOccurred())
			Expect(instances).To(Equal(known))

			tasks, err := client.Tasks(ctx(), director.TaskFilter{Verbose: 2, Limit: 1})
			Expect(err).NotTo(HaveOccurred())
			Expect(tasks).To(ConsistOf(And(HaveField("Description", "retrieve vm-stats"), HaveField("Deployment", "etcd"))))
			lines := outputLines(client, tasks[0].ID, director.OutputResult)
			Expect(lines).To(HaveLen(2))
			Expect(lines[0]).To(HaveKeyWithValue("vm_cid", "vm-1"))
			Expect(lines[1]).To(HaveKeyWithValue("disk_cid", BeNil()))
		})

		It("returns only instances with a VM for /vms", func() {
			vms, err := client.VMs(ctx(), "etcd")
			Expect(err).NotTo(HaveOccurred())
			Expect(vms).To(ConsistOf(HaveField("VMCID", "vm-1")))
		})

		It("leaves vm-stats tasks out of the default task list", func() {
			_, err := client.Instances(ctx(), "etcd")
			Expect(err).NotTo(HaveOccurred())
			tasks, err := client.Tasks(ctx(), director.TaskFilter{})
			Expect(err).NotTo(HaveOccurred())
			Expect(tasks).To(ConsistOf(HaveField("Description", "create deployment")))
		})

		It("answers the short listing without format=full at once", func() {
			resp := d.rawGet("/deployments/etcd/instances", nil, true)
			var summaries []director.InstanceSummary
			Expect(decodeBody(resp, &summaries)).To(Succeed())
			Expect(summaries).To(HaveLen(2))
			Expect(summaries[0].CID).To(HaveValue(Equal("vm-1")))
			Expect(summaries[1].CID).To(BeNil())
			Expect(summaries[1].ExpectsVM).To(HaveValue(BeFalse()))
		})
	})

	Describe("errands", func() {
		It("runs an errand in a task with one result line per instance and a count as result", func() {
			want := []director.ErrandResult{
				{Instance: director.InstanceSlug{Group: "tests", ID: "uuid-a"}, ErrandName: "acceptance-tests", ExitCode: 0, Stdout: "ok\n"},
				{Instance: director.InstanceSlug{Group: "tests", ID: "uuid-b"}, ErrandName: "acceptance-tests", ExitCode: 3, Stderr: "boom\n"},
			}
			backend.SetErrandResults(want...)
			recorder := &eventRecorder{}
			task, results, err := client.RunErrand(ctx(), "etcd", "acceptance-tests",
				director.ErrandRequest{KeepAlive: true, Instances: []director.InstanceSlug{{Group: "tests"}}}, recorder.add)
			Expect(err).NotTo(HaveOccurred())
			Expect(results).To(Equal(want))
			Expect(task.Description).To(Equal("run errand acceptance-tests from deployment etcd"))
			Expect(task.Result).To(Equal("1 succeeded, 1 errored, 0 canceled"))
			Expect(recorder.all()).To(ContainElement(And(HaveField("Type", "warning"), HaveField("Message", "running acceptance-tests"))))
		})

		It("fails the task when the backend cannot run the errand", func() {
			_, _, err := client.RunErrand(ctx(), "etcd", "missing", director.ErrandRequest{}, nil)
			var taskErr *director.TaskError
			Expect(errors.As(err, &taskErr)).To(BeTrue())
			Expect(taskErr.Result).To(ContainSubstring("errand 'missing' is not a job"))
		})
	})

	Describe("job states", func() {
		It("passes start/stop/restart/recreate of a group or one instance to the backend", func() {
			task, err := client.ChangeJobState(ctx(), "etcd", "etcd", "uuid-0", director.JobStateOptions{State: director.JobRecreate, SkipDrain: true})
			Expect(err).NotTo(HaveOccurred())
			_, err = client.WaitTask(ctx(), task.ID, nil)
			Expect(err).NotTo(HaveOccurred())
			task, err = client.ChangeJobState(ctx(), "etcd", "etcd", "", director.JobStateOptions{State: director.JobStopped, Manifest: manifestFor("etcd")})
			Expect(err).NotTo(HaveOccurred())
			_, err = client.WaitTask(ctx(), task.ID, nil)
			Expect(err).NotTo(HaveOccurred())

			Expect(backend.JobStates()).To(HaveExactElements(
				api.JobStateRequest{Deployment: "etcd", InstanceGroup: "etcd", Instance: "uuid-0", State: "recreate", SkipDrain: true},
				api.JobStateRequest{Deployment: "etcd", InstanceGroup: "etcd", State: "stopped", Manifest: manifestFor("etcd"), CloudConfigs: []director.ConfigVersion{}},
			))
		})

		It("refuses an unknown state", func() {
			_, err := client.ChangeJobState(ctx(), "etcd", "etcd", "", director.JobStateOptions{State: "paused"})
			de := directorError(err)
			Expect(de.StatusCode).To(Equal(http.StatusBadRequest))
			Expect(de.Description).To(ContainSubstring(`"paused"`))
		})
	})

	Describe("releases", func() {
		var tarball string

		BeforeEach(func() {
			tarball = filepath.Join(GinkgoT().TempDir(), "etcd-1.tgz")
			Expect(os.WriteFile(tarball, []byte("not really a tarball"), 0o600)).To(Succeed())
		})

		It("streams an uploaded tarball to the backend in a 'create release' task and removes it after", func() {
			task, err := client.UploadReleaseFile(ctx(), tarball)
			Expect(err).NotTo(HaveOccurred())
			Expect(task.Description).To(Equal("create release"))
			final, err := client.WaitTask(ctx(), task.ID, nil)
			Expect(err).NotTo(HaveOccurred())
			Expect(final.Result).To(Equal("Created release 'etcd/1'"))
			Expect(backend.UploadedFiles()).To(ConsistOf("not really a tarball"))
			Expect(filepath.Join(d.StateDir, "uploads")).To(BeADirectory())
			Expect(os.ReadDir(filepath.Join(d.StateDir, "uploads"))).To(BeEmpty())

			releases, err := client.Releases(ctx())
			Expect(err).NotTo(HaveOccurred())
			Expect(releases).To(ConsistOf(HaveField("Name", "etcd")))
		})

		It("fetches a release from an http URL, checking its sha256", func() {
			sum := sha256.Sum256([]byte("not really a tarball"))
			task, err := client.UploadReleaseURL(ctx(), serveFile(tarball), "sha256:"+hex.EncodeToString(sum[:]))
			Expect(err).NotTo(HaveOccurred())
			_, err = client.WaitTask(ctx(), task.ID, nil)
			Expect(err).NotTo(HaveOccurred())
			Expect(backend.UploadedFiles()).To(ConsistOf("not really a tarball"))
			Expect(tarball).To(BeAnExistingFile(), "the source of a location upload is the caller's")
		})

		It("fails the task when the digest does not match", func() {
			task, err := client.UploadReleaseURL(ctx(), serveFile(tarball), "sha256:"+hex.EncodeToString(make([]byte, 32)))
			Expect(err).NotTo(HaveOccurred())
			_, err = client.WaitTask(ctx(), task.ID, nil)
			Expect(err).To(MatchError(ContainSubstring("does not match the expected SHA1")))
			events := outputLines(client, task.ID, director.OutputEvent)
			Expect(events[len(events)-1]["error"]).To(HaveKeyWithValue("code", float64(director.CodeReleaseSHA1Mismatch)))
			Expect(backend.UploadedFiles()).To(BeEmpty())
		})
	})

	It("lists no stemcells as an empty list", func() {
		stemcells, err := client.Stemcells(ctx())
		Expect(err).NotTo(HaveOccurred())
		Expect(stemcells).To(BeEmpty())
		resp := d.rawGet("/stemcells", nil, true)
		body, err := readAll(resp)
		Expect(err).NotTo(HaveOccurred())
		Expect(string(body)).To(Equal("[]"))
	})

	Describe("configs", func() {
		It("stores versions, keeping the latest when content is unchanged", func() {
			v1, err := client.UpdateConfig(ctx(), "cloud", "default", []byte("azs: []\n"))
			Expect(err).NotTo(HaveOccurred())
			again, err := client.UpdateConfig(ctx(), "cloud", "default", []byte("azs: []\n"))
			Expect(err).NotTo(HaveOccurred())
			Expect(again.ID).To(Equal(v1.ID))
			v2, err := client.UpdateConfig(ctx(), "cloud", "default", []byte("azs: [{name: z1}]\n"))
			Expect(err).NotTo(HaveOccurred())
			Expect(v2.ID).NotTo(Equal(v1.ID))
			Expect(v2.CreatedAt).To(MatchRegexp(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$`))

			latest, err := client.LatestConfig(ctx(), "cloud", "default")
			Expect(err).NotTo(HaveOccurred())
			Expect(latest).To(And(HaveField("ID", v2.ID), HaveField("Content", "azs: [{name: z1}]\n"), HaveField("Current", true)))

			_, err = client.LatestConfig(ctx(), "runtime", "default")
			Expect(err).To(MatchError(director.ErrConfigNotFound))
		})

		It("refuses a config that is not a YAML hash", func() {
			_, err := client.UpdateConfig(ctx(), "cloud", "default", []byte("- a list\n"))
			de := directorError(err)
			Expect(de.StatusCode).To(Equal(http.StatusBadRequest))
			Expect(de.Description).To(HavePrefix("Config must be valid YAML"))
		})

		It("keeps configs across a restart", func() {
			v1, err := client.UpdateConfig(ctx(), "cloud", "default", []byte("azs: []\n"))
			Expect(err).NotTo(HaveOccurred())
			d.Stop()
			restarted := startDirector(d.StateDir, backend)
			latest, err := restarted.client().LatestConfig(ctx(), "cloud", "default")
			Expect(err).NotTo(HaveOccurred())
			Expect(latest.ID).To(Equal(v1.ID))
		})
	})

	It("answers unknown routes and tasks with director errors", func() {
		_, err := client.Task(ctx(), 999)
		Expect(*directorError(err)).To(Equal(director.Error{StatusCode: http.StatusNotFound, Code: director.CodeTaskNotFound, Description: "Task 999 not found"}))
		resp := d.rawGet("/nonsense", nil, true)
		Expect(resp.StatusCode).To(Equal(http.StatusNotFound))
	})
})

func decodeBody(resp *http.Response, v any) error {
	body, err := readAll(resp)
	if err != nil {
		return err
	}
	return json.Unmarshal(body, v)
}
