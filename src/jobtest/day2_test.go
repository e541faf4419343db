package jobtest_test

import (
	"os"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/config"
)

func (m tlsMaterial) healthProps() map[string]any {
	return map[string]any{"etcd_health": map[string]any{
		"ca_cert": string(m.ca.CertificatePEM), "client_cert": string(m.client.CertificatePEM), "client_key": string(m.client.PrivateKeyPEM)}}
}

// withEtcd sets etcd properties over props.
func withEtcd(props map[string]any, kv map[string]any) map[string]any {
	e := props["etcd"].(map[string]any)
	for k, v := range kv {
		e[k] = v
	}
	return props
}

var _ = Describe("health, metrics and defragmentation", func() {
	It("renders scheduled defragmentation off and no metrics listener by default", func() {
		cfg := etcdfabConfig(mustRender("etcd", plainProps(), instance(0, "10.244.0.2"), etcdLink(1)))
		Expect(cfg.DefragInterval()).To(BeZero())
		Expect(cfg.Etcd.Defrag.MinFreeRatio).To(Equal(0.25))
		Expect(cfg.ListenMetricsURL()).To(BeEmpty())
	})

	It("renders etcd.defrag.* and etcd.metrics.port, the metrics https under etcd.require_ssl", func() {
		m := newTLSMaterial()
		props := withEtcd(m.tlsProps(), map[string]any{"defrag": map[string]any{"interval": "12h", "min_free_ratio": 0.5},
			"metrics": map[string]any{"port": 2381}})
		cfg := etcdfabConfig(mustRender("etcd", props, instance(1, "10.244.0.3"), etcdLink(3)))
		Expect(cfg.Etcd.Defrag).To(Equal(config.Defrag{Interval: "12h", MinFreeRatio: 0.5}))
		Expect(cfg.ListenMetricsURL()).To(Equal("https://10.244.0.3:2381"))
	})

	It("refuses values etcdfab would refuse, naming the property", func() {
		for _, c := range []struct {
			props map[string]any
			want  string
		}{
			{map[string]any{"defrag": map[string]any{"interval": "daily"}}, "etcd.defrag.interval is \"daily\""},
			{map[string]any{"defrag": map[string]any{"min_free_ratio": 1.5}}, "etcd.defrag.min_free_ratio is 1.5"},
			{map[string]any{"metrics": map[string]any{"port": 2380}}, "etcd.peer_port and etcd.metrics.port are both 2380"},
			{map[string]any{"metrics": map[string]any{"port": -1}}, "etcd.metrics.port is -1"},
		} {
			_, err := renderJob("etcd", withEtcd(plainProps(), c.props), instance(0, "10.244.0.2"), etcdLink(1))
			Expect(err).To(MatchError(ContainSubstring(c.want)))
		}
	})

	It("ships bin/health and bin/defrag, which run etcdfab on the rendered config", func() {
		out := mustRender("etcd", plainProps(), instance(0, "10.244.0.2"), etcdLink(1))
		for name, cmd := range map[string]string{"bin/health": "etcdfab health -config /var/vcap/jobs/etcd/config/etcdfab.json \"$@\"",
			"bin/defrag": "etcdfab defrag -config /var/vcap/jobs/etcd/config/etcdfab.json \"$@\""} {
			expectValidBash(name, out[name])
			Expect(string(out[name])).To(ContainSubstring(cmd))
		}
	})

	It("gives the etcd_health errand the link's members by IP, with the client certificate under TLS", func() {
		m := newTLSMaterial()
		out := mustRender("etcd_health", m.healthProps(), instance(0, "10.244.0.9"), publishedEtcdLink(3, true))
		expectValidBash("bin/run", out["bin/run"])
		Expect(string(out["bin/run"])).To(ContainSubstring("etcdfab health -config /var/vcap/jobs/etcd_health/config/etcdfab.json"))
		path := filepath.Join(GinkgoT().TempDir(), "etcdfab.json")
		Expect(os.WriteFile(path, out["config/etcdfab.json"], 0o600)).To(Succeed())
		cfg, err := config.Load(path)
		Expect(err).NotTo(HaveOccurred())
		var urls []string
		for _, p := range cfg.Group() {
			urls = append(urls, cfg.PeerClientURL(p))
		}
		Expect(urls).To(Equal([]string{"https://10.244.0.2:2379", "https://10.244.0.3:2379", "https://10.244.0.4:2379"}))
		Expect(cfg.Group()[0].Name).To(Equal("etcd-0"))
		Expect(cfg.TLSServerName()).To(Equal("etcd.service.cf.internal"))
		Expect(cfg.ClientTLS().Cert).To(Equal("/var/vcap/jobs/etcd_health/config/certs/client.crt"))
		Expect(string(out["config/certs/client.key"])).To(ContainSubstring("PRIVATE KEY"))

		_, err = renderJob("etcd_health", map[string]any{}, instance(0, "10.244.0.9"), publishedEtcdLink(3, true))
		Expect(err).To(MatchError(ContainSubstring("etcd_health.ca_cert, etcd_health.client_cert, etcd_health.client_key must be set")))
		out = mustRender("etcd_health", map[string]any{"etcd_health": map[string]any{"json": true}}, instance(0, "10.244.0.9"), publishedEtcdLink(1, false))
		Expect(string(out["bin/run"])).To(HaveSuffix(" -json\n"))
	})
})
