package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/director"
	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/api/apitest"
)

var _ = Describe("POST /deployments/:d/diff, as bosh deploy sends it first", func() {
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

	// diff posts a manifest as the bosh CLI's Diff does and decodes the answer.
	diff := func(name, manifest, redact string) map[string]any {
		GinkgoHelper()
		resp := d.rawRequest(http.MethodPost, "/deployments/"+name+"/diff?redact="+redact, strings.NewReader(manifest),
			http.Header{"Content-Type": {"text/yaml"}}, true)
		Expect(resp.StatusCode).To(Equal(http.StatusOK))
		body, err := readAll(resp)
		Expect(err).NotTo(HaveOccurred())
		var out map[string]any
		Expect(json.Unmarshal(body, &out)).To(Succeed(), "%s", body)
		return out
	}

	It("diffs against the deployed manifest and configs, redacted, and the deploy uses the configs of the context the CLI sends back", func() {
		cc1, err := client.UpdateConfig(ctx(), director.ConfigCloud, "default", []byte("azs: [{name: z1}]\n"))
		Expect(err).NotTo(HaveOccurred())
		rc, err := client.UpdateConfig(ctx(), director.ConfigRuntime, "dns", []byte("releases: [{name: bosh-dns, version: '1'}]\n"))
		Expect(err).NotTo(HaveOccurred())

		first := diff("etcd", "name: etcd\nproperties: {password: one}\n", "true")
		Expect(first["context"]).To(HaveKeyWithValue("cloud_config_ids", []any{float64(mustAtoi(cc1.ID))}))
		Expect(first["context"]).To(HaveKeyWithValue("runtime_config_ids", []any{float64(mustAtoi(rc.ID))}))
		Expect(first["diff"]).To(ContainElements(
			[]any{"azs:", "added"}, []any{"- name: z1", "added"},
			[]any{"properties:", "added"}, []any{"  password: <redacted>", "added"},
			[]any{"- name: bosh-dns", "added"},
		))

		task, err := client.Deploy(ctx(), []byte("name: etcd\nproperties: {password: one}\n"), director.DeployOptions{})
		Expect(err).NotTo(HaveOccurred())
		_, err = client.WaitTask(ctx(), task.ID, nil)
		Expect(err).NotTo(HaveOccurred())

		By("showing only what changed since, the values with redact=false")
		cc2, err := client.UpdateConfig(ctx(), director.ConfigCloud, "default", []byte("azs: [{name: z1}, {name: z2}]\n"))
		Expect(err).NotTo(HaveOccurred())
		second := diff("etcd", "name: other-name\nproperties: {password: two}\n", "false")
		Expect(second["diff"]).To(Equal([]any{
			[]any{"azs:", nil}, []any{"- name: z2", "added"}, []any{"", nil},
			[]any{"properties:", nil}, []any{"  password: one", "removed"}, []any{"  password: two", "added"},
		}))

		By("deploying with the context of the first diff: the old cloud config")
		ctxJSON, err := json.Marshal(first["context"])
		Expect(err).NotTo(HaveOccurred())
		resp := d.rawRequest(http.MethodPost, "/deployments?context="+url.QueryEscape(string(ctxJSON)), strings.NewReader("name: etcd\n"),
			http.Header{"Content-Type": {"text/yaml"}}, true)
		Expect(resp.StatusCode).To(Equal(http.StatusFound))
		Eventually(backend.Deploys).Should(HaveLen(2))
		deploys := backend.Deploys()
		Expect(deploys[1].CloudConfigs).To(ConsistOf(HaveField("ID", cc1.ID)))
		Expect(deploys[1].RuntimeConfigs).To(ConsistOf(HaveField("ID", rc.ID)))
		_ = cc2

		By("refusing a context naming a config that does not exist")
		resp = d.rawRequest(http.MethodPost, "/deployments?context="+url.QueryEscape(`{"cloud_config_ids":[999],"runtime_config_ids":[]}`), strings.NewReader("name: etcd\n"),
			http.Header{"Content-Type": {"text/yaml"}}, true)
		Expect(resp.StatusCode).To(Equal(http.StatusBadRequest))
		body, err := readAll(resp)
		Expect(err).NotTo(HaveOccurred())
		Expect(string(body)).To(ContainSubstring("Context includes invalid config ID"))
	})

	It("answers a manifest it cannot read with 200, an empty diff and the error, as the director does", func() {
		out := diff("etcd", "name: [\n", "true")
		Expect(out["diff"]).To(BeEmpty())
		Expect(out["error"]).To(HavePrefix("Unable to diff manifest: "))
	})
})

func mustAtoi(s string) int {
	GinkgoHelper()
	n, err := strconv.Atoi(s)
	Expect(err).NotTo(HaveOccurred())
	return n
}

var _ = Describe("the bosh CLI's config and task commands", func() {
	var d *runningDirector

	BeforeEach(func() { d = startDirector(GinkgoT().TempDir(), apitest.NewBackend()) })

	It("bosh update-runtime-config and runtime-config, update-cloud-config and cloud-config: POST and GET /runtime_configs and /cloud_configs", func() {
		for _, kind := range []string{"runtime_configs", "cloud_configs"} {
			for _, content := range []string{"addons: []\n", "addons: [{name: a}]\n"} {
				resp := d.rawRequest(http.MethodPost, "/"+kind+"?name=default", strings.NewReader(content), http.Header{"Content-Type": {"text/yaml"}}, true)
				Expect(resp.StatusCode).To(Equal(http.StatusCreated), kind)
			}
			resp := d.rawGet("/"+kind+"?limit=1&name=default", nil, true)
			Expect(resp.StatusCode).To(Equal(http.StatusOK))
			body, err := readAll(resp)
			Expect(err).NotTo(HaveOccurred())
			var got []map[string]string
			Expect(json.Unmarshal(body, &got)).To(Succeed())
			Expect(got).To(ConsistOf(HaveKeyWithValue("properties", "addons: [{name: a}]\n")), kind)
		}
	})

	It("bosh task --cpi: no CPI output (204)", func() {
		task, err := d.client().Deploy(ctx(), manifestFor("etcd"), director.DeployOptions{})
		Expect(err).NotTo(HaveOccurred())
		resp := d.rawGet(fmt.Sprintf("/tasks/%d/output?type=cpi", task.ID), nil, true)
		Expect(resp.StatusCode).To(Equal(http.StatusNoContent))
	})
})
