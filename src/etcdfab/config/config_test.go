package config_test

import (
	"os"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/config"
)

var _ = Describe("Load", func() {
	write := func(content string) string {
		path := filepath.Join(GinkgoT().TempDir(), "etcdfab.json")
		Expect(os.WriteFile(path, []byte(content), 0o600)).To(Succeed())
		return path
	}

	It("layers the file over the defaults", func() {
		cfg, err := config.Load(write(`{"node": {"name": "etcd", "index": 2, "external_ip": "10.244.0.4", "bootstrap": false},
			"etcd": {"client_port": 4001, "cluster": [{"name": "etcd", "index": 0, "address": "10.244.0.2"}]}}`))
		Expect(err).NotTo(HaveOccurred())
		Expect(cfg.Node.Index).To(Equal(2))
		Expect(cfg.Etcd.ClientPort).To(Equal(4001))
		Expect(cfg.Etcd.PeerPort).To(Equal(2380))
		Expect(cfg.Etcd.DataDir).To(Equal("/var/vcap/store/etcd"))
		Expect(cfg.MemberName()).To(Equal("etcd-2"))
		Expect(cfg.PIDFile()).To(Equal("/var/vcap/sys/run/etcd/etcd.pid"))
	})

	It("names the file when the JSON is malformed", func() {
		path := write(`{"node": `)
		_, err := config.Load(path)
		Expect(err).To(MatchError(ContainSubstring(path)))
	})

	It("still gives the commands that stop etcd a config when the file holds a bad value", func() {
		path := write(`{"etcd": {"heartbeat_interval_in_milliseconds": "fast", "run_dir": "/var/vcap/sys/run/other"}}`)
		_, err := config.Load(path)
		Expect(err).To(HaveOccurred())
		cfg, err := config.LoadForStop(path)
		Expect(err).To(MatchError(ContainSubstring("heartbeat_interval_in_milliseconds")))
		Expect(cfg.PIDFile()).To(Equal("/var/vcap/sys/run/other/etcd.pid"))
	})

	It("names the file when it is missing", func() {
		_, err := config.Load("/nonexistent/etcdfab.json")
		Expect(err).To(MatchError(ContainSubstring("/nonexistent/etcdfab.json")))
	})
})

