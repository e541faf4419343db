package integration_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/testdirector"
	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/vm"
	"github.com/cloudfoundry-incubator/etcd-release/src/release"
)

// The requests below are those the bosh CLI (v7, github.com/cloudfoundry/
// bosh-cli director/*.go) sends for each command, path, query, headers and
// body as it forms them, replayed one by one against a real test director;
// each answer is checked for the shape the CLI decodes.

var (
	yamlBody = http.Header{"Content-Type": {"text/yaml"}}
	jsonBody = http.Header{"Content-Type": {"application/json"}}
)

// cliTask checks a task-starting answer (302 to /tasks/<id>, which the
// CLI follows) and follows the task as the CLI's task reporter does.
func cliTask(ctx SpecContext, resp testdirector.Response) (id int, state string, events []map[string]any, result []map[string]any) {
	GinkgoHelper()
	Expect(resp.Status).To(Equal(http.StatusFound), "%s", resp.Body)
	_, err := fmt.Sscanf(resp.Header.Get("Location"), "/tasks/%d", &id)
	Expect(err).NotTo(HaveOccurred(), "Location %q", resp.Header.Get("Location"))
	state, ev, res, err := bosh.FollowTaskAsCLI(ctx, id)
	Expect(err).NotTo(HaveOccurred())
	return id, state, jsonLines(ev), jsonLines(res)
}

func jsonLines(data []byte) []map[string]any {
	GinkgoHelper()
	var out []map[string]any
	for _, line := range bytes.Split(bytes.TrimSpace(data), []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		var v map[string]any
		Expect(json.Unmarshal(line, &v)).To(Succeed(), "%s", line)
		out = append(out, v)
	}
	return out
}

func cliGet(ctx SpecContext, path string, into any) {
	GinkgoHelper()
	resp, err := bosh.Request(ctx, http.MethodGet, path, nil, "")
	Expect(err).NotTo(HaveOccurred())
	Expect(resp.Status).To(Equal(http.StatusOK), "GET %s: %s", path, resp.Body)
	Expect(json.Unmarshal(resp.Body, into)).To(Succeed(), "%s", resp.Body)
}

func cliSend(ctx SpecContext, method, path string, header http.Header, body string) testdirector.Response {
	GinkgoHelper()
	resp, err := bosh.Request(ctx, method, path, header, body)
	Expect(err).NotTo(HaveOccurred())
	return resp
}

func taskResult(ctx SpecContext, id int) map[string]any {
	GinkgoHelper()
	var t map[string]any
	cliGet(ctx, fmt.Sprintf("/tasks/%d", id), &t)
	return t
}

// lightStemcell is a light stemcell's tarball: stemcell.MF and an empty image.
func lightStemcell(name, version string) string {
	GinkgoHelper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, f := range []struct{ name, body string }{
		{"stemcell.MF", fmt.Sprintf("name: %s\nversion: '%s'\noperating_system: ubuntu-jammy\napi_version: 3\nstemcell_formats: [warden-light]\ncloud_properties: {}\n", name, version)},
		{"image", ""},
	} {
		Expect(tw.WriteHeader(&tar.Header{Name: f.name, Mode: 0o644, Size: int64(len(f.body))})).To(Succeed())
		_, err := tw.Write([]byte(f.body))
		Expect(err).NotTo(HaveOccurred())
	}
	Expect(tw.Close()).To(Succeed())
	Expect(gz.Close()).To(Succeed())
	return buf.String()
}

