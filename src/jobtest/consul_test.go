package jobtest_test

import (
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/certs"
	"github.com/cloudfoundry-incubator/etcd-release/src/render"
)

// consulConfig is the part of a rendered consul.json the tests check, in
// consul's own key names.
type consulConfig struct {
	Server             bool     `json:"server"`
	BootstrapExpect    int      `json:"bootstrap_expect"`
	Datacenter         string   `json:"datacenter"`
	Domain             string   `json:"domain"`
	NodeName           string   `json:"node_name"`
	DataDir            string   `json:"data_dir"`
	LogLevel           string   `json:"log_level"`
	BindAddr           string   `json:"bind_addr"`
	ClientAddr         string   `json:"client_addr"`
	RetryJoin          []string `json:"retry_join"`
	RejoinAfterLeave   bool     `json:"rejoin_after_leave"`
	LeaveOnTerminate   bool     `json:"leave_on_terminate"`
	DisableRemoteExec  bool     `json:"disable_remote_exec"`
	EnableLocalScripts bool     `json:"enable_local_script_checks"`
	Encrypt            string   `json:"encrypt"`
	Ports              struct {
		DNS   int `json:"dns"`
		HTTP  int `json:"http"`
		HTTPS int `json:"https"`
	} `json:"ports"`
	TLS struct {
		Defaults struct {
			CAFile         string `json:"ca_file"`
			CertFile       string `json:"cert_file"`
			KeyFile        string `json:"key_file"`
			VerifyIncoming bool   `json:"verify_incoming"`
			VerifyOutgoing bool   `json:"verify_outgoing"`
			MinVersion     string `json:"tls_min_version"`
		} `json:"defaults"`
		InternalRPC struct {
			VerifyServerHostname bool `json:"verify_server_hostname"`
		} `json:"internal_rpc"`
	} `json:"tls"`
	DNSConfig struct {
		AllowStale      bool              `json:"allow_stale"`
		OnlyPassing     bool              `json:"only_passing"`
		MaxStale        string            `json:"max_stale"`
		RecursorTimeout string            `json:"recursor_timeout"`
		ServiceTTL      map[string]string `json:"service_ttl"`
	} `json:"dns_config"`
	Services []map[string]any `json:"services"`
}

func parseConsulConfig(rendered map[string][]byte) consulConfig {
	GinkgoHelper()
	var cfg consulConfig
	Expect(json.Unmarshal(rendered["config/consul.json"], &cfg)).To(Succeed(), "%s", rendered["config/consul.json"])
	return cfg
}

// derivedKey is consul-release's conversion of a passphrase to a gossip key.
func derivedKey(passphrase string) string {
	GinkgoHelper()
	key, err := pbkdf2.Key(sha1.New, passphrase, nil, 20000, 16)
	Expect(err).NotTo(HaveOccurred())
	return base64.StdEncoding.EncodeToString(key)
}