var _ = Describe("Validate", func() {
	var cfg config.Config

	BeforeEach(func() {
		cfg = config.Default()
		cfg.Node = config.Node{Name: "etcd", Index: 0, ExternalIP: "10.244.0.2", Bootstrap: true}
	})

	It("accepts the defaults with a node", func() {
		Expect(cfg.Validate()).To(Succeed())
	})

	DescribeTable("rejects, naming the property to fix",
		func(mutate func(*config.Config), want string) {
			mutate(&cfg)
			Expect(cfg.Validate()).To(MatchError(ContainSubstring(want)))
		},
		Entry("no instance group name", func(c *config.Config) { c.Node.Name = "" }, "node.name"),
		Entry("an IP that is not one", func(c *config.Config) { c.Node.ExternalIP = "etcd-0" }, `node.external_ip "etcd-0"`),
		Entry("a port out of range", func(c *config.Config) { c.Etcd.ClientPort = 70000 }, "etcd.client_port is 70000"),
		Entry("equal ports", func(c *config.Config) { c.Etcd.PeerPort = 2379 }, "etcd.client_port and etcd.peer_port are both 2379"),
		Entry("an election timeout under five heartbeats",
			func(c *config.Config) { c.Etcd.HeartbeatIntervalMS = 300; c.Etcd.ElectionTimeoutMS = 1000 },
			"etcd.election_timeout_in_milliseconds (1000) must be at least 5 times etcd.heartbeat_interval_in_milliseconds (300)"),
		Entry("an election timeout over 50 s", func(c *config.Config) { c.Etcd.ElectionTimeoutMS = 60000 }, "at most 50000"),
		Entry("TLS without a DNS suffix",
			func(c *config.Config) { c.Etcd.RequireSSL = true; c.Etcd.AdvertiseURLsDNSSuffix = "" }, "etcd.advertise_urls_dns_suffix"),
		Entry("peer TLS with a malformed suffix",
			func(c *config.Config) { c.Etcd.PeerRequireSSL = true; c.Etcd.AdvertiseURLsDNSSuffix = "etcd..internal" }, "etcd.advertise_urls_dns_suffix"),
		Entry("a relative data dir", func(c *config.Config) { c.Etcd.DataDir = "store" }, `etcd.data_dir "store" must be an absolute path`),
		Entry("the status port on a port etcd uses", func(c *config.Config) { c.Etcd.StatusPort = 2380 }, "etcd.peer_port and etcd.status_port are both 2380"),
		Entry("an unknown compaction mode", func(c *config.Config) { c.Etcd.AutoCompactionMode = "never" }, "etcd.auto_compaction_mode"),
		Entry("a retention etcd cannot parse, which a member refuses to start on",
			func(c *config.Config) { c.Etcd.AutoCompactionRetention = "1 day" }, `etcd.auto_compaction_retention "1 day": etcd refuses it`),
		Entry("a duration as revision retention",
			func(c *config.Config) { c.Etcd.AutoCompactionMode = "revision"; c.Etcd.AutoCompactionRetention = "1h" },
			`etcd.auto_compaction_retention "1h": etcd.auto_compaction_mode revision keeps a number of revisions`),
		Entry("a negative retention", func(c *config.Config) { c.Etcd.AutoCompactionRetention = "-1" }, "must not be negative"),
		Entry("a machine that is no address", func(c *config.Config) { c.Etcd.Machines = []string{"not a host!"} }, `etcd.machines entry "not a host!"`),
		Entry("a machine with a port that is none", func(c *config.Config) { c.Etcd.Machines = []string{"10.0.0.1:http"} }, `etcd.machines entry "10.0.0.1:http"`),
		Entry("a duplicated link instance", func(c *config.Config) {
			c.Etcd.Cluster = []config.Instance{{Name: "etcd", Index: 1, Address: "a"}, {Name: "etcd", Index: 1, Address: "b"}}
		}, "lists etcd-1 twice"),
	)

	It("accepts the retentions etcd does", func() {
		for _, r := range []struct{ mode, retention string }{{"periodic", "1h"}, {"periodic", "30m"}, {"periodic", "2"}, {"periodic", "0"}, {"revision", "10000"}} {
			cfg.Etcd.AutoCompactionMode, cfg.Etcd.AutoCompactionRetention = r.mode, r.retention
			Expect(cfg.Validate()).To(Succeed(), "%s %s", r.mode, r.retention)
		}
	})

	It("reports every problem at once", func() {
		cfg.Node.Name = ""
		cfg.Etcd.ClientPort = 0
		err := cfg.Validate()
		Expect(err).To(MatchError(ContainSubstring("node.name")))
		Expect(err).To(MatchError(ContainSubstring("etcd.client_port is 0")))
	})
})