var _ = Describe("the bosh CLI's requests, replayed", Label("integration"), Ordered, func() {
	var dep *fixtureDeployment

	BeforeAll(func(ctx SpecContext) {
		dep = newFixtureDeployment("cli-replay")
		g := dep.addLoggerGroup("logger", 2)
		g["persistent_disk"] = 256
		dep.doc["variables"] = []any{map[string]any{"name": "admin_password", "type": "password"}}
	})

	AfterAll(func(ctx SpecContext) {
		body, _ := json.Marshal(map[string]string{"type": "runtime", "name": "cli-replay", "content": "addons: []\n"})
		Expect(cliSend(ctx, http.MethodPost, "/configs", jsonBody, string(body)).Status).To(Equal(http.StatusCreated))
	})

	It("bosh env: GET /info", func(ctx SpecContext) {
		var info map[string]any
		cliGet(ctx, "/info", &info)
		Expect(info).To(HaveKeyWithValue("user_authentication", HaveKeyWithValue("type", "basic")))
		Expect(info).To(HaveKey("uuid"))
	})

	It("bosh upload-stemcell (a light stemcell): POST /stemcell_uploads, then POST /stemcells with the tarball", func(ctx SpecContext) {
		const name, version = "bosh-warden-boshlite-ubuntu-jammy", "1.512"
		ask := fmt.Sprintf(`{"stemcell":{"name":%q,"version":%q}}`, name, version)
		var needed map[string]bool
		resp := cliSend(ctx, http.MethodPost, "/stemcell_uploads", jsonBody, ask)
		Expect(resp.Status).To(Equal(http.StatusOK))
		Expect(json.Unmarshal(resp.Body, &needed)).To(Succeed())
		Expect(needed).To(Equal(map[string]bool{"needed": true}))

		id, state, _, _ := cliTask(ctx, cliSend(ctx, http.MethodPost, "/stemcells?", http.Header{"Content-Type": {"application/x-compressed"}}, lightStemcell(name, version)))
		Expect(state).To(Equal("done"))
		Expect(taskResult(ctx, id)).To(And(HaveKeyWithValue("description", "create stemcell"), HaveKeyWithValue("result", "/stemcells/"+name+"/"+version)))

		var stemcells []map[string]any
		cliGet(ctx, "/stemcells", &stemcells)
		Expect(stemcells).To(ContainElement(And(HaveKeyWithValue("name", name), HaveKeyWithValue("version", version),
			HaveKeyWithValue("operating_system", "ubuntu-jammy"), HaveKey("cid"), HaveKey("deployments"))))
		resp = cliSend(ctx, http.MethodPost, "/stemcell_uploads", jsonBody, ask)
		Expect(json.Unmarshal(resp.Body, &needed)).To(Succeed())
		Expect(needed).To(Equal(map[string]bool{"needed": false}), "bosh upload-stemcell then says it already exists")
	})

	It("bosh upload-release: GET /releases, then POST /releases with the tarball", func(ctx SpecContext) {
		var releases []map[string]any
		cliGet(ctx, "/releases", &releases)
		Expect(releases).To(ContainElement(And(HaveKeyWithValue("name", fixtureRelease), HaveKey("release_versions"))))

		work := GinkgoT().TempDir()
		Expect(os.CopyFS(filepath.Join(work, "r"), os.DirFS("../testdata/fixture-release"))).To(Succeed())
		created, err := release.Create(ctx, filepath.Join(work, "r"), release.CreateOptions{Force: true, Tarball: filepath.Join(work, "r.tgz")})
		Expect(err).NotTo(HaveOccurred())
		tarball, err := os.ReadFile(created.TarballPath)
		Expect(err).NotTo(HaveOccurred())
		id, state, _, _ := cliTask(ctx, cliSend(ctx, http.MethodPost, "/releases?", http.Header{"Content-Type": {"application/x-compressed"}}, string(tarball)))
		Expect(state).To(Equal("done"))
		Expect(taskResult(ctx, id)["result"]).To(HavePrefix("Created release '" + fixtureRelease + "/"))
	})

	It("bosh update-runtime-config: POST /configs; its addon is deployed with the manifest", func(ctx SpecContext) {
		content := "addons:\n- name: smoke-everywhere\n  jobs:\n  - {name: smoke, release: " + fixtureRelease + "}\n  include:\n    deployments: [cli-replay]\n"
		body, err := json.Marshal(map[string]string{"type": "runtime", "name": "cli-replay", "content": content})
		Expect(err).NotTo(HaveOccurred())
		resp := cliSend(ctx, http.MethodPost, "/configs", jsonBody, string(body))
		Expect(resp.Status).To(Equal(http.StatusCreated), "%s", resp.Body)
		var configs []map[string]any
		cliGet(ctx, "/configs?latest=true&type=runtime", &configs)
		Expect(configs).To(ContainElement(And(HaveKeyWithValue("name", "cli-replay"), HaveKeyWithValue("content", content))))
	})

	It("bosh deploy: the deploy configs, the diff (stopping if it failed), then POST /deployments with the diff's context", func(ctx SpecContext) {
		var deployConfigs []any
		cliGet(ctx, "/configs?latest=true&type=deploy", &deployConfigs)

		manifest := string(mustYAML(dep.doc))
		resp := cliSend(ctx, http.MethodPost, "/deployments/cli-replay/diff?redact=true", yamlBody, manifest)
		Expect(resp.Status).To(Equal(http.StatusOK))
		var diff struct {
			Context map[string]any `json:"context"`
			Diff    [][]any        `json:"diff"`
		}
		Expect(json.Unmarshal(resp.Body, &diff)).To(Succeed())
		Expect(diff.Context).To(HaveKey("cloud_config_ids"))
		Expect(diff.Context).To(HaveKey("runtime_config_ids"))
		Expect(diff.Diff).To(ContainElement([]any{"name: cli-replay", "added"}))
		Expect(diff.Diff).To(ContainElement([]any{"        greeting: <redacted>", "added"}), "properties are redacted")
		contextJSON, err := json.Marshal(diff.Context)
		Expect(err).NotTo(HaveOccurred())

		_, state, events, _ := cliTask(ctx, cliSend(ctx, http.MethodPost, "/deployments?context="+url.QueryEscape(string(contextJSON)), yamlBody, manifest))
		Expect(state).To(Equal("done"), "%v", events)
		Expect(events).To(ContainElement(And(HaveKeyWithValue("stage", "Updating instance"), HaveKeyWithValue("state", "finished"),
			HaveKeyWithValue("tags", []any{"logger"}))))

		By("showing no change in a second diff")
		resp = cliSend(ctx, http.MethodPost, "/deployments/cli-replay/diff?redact=true", yamlBody, manifest)
		Expect(json.Unmarshal(resp.Body, &diff)).To(Succeed())
		Expect(diff.Diff).To(BeEmpty())
	})

	It("bosh deployments: GET /deployments", func(ctx SpecContext) {
		var deps []map[string]any
		cliGet(ctx, "/deployments", &deps)
		Expect(deps).To(ContainElement(And(HaveKeyWithValue("name", "cli-replay"), HaveKeyWithValue("cloud_config", "latest"),
			HaveKeyWithValue("locked", false), HaveKey("releases"), HaveKey("stemcells"), HaveKey("teams"))))
	})

	It("bosh instances --ps --details and bosh vms --vitals: format=full tasks", func(ctx SpecContext) {
		for _, path := range []string{"/deployments/cli-replay/instances?format=full", "/deployments/cli-replay/vms?format=full"} {
			id, state, _, lines := cliTask(ctx, cliSend(ctx, http.MethodGet, path, nil, ""))
			Expect(state).To(Equal("done"))
			Expect(taskResult(ctx, id)["description"]).To(Equal("retrieve vm-stats"))
			Expect(lines).To(HaveLen(2))
			for _, l := range lines {
				Expect(l).To(And(HaveKeyWithValue("job_name", "logger"), HaveKeyWithValue("job_state", "running"),
					HaveKeyWithValue("az", "z1"), HaveKeyWithValue("ignore", false), HaveKey("vm_cid"), HaveKey("agent_id"),
					HaveKey("vm_created_at"), HaveKey("ips"), HaveKey("disk_cids"), HaveKey("bootstrap"), HaveKey("id"), HaveKey("index")))
				Expect(l["processes"]).To(ContainElement(And(HaveKeyWithValue("name", "logger"), HaveKeyWithValue("state", "running"),
					HaveKey("uptime"), HaveKey("mem"), HaveKey("cpu"))))
				Expect(l["vitals"]).To(And(HaveKey("cpu"), HaveKey("mem"), HaveKey("swap"), HaveKeyWithValue("load", HaveLen(3)),
					HaveKeyWithValue("disk", And(HaveKey("system"), HaveKey("ephemeral"), HaveKey("persistent")))))
			}
		}
	})

	It("bosh errands and bosh variables: GET /deployments/:d/errands and /variables", func(ctx SpecContext) {
		var errands []map[string]any
		cliGet(ctx, "/deployments/cli-replay/errands", &errands)
		Expect(errands).To(Equal([]map[string]any{{"name": "smoke"}}), "the runtime config's addon brought the smoke job, which has a bin/run")
		var vars []map[string]any
		cliGet(ctx, "/deployments/cli-replay/variables", &vars)
		Expect(vars).To(ConsistOf(And(HaveKeyWithValue("name", "admin_password"), HaveKeyWithValue("id", Not(BeEmpty())))))
	})

	It("bosh run-errand (and --when-changed): POST /deployments/:d/errands/:e/runs", func(ctx SpecContext) {
		id, state, _, results := cliTask(ctx, cliSend(ctx, http.MethodPost, "/deployments/cli-replay/errands/smoke/runs", jsonBody,
			`{"keep-alive":false,"when-changed":false,"instances":[]}`))
		Expect(state).To(Equal("done"))
		Expect(taskResult(ctx, id)).To(And(HaveKeyWithValue("description", "run errand smoke from deployment cli-replay"),
			HaveKeyWithValue("result", "2 succeeded, 0 errored, 0 canceled")))
		Expect(results).To(HaveLen(2))
		Expect(results[0]).To(And(HaveKeyWithValue("errand_name", "smoke"), HaveKeyWithValue("exit_code", float64(0)),
			HaveKeyWithValue("stdout", "smoke test passed\n"), HaveKeyWithValue("instance", HaveKeyWithValue("group", "logger")), HaveKey("logs")))

		id, state, _, results = cliTask(ctx, cliSend(ctx, http.MethodPost, "/deployments/cli-replay/errands/smoke/runs", jsonBody,
			`{"keep-alive":false,"when-changed":true,"instances":[{"group":"logger"}]}`))
		Expect(state).To(Equal("done"))
		Expect(results).To(BeEmpty(), "nothing changed since the last successful run")
		Expect(taskResult(ctx, id)["result"]).To(Equal("0 succeeded, 0 errored, 0 canceled"))
	})

	It("bosh stop, start, restart, recreate: PUT /deployments/:d/jobs/...?state=", func(ctx SpecContext) {
		inst := dep.instancesOf(ctx, "logger")[0]
		for _, step := range []struct{ path, state string }{
			{"/deployments/cli-replay/jobs/logger/" + inst.ID + "?state=stopped", "stopped"},
			{"/deployments/cli-replay/jobs/logger?state=started", "started"},
			{"/deployments/cli-replay/jobs/*?max_in_flight=2&state=restart", "started"},
			{"/deployments/cli-replay/jobs/logger/" + inst.ID + "?state=recreate", "started"},
		} {
			id, state, events, _ := cliTask(ctx, cliSend(ctx, http.MethodPut, step.path, yamlBody, ""))
			Expect(state).To(Equal("done"), "%s: %v", step.path, events)
			Expect(taskResult(ctx, id)["description"]).To(Equal("create deployment"))
			got, err := bosh.Instance(ctx, dep.name, inst.ID)
			Expect(err).NotTo(HaveOccurred())
			Expect(got.State).To(Equal(step.state), step.path)
		}
	})

	It("bosh cancel-task: DELETE /task/:id stops a deploy at its next instance; bosh locks shows the lock meanwhile", func(ctx SpecContext) {
		dep.props("logger")["pre_start_sleep_seconds"] = 4
		resp := cliSend(ctx, http.MethodPost, "/deployments", yamlBody, string(mustYAML(dep.doc)))
		Expect(resp.Status).To(Equal(http.StatusFound))
		var id int
		_, err := fmt.Sscanf(resp.Header.Get("Location"), "/tasks/%d", &id)
		Expect(err).NotTo(HaveOccurred())
		counts := dep.recordCounts()
		Eventually(func(g Gomega) {
			var locks []map[string]any
			cliGet(ctx, "/locks", &locks)
			g.Expect(locks).To(ContainElement(And(HaveKeyWithValue("type", "deployment"), HaveKeyWithValue("resource", []any{"cli-replay"}),
				HaveKeyWithValue("task_id", fmt.Sprint(id)))))
		}).WithTimeout(20 * time.Second).Should(Succeed())
		Eventually(func() []string {
			var started []string
			for _, e := range jsonLines(mustOutput(ctx, id)) {
				if e["stage"] == "Updating instance" && e["state"] == "started" {
					started = append(started, e["task"].(string))
				}
			}
			return started
		}).WithTimeout(60*time.Second).Should(HaveLen(1), "the canary is being updated")

		Expect(cliSend(ctx, http.MethodDelete, fmt.Sprintf("/task/%d", id), nil, "").Status).To(Equal(http.StatusNoContent))
		Expect(taskResult(ctx, id)["state"]).To(Equal("cancelling"))
		state, _, _, err := bosh.FollowTaskAsCLI(ctx, id)
		Expect(err).NotTo(HaveOccurred())
		Expect(state).To(Equal("cancelled"))
		Expect(taskResult(ctx, id)["result"]).To(Equal("task cancelled"))
		updated := 0
		for _, inst := range dep.instancesOf(ctx, "logger") {
			if len(only("pre-start", dep.recordsSince(inst.ID, counts))) > 0 {
				updated++
			}
		}
		Expect(updated).To(Equal(1), "the canary finished; the other instance was never started on")
		var locks []map[string]any
		cliGet(ctx, "/locks", &locks)
		Expect(locks).To(BeEmpty())

		dep.props("logger")["pre_start_sleep_seconds"] = 0
		dep.mustDeploy(ctx)
	})

	It("bosh cck: POST /deployments/:d/scans, GET and PUT /deployments/:d/problems, after a VM was killed", func(ctx SpecContext) {
		scan := func() []map[string]any {
			GinkgoHelper()
			id, state, _, _ := cliTask(ctx, cliSend(ctx, http.MethodPost, "/deployments/cli-replay/scans", jsonBody, ""))
			Expect(state).To(Equal("done"))
			Expect(taskResult(ctx, id)).To(And(HaveKeyWithValue("description", "scan cloud"), HaveKeyWithValue("result", "scan complete")))
			var problems []map[string]any
			cliGet(ctx, "/deployments/cli-replay/problems", &problems)
			return problems
		}
		Expect(scan()).To(BeEmpty())

		victim := dep.instancesOf(ctx, "logger")[0]
		marker := "written before the VM died"
		_, err := bosh.Run(ctx, dep.name, victim.ID, vm.Cmd{Argv: []string{"sh", "-c", "echo '" + marker + "' > /var/vcap/store/marker"}})
		Expect(err).NotTo(HaveOccurred())
		v, err := bosh.VM(ctx, dep.name, victim.ID)
		Expect(err).NotTo(HaveOccurred())
		Expect(v.KillInit()).To(Succeed())

		problems := scan()
		Expect(problems).To(HaveLen(1))
		p := problems[0]
		Expect(p).To(And(HaveKeyWithValue("type", "missing_vm"), HaveKeyWithValue("instance_group", "logger"),
			HaveKeyWithValue("description", fmt.Sprintf("VM for 'logger/%s (%d)' with cloud ID '%s' missing.", victim.ID, victim.Index, victim.VMCID))))
		Expect(p["resolutions"]).To(ContainElement(map[string]any{"name": "recreate_vm", "plan": "Recreate VM and wait for processes to start"}))

		body := fmt.Sprintf(`{"resolutions":{"%v":"recreate_vm"},"max_in_flight_overrides":{}}`, p["id"])
		id, state, events, _ := cliTask(ctx, cliSend(ctx, http.MethodPut, "/deployments/cli-replay/problems", jsonBody, body))
		Expect(state).To(Equal("done"), "%v", events)
		Expect(taskResult(ctx, id)).To(And(HaveKeyWithValue("description", "apply resolutions"), HaveKeyWithValue("result", "1 resolved")))

		after, err := bosh.Instance(ctx, dep.name, victim.ID)
		Expect(err).NotTo(HaveOccurred())
		Expect(after.VMCID).NotTo(Equal(victim.VMCID))
		Expect(*after.DiskCID).To(Equal(*victim.DiskCID))
		Expect(after.JobState).To(Equal("running"))
		content, err := bosh.ReadFile(ctx, dep.name, victim.ID, "/var/vcap/store/marker")
		Expect(err).NotTo(HaveOccurred())
		Expect(strings.TrimSpace(string(content))).To(Equal(marker), "the recreated VM has the persistent disk")
		Expect(scan()).To(BeEmpty())
	})
})

func mustOutput(ctx SpecContext, id int) []byte {
	GinkgoHelper()
	resp, err := bosh.Request(ctx, http.MethodGet, fmt.Sprintf("/tasks/%d/output?type=event", id), nil, "")
	Expect(err).NotTo(HaveOccurred())
	return resp.Body
}
