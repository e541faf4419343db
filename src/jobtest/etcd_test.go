package jobtest_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/certs"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/config"
	"github.com/cloudfoundry-incubator/etcd-release/src/render"
)

// etcdfabConfig parses a rendered etcdfab.json the way etcdfab reads it.
func etcdfabConfig(rendered map[string][]byte) config.Config {
	path := filepath.Join(GinkgoT().TempDir(), "etcdfab.json")
	Expect(os.WriteFile(path, rendered["config/etcdfab.json"], 0o600)).To(Succeed())
	cfg, err := config.Load(path)
	Expect(err).NotTo(HaveOccurred())
	return cfg
}

var _ = Describe("the etcd job", func() {
	var m tlsMaterial

	BeforeEach(func() { m = newTLSMaterial() })

	It("renders one node without TLS", func() {
		out := mustRender("etcd", plainProps(), instance(0, "10.244.0.2"), etcdLink(1))
		cfg := etcdfabConfig(out)
		Expect(cfg.Node).To(Equal(config.Node{Name: "etcd", Index: 0, ID: "id-0", ExternalIP: "10.244.0.2", Bootstrap: true, Deployment: "etcd"}))
		Expect(cfg.Etcd.RequireSSL).To(BeFalse())
		Expect(cfg.Etcd.PeerRequireSSL).To(BeFalse())
		Expect(cfg.Etcd.Cluster).To(Equal([]config.Instance{{Name: "etcd", Index: 0, Address: "10.244.0.2"}}))
		Expect(cfg.PeerURL(cfg.Self())).To(Equal("http://10.244.0.2:2380"))
		Expect(cfg.Etcd.DataDir).To(Equal("/var/vcap/store/etcd"))
		Expect(cfg.Etcd.EtcdPath).To(Equal("/var/vcap/packages/etcd/bin/etcd"))
	})

	It("renders three TLS nodes from the link, with the certificates in place", func() {
		out := mustRender("etcd", m.tlsProps(), instance(2, "10.244.0.4"), etcdLink(3))
		cfg := etcdfabConfig(out)
		Expect(cfg.Node.Bootstrap).To(BeFalse())
		Expect(cfg.Etcd.Cluster).To(HaveLen(3))
		Expect(cfg.Etcd.Cluster[1]).To(Equal(config.Instance{Name: "etcd", Index: 1, Address: "10.244.0.3"}))
		Expect(cfg.PeerURL(cfg.Self())).To(Equal("https://etcd-2.etcd.service.cf.internal:2380"))
		Expect(cfg.OtherClientURLs()).To(ConsistOf("https://10.244.0.2:2379", "https://10.244.0.3:2379"))
		Expect(cfg.Etcd.DNSHealthCheckHost).To(Equal("consul.service.cf.internal"))

		for file, want := range map[string][]byte{
			"config/certs/server-ca.crt": m.ca.CertificatePEM,
			"config/certs/server.crt":    m.server.CertificatePEM,
			"config/certs/client.crt":    m.client.CertificatePEM,
			"config/certs/peer-ca.crt":   m.peerCA.CertificatePEM,
			"config/certs/peer.crt":      m.peer.CertificatePEM,
		} {
			got, err := certs.ParseCertificates(out[file])
			Expect(err).NotTo(HaveOccurred(), file)
			wantCerts, _ := certs.ParseCertificates(want)
			Expect(got).To(Equal(wantCerts), file)
		}
		for _, file := range []string{"config/certs/server.key", "config/certs/client.key", "config/certs/peer.key"} {
			_, err := certs.ParsePrivateKey(out[file])
			Expect(err).NotTo(HaveOccurred(), file)
		}
	})

	It("uses etcd.machines when no link is consumed", func() {
		props := plainProps()
		props["etcd"].(map[string]any)["machines"] = []any{"10.0.16.10", "10.0.16.11"}
		out := mustRender("etcd", props, instance(0, "10.0.16.10"), nil)
		cfg := etcdfabConfig(out)
		Expect(cfg.Etcd.Cluster).To(BeEmpty())
		Expect(cfg.Etcd.Machines).To(Equal([]string{"10.0.16.10", "10.0.16.11"}))
		Expect(cfg.OtherClientURLs()).To(Equal([]string{"http://10.0.16.11:2379"}))
	})

	It("renders custom ports and timings", func() {
		props := plainProps()
		e := props["etcd"].(map[string]any)
		e["client_port"], e["peer_port"] = 4001, 7001
		e["heartbeat_interval_in_milliseconds"], e["election_timeout_in_milliseconds"] = 100, 2000
		e["stop_timeout_in_seconds"] = 20
		out := mustRender("etcd", props, instance(0, "10.244.0.2"), etcdLink(1))
		cfg := etcdfabConfig(out)
		Expect(cfg.ListenClientURL()).To(Equal("http://10.244.0.2:4001"))
		Expect(cfg.ListenPeerURL()).To(Equal("http://10.244.0.2:7001"))
		Expect(cfg.Etcd.ElectionTimeoutMS).To(Equal(2000))

		timeout := regexp.MustCompile(`with timeout (\d+) seconds`).FindSubmatch(out[render.MonitDestination])
		Expect(timeout).NotTo(BeNil())
		Expect(strconv.Atoi(string(timeout[1]))).To(BeNumerically(">", 20), "monit must outwait etcdfab's stop timeout")
	})

	It("passes a multi-certificate CA bundle through, and falls back to the CA and server identity for peers", func() {
		props := m.tlsProps()
		e := props["etcd"].(map[string]any)
		e["ca_cert"] = string(m.ca.CertificatePEM) + string(m.newCA.CertificatePEM)
		e["peer_ca_cert"], e["peer_cert"], e["peer_key"] = "", "", ""
		out := mustRender("etcd", props, instance(0, "10.244.0.2"), etcdLink(3))

		for _, file := range []string{"config/certs/server-ca.crt", "config/certs/peer-ca.crt"} {
			bundle, err := certs.ParseCertificates(out[file])
			Expect(err).NotTo(HaveOccurred())
			Expect(bundle).To(HaveLen(2), file)
			Expect(bundle[1].Subject.CommonName).To(Equal("newCA"))
		}
		Expect(out["config/certs/peer.crt"]).To(Equal(out["config/certs/server.crt"]))
		Expect(out["config/certs/peer.key"]).To(Equal(out["config/certs/server.key"]))
	})

	DescribeTable("refuses TLS without what it needs, naming the properties",
		func(mutate func(e map[string]any), want ...string) {
			props := m.tlsProps()
			mutate(props["etcd"].(map[string]any))
			_, err := renderJob("etcd", props, instance(0, "10.244.0.2"), etcdLink(1))
			Expect(err).To(HaveOccurred())
			Expect(err.Error()).To(ContainSubstring("Unable to render templates for job 'etcd'"))
			Expect(err.Error()).To(ContainSubstring("config/etcdfab.json.erb"))
			for _, w := range want {
				Expect(err.Error()).To(ContainSubstring(w))
			}
		},
		Entry("client TLS without a server key and client cert",
			func(e map[string]any) { e["server_key"], e["client_cert"] = "", "" },
			"etcd.require_ssl is true, so etcd.server_key, etcd.client_cert must be set"),
		Entry("peer TLS with neither peer nor server certificates",
			func(e map[string]any) {
				e["require_ssl"] = false
				e["peer_cert"], e["peer_key"], e["server_cert"], e["server_key"] = "", "", "", ""
			},
			"etcd.peer_require_ssl is true, so etcd.server_cert, etcd.server_key must be set"),
		Entry("peer TLS without any CA",
			func(e map[string]any) { e["require_ssl"] = false; e["peer_ca_cert"], e["ca_cert"] = "", "" },
			"etcd.peer_require_ssl is true, so etcd.ca_cert must be set"),
		Entry("TLS without a DNS suffix",
			func(e map[string]any) { e["advertise_urls_dns_suffix"] = "" },
			"etcd.advertise_urls_dns_suffix is \"\", which is not a DNS name"),
	)

	// Values of the wrong type or out of range fail at render time, before
	// BOSH touches any instance, naming the property.
	DescribeTable("refuses bad values at render time, naming the property",
		func(mutate func(e map[string]any), want string) {
			props := m.tlsProps()
			mutate(props["etcd"].(map[string]any))
			_, err := renderJob("etcd", props, instance(0, "10.244.0.2"), etcdLink(1))
			Expect(err).To(MatchError(ContainSubstring(want)))
		},
		Entry("a heartbeat that is not a number", func(e map[string]any) { e["heartbeat_interval_in_milliseconds"] = "fast" },
			`etcd.heartbeat_interval_in_milliseconds is "fast"; it must be an integer`),
		Entry("an election timeout under five heartbeats", func(e map[string]any) { e["heartbeat_interval_in_milliseconds"] = 300 },
			"etcd.election_timeout_in_milliseconds (1000) must be at least 5 times etcd.heartbeat_interval_in_milliseconds (300)"),
		Entry("a port out of range", func(e map[string]any) { e["client_port"] = 70000 },
			"etcd.client_port is 70000; it must be an integer from 1 to 65535"),
		Entry("equal client and peer ports", func(e map[string]any) { e["peer_port"] = 2379 },
			"etcd.client_port and etcd.peer_port are both 2379"),
		Entry("a DNS suffix that is none", func(e map[string]any) { e["advertise_urls_dns_suffix"] = "bad..suffix" },
			`etcd.advertise_urls_dns_suffix is "bad..suffix", which is not a DNS name`),
		Entry("an etcd.machines entry that is no address", func(e map[string]any) { e["machines"] = []any{"10.0.0.1:4001", "not a host!"} },
			`etcd.machines entry "not a host!" is not an address`),
		Entry("a compaction mode etcd does not know", func(e map[string]any) { e["auto_compaction_mode"] = "hourly" },
			"etcd.auto_compaction_mode"),
		Entry("a retention etcd cannot parse, on which a member would not start", func(e map[string]any) { e["auto_compaction_retention"] = "1 day" },
			`etcd.auto_compaction_retention is "1 day", which etcd refuses`),
		Entry("a duration as revision retention", func(e map[string]any) {
			e["auto_compaction_mode"] = "revision"
			e["auto_compaction_retention"] = "1h"
		}, `etcd.auto_compaction_retention is "1h"; etcd.auto_compaction_mode revision keeps a number of revisions`),
		Entry("require_ssl that is not a boolean", func(e map[string]any) { e["require_ssl"] = "yes" },
			`etcd.require_ssl is "yes"; it must be true or false`),
	)

	It("accepts the original release's <ip>:<port> machines and an instance group with underscores", func() {
		props := plainProps()
		props["etcd"].(map[string]any)["machines"] = []any{"10.0.16.10:4001", "10.0.16.11:4001"}
		inst := instance(0, "10.0.16.10")
		inst.Name = "etcd_z1"
		cfg := etcdfabConfig(mustRender("etcd", props, inst, nil))
		Expect(cfg.OtherClientURLs()).To(Equal([]string{"http://10.0.16.11:2379"}))
		Expect(cfg.MemberName()).To(Equal("etcd-z1-0"))
	})

	It("requires certificates by default, since TLS is on unless turned off", func() {
		_, err := renderJob("etcd", map[string]any{}, instance(0, "10.244.0.2"), etcdLink(1))
		Expect(err).To(MatchError(ContainSubstring("etcd.require_ssl is true, so etcd.ca_cert, etcd.server_cert")))
	})
})

var _ = Describe("every job of the release", func() {
	It("renders every template against its fixture; scripts pass bash -n", func() {
		jobs, err := os.ReadDir(jobsDir)
		Expect(err).NotTo(HaveOccurred())
		all := fixtures(newTLSMaterial())
		Expect(jobs).NotTo(BeEmpty())
		for _, job := range jobs {
			f, ok := all[job.Name()]
			Expect(ok).To(BeTrue(), "job %s has no fixture in src/jobtest/fixtures_test.go", job.Name())
			out := mustRender(job.Name(), f.props, f.inst, f.links)
			for dest, content := range out {
				if strings.HasPrefix(dest, "bin/") {
					expectValidBash(job.Name()+"/"+dest, content)
				}
				if strings.HasSuffix(dest, ".json") {
					Expect(json.Valid(content)).To(BeTrue(), "%s/%s is not JSON", job.Name(), dest)
				}
			}
		}
	})
})
