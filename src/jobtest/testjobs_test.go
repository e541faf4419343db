package jobtest_test

import (
	"encoding/json"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/render"
	"github.com/cloudfoundry-incubator/etcd-release/src/testconsumer"
)

// publishedEtcdLink is the etcd link with the properties the etcd job
// publishes, as the test consumer reads them.
func publishedEtcdLink(size int, tls bool) map[string]render.Link {
	links := etcdLink(size)
	link := links["etcd"]
	link.Properties = map[string]any{"etcd": map[string]any{"client_port": 2379, "peer_port": 2380, "require_ssl": tls,
		"peer_require_ssl": tls, "advertise_urls_dns_suffix": "etcd.service.cf.internal"}}
	links["etcd"] = link
	return links
}

func (m tlsMaterial) consumerProps() map[string]any {
	return map[string]any{"etcd_testconsumer": map[string]any{"etcd": map[string]any{
		"ca_cert": string(m.ca.CertificatePEM), "client_cert": string(m.client.CertificatePEM), "client_key": string(m.client.PrivateKeyPEM)}}}
}

var _ = Describe("the test jobs", func() {
	It("give the test consumer the members by IP, over TLS checked against the DNS suffix when the link says so", func() {
		m := newTLSMaterial()
		out := mustRender("etcd_testconsumer", m.consumerProps(), instance(0, "10.244.0.9"), publishedEtcdLink(3, true))
		var cfg testconsumer.Config
		Expect(json.Unmarshal(out["config/testconsumer.json"], &cfg)).To(Succeed())
		Expect(cfg.Endpoints).To(Equal([]string{"https://10.244.0.2:2379", "https://10.244.0.3:2379", "https://10.244.0.4:2379"}))
		Expect(cfg.ServerName).To(Equal("etcd.service.cf.internal"))
		Expect(cfg.CAFile).NotTo(BeEmpty())
		Expect(string(out["config/certs/client.key"])).To(ContainSubstring("PRIVATE KEY"))

		out = mustRender("etcd_testconsumer", map[string]any{}, instance(0, "10.244.0.9"), publishedEtcdLink(1, false))
		var plain testconsumer.Config
		Expect(json.Unmarshal(out["config/testconsumer.json"], &plain)).To(Succeed())
		Expect(plain.Endpoints).To(Equal([]string{"http://10.244.0.2:2379"}))
		Expect(plain.CAFile).To(BeEmpty(), "a plain cluster needs no certificates")
	})

	It("require the turbulence agent's password", func() {
		_, err := renderJob("turbulence_agent", map[string]any{}, instance(0, "10.244.0.2"), nil)
		Expect(err).To(MatchError(ContainSubstring("turbulence_agent.password")))
	})

	It("render the errand's configuration as the suite reads it", func() {
		out := mustRender("acceptance-tests", map[string]any{"etcd": map[string]any{"acceptance_tests": map[string]any{
			"bosh":           map[string]any{"target": "https://10.244.0.1:25555", "username": "admin", "password": "pw"},
			"parallel_nodes": 3, "enable_turbulence_tests": true, "ginkgo_flags": "--label-filter=!matrix"}}},
			instance(0, "10.244.0.20"), nil)
		var cfg map[string]any
		Expect(json.Unmarshal(out["config/eats.json"], &cfg)).To(Succeed())
		Expect(cfg["bosh"]).To(HaveKeyWithValue("target", "https://10.244.0.1:25555"))
		Expect(cfg).To(HaveKeyWithValue("enable_turbulence_tests", true))
		Expect(cfg).To(HaveKeyWithValue("latest_etcd_release_version", "latest"))
		Expect(string(out["bin/run"])).To(ContainSubstring("--procs=3 --no-color --timeout=3h \\\n  --label-filter=!matrix"))
	})
})