var _ = Describe("URLs", func() {
	var cfg config.Config

	BeforeEach(func() {
		cfg = config.Default()
		cfg.Node = config.Node{Name: "etcd", Index: 1, ExternalIP: "10.244.0.3"}
		cfg.Etcd.Cluster = []config.Instance{
			{Name: "etcd", Index: 0, Address: "10.244.0.2"},
			{Name: "etcd", Index: 1, Address: "10.244.0.3"},
			{Name: "etcd", Index: 2, Address: "10.244.0.4"},
		}
	})

	It("uses IPs and http without TLS", func() {
		Expect(cfg.PeerURL(cfg.Self())).To(Equal("http://10.244.0.3:2380"))
		Expect(cfg.ClientURL(cfg.Self())).To(Equal("http://10.244.0.3:2379"))
		Expect(cfg.OtherClientURLs()).To(Equal([]string{"http://10.244.0.2:2379", "http://10.244.0.4:2379"}))
	})

	It("uses <group>-<index>.<suffix> names and https with TLS, but listens on the IP", func() {
		cfg.Etcd.RequireSSL = true
		cfg.Etcd.PeerRequireSSL = true
		Expect(cfg.PeerURL(cfg.Self())).To(Equal("https://etcd-1.etcd.service.cf.internal:2380"))
		Expect(cfg.ClientURL(cfg.Self())).To(Equal("https://etcd-1.etcd.service.cf.internal:2379"))
		Expect(cfg.ListenPeerURL()).To(Equal("https://10.244.0.3:2380"))

		By("dialing the others by address, checking their certificates against the suffix")
		Expect(cfg.OtherClientURLs()).To(ContainElement("https://10.244.0.2:2379"))
		Expect(cfg.TLSServerName()).To(Equal("etcd.service.cf.internal"))
		Expect(cfg.StatusURL(cfg.Others()[0])).To(Equal("https://10.244.0.2:2382/status"))
	})

	It("advertises instance group names with underscores with hyphens, as consul tags them", func() {
		cfg.Node.Name = "etcd_z1"
		cfg.Etcd.PeerRequireSSL = true
		Expect(cfg.MemberName()).To(Equal("etcd-z1-1"))
		Expect(cfg.PeerURL(cfg.Self())).To(Equal("https://etcd-z1-1.etcd.service.cf.internal:2380"))
		Expect(cfg.Validate()).To(Succeed())
	})

	It("takes etcd.machines entries in the <ip>:<port> form, and lets only the first address bootstrap", func() {
		cfg.Etcd.Cluster = nil
		cfg.Etcd.Machines = []string{"10.244.0.3:4001", "10.244.0.2:4001", "10.244.0.4"}
		cfg.Node.Bootstrap = true
		Expect(cfg.Validate()).To(Succeed())
		Expect(cfg.OtherClientURLs()).To(Equal([]string{"http://10.244.0.2:2379", "http://10.244.0.4:2379"}))
		Expect(cfg.Group()).To(HaveLen(3))
		Expect(cfg.MayBootstrap()).To(BeTrue())
		cfg.Etcd.Machines = []string{"10.244.0.2", "10.244.0.3"}
		Expect(cfg.MayBootstrap()).To(BeFalse(), "another group's bootstrap instance may come first")
	})

	It("configures etcdctl with the members' names and the client certificate under TLS, their IPs without", func() {
		Expect(cfg.EtcdctlEnv()).To(ContainElement("ETCDCTL_ENDPOINTS=http://10.244.0.2:2379,http://10.244.0.3:2379,http://10.244.0.4:2379"))
		cfg.Etcd.RequireSSL = true
		Expect(cfg.EtcdctlEnv()).To(ContainElements(
			"ETCDCTL_ENDPOINTS=https://etcd-0.etcd.service.cf.internal:2379,https://etcd-1.etcd.service.cf.internal:2379,https://etcd-2.etcd.service.cf.internal:2379",
			"ETCDCTL_CERT=/var/vcap/jobs/etcd/config/certs/client.crt"))
	})

	It("switches peer and client schemes independently", func() {
		cfg.Etcd.PeerRequireSSL = true
		Expect(cfg.PeerURL(cfg.Self())).To(Equal("https://etcd-1.etcd.service.cf.internal:2380"))
		Expect(cfg.ClientURL(cfg.Self())).To(Equal("http://10.244.0.3:2379"))
	})

	It("falls back to etcd.machines without a link, skipping itself", func() {
		cfg.Etcd.Cluster = nil
		cfg.Etcd.Machines = []string{"10.244.0.2", "10.244.0.3"}
		Expect(cfg.OtherClientURLs()).To(Equal([]string{"http://10.244.0.2:2379"}))
	})
})