var _ = Describe("the consul_agent job", func() {
	var m consulMaterial

	BeforeEach(func() { m = newConsulMaterial() })

	It("renders a server of a three-server group from its consul_common link", func() {
		f := consulServerFixture(m)
		out := mustRender("consul_agent", f.props, f.inst, f.links)
		cfg := parseConsulConfig(out)

		Expect(cfg.Server).To(BeTrue())
		Expect(cfg.BootstrapExpect).To(Equal(2), "the first election waits for a majority of the link's servers")
		Expect(cfg.RetryJoin).To(Equal([]string{"10.244.0.1", "10.244.0.3"}), "the other servers")
		Expect(cfg.NodeName).To(Equal("consul-1"))
		Expect(cfg.DataDir).To(Equal("/var/vcap/store/consul_agent"), "servers keep the catalogue on the persistent disk")
		Expect(cfg.BindAddr).To(Equal("10.244.0.2"))
		Expect(cfg.ClientAddr).To(Equal("127.0.0.1"), "DNS and the HTTP API serve the VM only")
		Expect(cfg.Ports.DNS).To(Equal(53))
		Expect(cfg.Ports.HTTP).To(Equal(8500))
		Expect(cfg.Datacenter).To(Equal("dc1"))
		Expect(cfg.Domain).To(Equal("cf.internal"))
		Expect(cfg.LogLevel).To(Equal("info"))
		Expect(cfg.RejoinAfterLeave).To(BeTrue())
		Expect(cfg.LeaveOnTerminate).To(BeTrue(), "a stop leaves gracefully, as consul-release's confab did")
		Expect(cfg.DisableRemoteExec).To(BeTrue())

		By("verifying TLS both ways and the server's hostname, TLS 1.2 at least")
		tls := cfg.TLS.Defaults
		Expect(tls.VerifyIncoming).To(BeTrue())
		Expect(tls.VerifyOutgoing).To(BeTrue())
		Expect(cfg.TLS.InternalRPC.VerifyServerHostname).To(BeTrue())
		Expect(tls.MinVersion).To(Equal("TLSv1_2"))
		Expect(tls.CAFile).To(Equal("/var/vcap/jobs/consul_agent/config/certs/ca.crt"))
		Expect(tls.CertFile).To(Equal("/var/vcap/jobs/consul_agent/config/certs/server.crt"))
		Expect(tls.KeyFile).To(Equal("/var/vcap/jobs/consul_agent/config/certs/server.key"))
		for file, want := range map[string][]byte{"config/certs/ca.crt": m.ca.CertificatePEM, "config/certs/server.crt": m.server.CertificatePEM} {
			got, err := certs.ParseCertificates(out[file])
			Expect(err).NotTo(HaveOccurred(), file)
			wantCerts, _ := certs.ParseCertificates(want)
			Expect(got).To(Equal(wantCerts), file)
		}
		_, err := certs.ParsePrivateKey(out["config/certs/server.key"])
		Expect(err).NotTo(HaveOccurred())

		By("encrypting gossip with the passphrase's key, as consul-release derives it")
		Expect(cfg.Encrypt).To(Equal(derivedKey("gossip-passphrase")))
		Expect(cfg.DNSConfig.AllowStale).To(BeTrue())
		Expect(cfg.DNSConfig.OnlyPassing).To(BeTrue(), "any failing check takes the instance out of DNS")
		Expect(cfg.DNSConfig.MaxStale).To(Equal("30s"))
		Expect(cfg.DNSConfig.RecursorTimeout).To(Equal("5s"))
		Expect(cfg.DNSConfig.ServiceTTL).To(Equal(map[string]string{"*": "0s"}))
		Expect(cfg.Services).To(BeEmpty())
	})

	It("renders a client joining consul.agent.servers.lan, with the agent certificate", func() {
		props := m.consulProps("client", map[string]any{
			"servers":    map[string]any{"lan": []any{"10.0.0.5", "10.0.0.6", "10.0.0.7"}},
			"node_name":  "etcd_node",
			"log_level":  "debug",
			"datacenter": "dc2", "domain": "example.internal",
			"dns_config": map[string]any{"allow_stale": false, "only_passing": false, "max_stale": "5s", "recursor_timeout": "2s", "service_ttl": "10s"},
		})
		out := mustRender("consul_agent", props, consulInstance("etcd_z1", 2, "10.0.0.9", false), nil)
		cfg := parseConsulConfig(out)
		Expect(cfg.Server).To(BeFalse())
		Expect(cfg.BootstrapExpect).To(BeZero())
		Expect(cfg.RetryJoin).To(Equal([]string{"10.0.0.5", "10.0.0.6", "10.0.0.7"}))
		Expect(cfg.NodeName).To(Equal("etcd-node-2"))
		Expect(cfg.DataDir).To(Equal("/var/vcap/data/consul_agent"))
		Expect(cfg.LogLevel).To(Equal("debug"))
		Expect(cfg.Datacenter).To(Equal("dc2"))
		Expect(cfg.Domain).To(Equal("example.internal"))
		Expect(cfg.DNSConfig.AllowStale).To(BeFalse())
		Expect(cfg.DNSConfig.OnlyPassing).To(BeFalse())
		Expect(cfg.DNSConfig.MaxStale).To(Equal("5s"))
		Expect(cfg.DNSConfig.RecursorTimeout).To(Equal("2s"))
		Expect(cfg.DNSConfig.ServiceTTL).To(Equal(map[string]string{"*": "10s"}))
		Expect(cfg.TLS.Defaults.VerifyIncoming && cfg.TLS.Defaults.VerifyOutgoing && cfg.TLS.InternalRPC.VerifyServerHostname).To(BeTrue())
		Expect(cfg.TLS.Defaults.CertFile).To(Equal("/var/vcap/jobs/consul_agent/config/certs/agent.crt"))
		Expect(cfg.TLS.Defaults.KeyFile).To(Equal("/var/vcap/jobs/consul_agent/config/certs/agent.key"))
		Expect(out["config/certs/agent.crt"]).To(Equal(append(m.agent.CertificatePEM, '\n')))
	})

	It("takes the servers' settings and the servers from the consul_common link of a client", func() {
		serverProps := m.consulProps("server", map[string]any{"datacenter": "dc9", "domain": "servers.internal"})
		serverProps["consul"].(map[string]any)["encrypt_keys"] = []any{"servers-key"}
		clientProps := m.consulProps("client", nil)
		clientProps["consul"].(map[string]any)["ca_cert"] = ""
		out := mustRender("consul_agent", clientProps, consulInstance("etcd", 0, "10.244.0.20", false), consulCommon(3, "10.244.0", serverProps))
		cfg := parseConsulConfig(out)
		Expect(cfg.RetryJoin).To(Equal([]string{"10.244.0.1", "10.244.0.2", "10.244.0.3"}))
		Expect(cfg.Datacenter).To(Equal("dc9"))
		Expect(cfg.Domain).To(Equal("servers.internal"))
		Expect(cfg.Encrypt).To(Equal(derivedKey("servers-key")))
		Expect(string(out["config/certs/ca.crt"])).To(ContainSubstring(strings.TrimSpace(string(m.ca.CertificatePEM))))
	})

	It("keeps every gossip key in the keyring, the first encrypting; base64 keys of 16 bytes as they are", func() {
		rawKey := base64.StdEncoding.EncodeToString([]byte("0123456789abcdef"))
		props := m.consulProps("server", nil)
		props["consul"].(map[string]any)["encrypt_keys"] = []any{rawKey, "old-passphrase"}
		f := consulServerFixture(m)
		out := mustRender("consul_agent", props, f.inst, consulLinks(3, "10.244.0", props))
		Expect(parseConsulConfig(out).Encrypt).To(Equal(rawKey))
		var keyring []string
		Expect(json.Unmarshal(out["config/serf.keyring"], &keyring)).To(Succeed())
		Expect(keyring).To(Equal([]string{rawKey, derivedKey("old-passphrase")}))
	})

	It("registers services with consul-release's default tags and dns_health_check, or what the manifest gives", func() {
		props := m.consulProps("client", map[string]any{
			"servers": map[string]any{"lan": []any{"10.0.0.5"}},
			"services": map[string]any{
				"etcd":                map[string]any{},
				"cloud_controller_ng": map[string]any{"tags": []any{"api"}, "port": 9022},
				"uaa":                 map[string]any{"check": map[string]any{}},
				"legacy":              map[string]any{"name": "legacy-svc", "check": map[string]any{"name": "up", "script": "/bin/check --fast", "interval": "10s"}},
			},
		})
		inst := consulInstance("etcd_server", 3, "10.0.0.9", false)
		inst.AZ = "z_2"
		cfg := parseConsulConfig(mustRender("consul_agent", props, inst, nil))
		byName := map[string]map[string]any{}
		for _, s := range cfg.Services {
			byName[s["name"].(string)] = s
		}
		Expect(byName).To(HaveLen(4))
		Expect(byName["etcd"]["tags"]).To(Equal([]any{"etcd-server-3", "z-2"}))
		Expect(byName["etcd"]["check"]).To(Equal(map[string]any{"name": "dns_health_check",
			"args": []any{"/var/vcap/jobs/etcd/bin/dns_health_check"}, "interval": "3s"}))
		Expect(byName["cloud-controller-ng"]["tags"]).To(Equal([]any{"api"}))
		Expect(byName["cloud-controller-ng"]["port"]).To(BeNumerically("==", 9022))
		Expect(byName["cloud-controller-ng"]["check"]).To(HaveKeyWithValue("args", []any{"/var/vcap/jobs/cloud_controller_ng/bin/dns_health_check"}))
		Expect(byName["uaa"]).NotTo(HaveKey("check"), "check: {} registers the service without a check")
		Expect(byName["legacy-svc"]["check"]).To(Equal(map[string]any{"name": "up", "interval": "10s",
			"args": []any{"/bin/sh", "-c", "/bin/check --fast"}}))
		Expect(cfg.EnableLocalScripts).To(BeTrue(), "consul runs the checks of its own config files only")
	})

	DescribeTable("refuses what cannot work, naming the property",
		func(mode string, mutate func(c, agent map[string]any), inst render.Instance, want string) {
			props := m.consulProps(mode, map[string]any{"servers": map[string]any{"lan": []any{"10.0.0.5"}}})
			mutate(props["consul"].(map[string]any), props["consul"].(map[string]any)["agent"].(map[string]any))
			_, err := renderJob("consul_agent", props, inst, nil)
			Expect(err).To(HaveOccurred())
			Expect(err.Error()).To(ContainSubstring("config/consul.json.erb"))
			Expect(err.Error()).To(ContainSubstring(want))
		},
		Entry("a mode that is neither client nor server", "client",
			func(c, a map[string]any) { a["mode"] = "bootstrap" }, consulInstance("c", 0, "10.0.0.9", false),
			`consul.agent.mode must be client or server, not "bootstrap"`),
		Entry("a server without its certificate", "server",
			func(c, a map[string]any) { c["server_key"] = "" }, consulInstance("c", 0, "10.0.0.5", true),
			"consul.agent.mode is server, so consul.server_key must be set"),
		Entry("a client without the CA and its certificate", "client",
			func(c, a map[string]any) { c["ca_cert"], c["agent_cert"] = "", "" }, consulInstance("c", 0, "10.0.0.9", false),
			"consul.agent.mode is client, so consul.ca_cert, consul.agent_cert must be set"),
		Entry("no gossip key", "client",
			func(c, a map[string]any) { c["encrypt_keys"] = []any{} }, consulInstance("c", 0, "10.0.0.9", false),
			"consul.encrypt_keys must list at least one gossip key"),
		Entry("no server to join", "client",
			func(c, a map[string]any) { a["servers"] = map[string]any{"lan": []any{}} }, consulInstance("c", 0, "10.0.0.9", false),
			"consul.agent.servers.lan is empty and no consul_common link is consumed"),
		Entry("a server certificate without server.<datacenter>.<domain>", "server",
			func(c, a map[string]any) { a["datacenter"] = "dc2" }, consulInstance("c", 0, "10.0.0.5", true),
			"consul.server_cert must have the alternative name server.dc2.cf.internal, which agents verify; its DNS names: server.dc1.cf.internal"),
		Entry("a server certificate that is no PEM", "server",
			func(c, a map[string]any) { c["server_cert"] = "not a certificate" }, consulInstance("c", 0, "10.0.0.5", true),
			"consul.server_cert is not a PEM certificate"),
		Entry("a server without a persistent disk", "server",
			func(c, a map[string]any) {}, consulInstance("c", 0, "10.0.0.5", false),
			"consul.agent.mode is server, so the instance group needs a persistent disk"),
		Entry("rewrite_resolv with a DNS port other than 53", "client",
			func(c, a map[string]any) { a["ports"] = map[string]any{"dns": 8600} }, consulInstance("c", 0, "10.0.0.9", false),
			"consul.agent.rewrite_resolv is true, so consul.agent.ports.dns must be 53"),
	)

	It("accepts a server certificate whose wildcard covers server.<datacenter>.<domain>", func() {
		wildcard, err := m.ca.Issue(certs.Request{CommonName: "consul", AlternativeNames: []string{"*.dc1.cf.internal"},
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}})
		Expect(err).NotTo(HaveOccurred())
		props := m.consulProps("server", map[string]any{"servers": map[string]any{"lan": []any{"10.0.0.5"}}})
		props["consul"].(map[string]any)["server_cert"] = string(wildcard.CertificatePEM)
		props["consul"].(map[string]any)["server_key"] = string(wildcard.PrivateKeyPEM)
		Expect(parseConsulConfig(mustRender("consul_agent", props, consulInstance("c", 0, "10.0.0.5", true), nil)).BootstrapExpect).To(Equal(1))
	})

	It("fails by default: gossip keys and certificates are required", func() {
		_, err := renderJob("consul_agent", map[string]any{}, consulInstance("c", 0, "10.0.0.9", false), consulCommon(1, "10.0.0", map[string]any{}))
		Expect(err).To(MatchError(ContainSubstring("consul.encrypt_keys must list at least one gossip key")))
	})

	It("gives monit a stop timeout longer than the agent's own", func() {
		f := consulServerFixture(m)
		f.props["consul"].(map[string]any)["agent"].(map[string]any)["stop_timeout_in_seconds"] = 50
		out := mustRender("consul_agent", f.props, f.inst, f.links)
		Expect(string(out["bin/consul_agent_ctl"])).To(ContainSubstring("--retry TERM/50/KILL/5"))
		Expect(string(out[render.MonitDestination])).To(ContainSubstring("with timeout 65 seconds"))
	})
})

var _ = Describe("the consul_agent pre-start", Label("integration"), func() {
	var m consulMaterial

	// runPreStart runs the rendered pre-start in a private mount namespace
	// where a test directory is /var/vcap and a test file /etc/resolv.conf.
	runPreStart := func(out map[string][]byte, vcap, resolv string) {
		GinkgoHelper()
		job := filepath.Join(vcap, "jobs", "consul_agent")
		for dest, content := range out {
			path := filepath.Join(job, dest)
			Expect(os.MkdirAll(filepath.Dir(path), 0o755)).To(Succeed())
			Expect(os.WriteFile(path, content, 0o755)).To(Succeed())
		}
		script := `mount --bind "$1" /var/vcap && mount --bind "$2" /etc/resolv.conf && exec /var/vcap/jobs/consul_agent/bin/pre-start`
		cmd := exec.Command("unshare", "--mount", "--propagation", "private", "bash", "-c", script, "pre-start", vcap, resolv)
		output, err := cmd.CombinedOutput()
		Expect(err).NotTo(HaveOccurred(), "%s", output)
	}

	BeforeEach(func() {
		m = newConsulMaterial()
		Expect(os.Geteuid()).To(Equal(0), "running pre-start needs root (mount namespaces, chown to vcap)")
		_, err := os.Stat("/etc/resolvconf")
		Expect(os.IsNotExist(err)).To(BeTrue(), "this host has /etc/resolvconf, which pre-start would update; run this test where resolv.conf is a plain file")
		if _, err := user.Lookup("vcap"); err != nil {
			Expect(exec.Command("useradd", "--user-group", "--no-create-home", "--home-dir", "/home/vcap", "--shell", "/bin/bash", "vcap").Run()).To(Succeed())
		}
		Expect(os.MkdirAll("/var/vcap", 0o755)).To(Succeed())
	})

	It("installs the keyring, records the VM's resolvers as recursors and puts the agent first, idempotently", func() {
		dir := GinkgoT().TempDir()
		vcap, resolv := filepath.Join(dir, "vcap"), filepath.Join(dir, "resolv.conf")
		Expect(os.MkdirAll(vcap, 0o755)).To(Succeed())
		Expect(os.WriteFile(resolv, []byte("search example.com\nnameserver 10.0.0.2\nnameserver 10.0.0.3\n"), 0o644)).To(Succeed())
		f := consulServerFixture(m)
		out := mustRender("consul_agent", f.props, f.inst, f.links)

		for range 2 {
			runPreStart(out, vcap, resolv)
			Expect(os.ReadFile(resolv)).To(Equal([]byte("nameserver 127.0.0.1\nsearch example.com\nnameserver 10.0.0.2\nnameserver 10.0.0.3\n")))
			var recursors struct{ Recursors []string }
			data, err := os.ReadFile(filepath.Join(vcap, "data", "consul_agent", "recursors.json"))
			Expect(err).NotTo(HaveOccurred())
			Expect(json.Unmarshal(data, &recursors)).To(Succeed(), "%s", data)
			Expect(recursors.Recursors).To(Equal([]string{"10.0.0.2", "10.0.0.3"}))
		}
		for _, ring := range []string{"local.keyring", "remote.keyring"} {
			data, err := os.ReadFile(filepath.Join(vcap, "store", "consul_agent", "serf", ring))
			Expect(err).NotTo(HaveOccurred())
			Expect(data).To(Equal(out["config/serf.keyring"]))
			info, err := os.Stat(filepath.Join(vcap, "store", "consul_agent", "serf", ring))
			Expect(err).NotTo(HaveOccurred())
			Expect(info.Mode().Perm()).To(Equal(os.FileMode(0o600)))
		}
		info, err := os.Stat(filepath.Join(vcap, "jobs", "consul_agent", "config", "certs", "server.key"))
		Expect(err).NotTo(HaveOccurred())
		Expect(info.Mode().Perm()).To(Equal(os.FileMode(0o600)))
	})

	It("leaves resolv.conf alone with rewrite_resolv false, and records no recursor when it lists none", func() {
		dir := GinkgoT().TempDir()
		vcap, resolv := filepath.Join(dir, "vcap"), filepath.Join(dir, "resolv.conf")
		Expect(os.MkdirAll(vcap, 0o755)).To(Succeed())
		Expect(os.WriteFile(resolv, []byte("options ndots:1\n"), 0o644)).To(Succeed())
		props := m.consulProps("client", map[string]any{"servers": map[string]any{"lan": []any{"10.0.0.5"}}, "rewrite_resolv": false})
		runPreStart(mustRender("consul_agent", props, consulInstance("etcd", 0, "10.0.0.9", false), nil), vcap, resolv)
		Expect(os.ReadFile(resolv)).To(Equal([]byte("options ndots:1\n")))
		Expect(os.ReadFile(filepath.Join(vcap, "data", "consul_agent", "recursors.json"))).To(MatchJSON(`{"recursors": []}`))
	})
})
