package jobtest_test

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"golang.org/x/net/dns/dnsmessage"

	"github.com/cloudfoundry-incubator/etcd-release/src/certs"
)

// Agents of these tests bind 127.0.87.x; each serves DNS and HTTP on its own
// address (consul.json's 127.0.0.1 would make them collide on one host).
const (
	consulSubnet = "127.0.87"
	testDNSPort  = 8600
	testHTTPPort = 8500
)

func consulBinary() string {
	GinkgoHelper()
	bin := os.Getenv("CONSUL_BIN")
	if bin == "" {
		home, _ := os.UserHomeDir()
		bin = filepath.Join(home, ".cache", "etcd-release", "bin", "consul")
	}
	Expect(bin).To(BeAnExistingFile(), "run scripts/build-blobs or set CONSUL_BIN")
	return bin
}

// consulAgent is a real consul process started from a rendered consul_agent
// job. Only what cannot be shared on one host is overridden, in a config file
// read after the rendered one: the data directory, the certificate paths, and
// the DNS and HTTP listeners, moved from 127.0.0.1 to the agent's own address.
type consulAgent struct {
	ip, dir string
	cmd     *exec.Cmd
	exited  chan struct{}
}

func startConsulAgent(rendered map[string][]byte, ip string, recursors []string, extra map[string]any) *consulAgent {
	GinkgoHelper()
	dir := filepath.Join(GinkgoT().TempDir(), ip)
	data := filepath.Join(dir, "data")
	Expect(os.MkdirAll(filepath.Join(data, "serf"), 0o700)).To(Succeed())
	Expect(os.MkdirAll(filepath.Join(dir, "certs"), 0o700)).To(Succeed())
	for dest, content := range rendered {
		if name, ok := strings.CutPrefix(dest, "config/certs/"); ok {
			Expect(os.WriteFile(filepath.Join(dir, "certs", name), content, 0o600)).To(Succeed())
		}
	}
	// What pre-start does: the keyring, and the VM's resolvers as recursors.
	for _, ring := range []string{"local.keyring", "remote.keyring"} {
		Expect(os.WriteFile(filepath.Join(data, "serf", ring), rendered["config/serf.keyring"], 0o600)).To(Succeed())
	}
	writeJSON(filepath.Join(dir, "recursors.json"), map[string]any{"recursors": recursors})
	Expect(os.WriteFile(filepath.Join(dir, "consul.json"), rendered["config/consul.json"], 0o600)).To(Succeed())

	var cfg consulConfig
	Expect(json.Unmarshal(rendered["config/consul.json"], &cfg)).To(Succeed())
	identity := filepath.Base(cfg.TLS.Defaults.CertFile)
	override := map[string]any{
		"data_dir":    data,
		"client_addr": ip,
		"ports":       map[string]any{"dns": testDNSPort, "http": testHTTPPort},
		"tls": map[string]any{"defaults": map[string]any{
			"ca_file":   filepath.Join(dir, "certs", "ca.crt"),
			"cert_file": filepath.Join(dir, "certs", identity),
			"key_file":  filepath.Join(dir, "certs", strings.TrimSuffix(identity, ".crt")+".key"),
		}},
	}
	writeJSON(filepath.Join(dir, "override.json"), mergeMaps(override, extra))

	log, err := os.Create(filepath.Join(dir, "consul.log"))
	Expect(err).NotTo(HaveOccurred())
	a := &consulAgent{ip: ip, dir: dir, exited: make(chan struct{})}
	a.cmd = exec.Command(consulBinary(), "agent", "-config-file", filepath.Join(dir, "consul.json"),
		"-config-file", filepath.Join(dir, "recursors.json"), "-config-file", filepath.Join(dir, "override.json"))
	a.cmd.Stdout, a.cmd.Stderr = log, log
	Expect(a.cmd.Start()).To(Succeed())
	go func() { _ = a.cmd.Wait(); log.Close(); close(a.exited) }()
	DeferCleanup(a.stop)
	return a
}

// stop sends SIGTERM (the agent leaves the cluster) and kills it if it has
// not exited after 20 s.
func (a *consulAgent) stop() {
	_ = a.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-a.exited:
	case <-time.After(20 * time.Second):
		_ = a.cmd.Process.Kill()
		<-a.exited
	}
}

func (a *consulAgent) log() string {
	data, _ := os.ReadFile(filepath.Join(a.dir, "consul.log"))
	return string(data)
}

// get reads an HTTP API path of the agent: status code and body.
func (a *consulAgent) get(path string) (int, string, error) {
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(fmt.Sprintf("http://%s:%d%s", a.ip, testHTTPPort, path))
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), err
}

// getJSON reads an HTTP API path that must answer 200 into v.
func (a *consulAgent) getJSON(path string, v any) error {
	code, body, err := a.get(path)
	if err != nil {
		return err
	}
	if code != http.StatusOK {
		return fmt.Errorf("GET %s on %s: %d %s", path, a.ip, code, body)
	}
	return json.Unmarshal([]byte(body), v)
}

// memberNames are the serf LAN members the agent sees alive.
func (a *consulAgent) memberNames() ([]string, error) {
	var members []struct {
		Name   string
		Status int
	}
	if err := a.getJSON("/v1/agent/members", &members); err != nil {
		return nil, err
	}
	var names []string
	for _, m := range members {
		if m.Status == 1 {
			names = append(names, m.Name)
		}
	}
	slices.Sort(names)
	return names, nil
}

// lookup resolves name through the agent's DNS server.
func (a *consulAgent) lookup(name string) ([]string, error) {
	r := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{Timeout: 2 * time.Second}).DialContext(ctx, "udp", fmt.Sprintf("%s:%d", a.ip, testDNSPort))
	}}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	addrs, err := r.LookupHost(ctx, name)
	slices.Sort(addrs)
	return addrs, err
}

// mergeMaps returns base with extra laid over it, maps merged key by key.
func mergeMaps(base, extra map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range base {
		out[k] = v
	}
	for k, v := range extra {
		if sub, ok := v.(map[string]any); ok {
			if under, ok := out[k].(map[string]any); ok {
				v = mergeMaps(under, sub)
			}
		}
		out[k] = v
	}
	return out
}

func writeJSON(path string, v any) {
	GinkgoHelper()
	data, err := json.Marshal(v)
	Expect(err).NotTo(HaveOccurred())
	Expect(os.WriteFile(path, data, 0o600)).To(Succeed())
}

// serveUpstreamDNS answers every A question on addr with answer: the VM's
// previous resolver, to which the agent recurses names outside its domain.
func serveUpstreamDNS(addr string, answer [4]byte) {
	GinkgoHelper()
	conn, err := net.ListenPacket("udp", addr)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(conn.Close)
	go func() {
		buf := make([]byte, 1500)
		for {
			n, from, err := conn.ReadFrom(buf)
			if err != nil {
				return
			}
			var p dnsmessage.Parser
			header, err := p.Start(buf[:n])
			if err != nil {
				continue
			}
			q, err := p.Question()
			if err != nil {
				continue
			}
			b := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: header.ID, Response: true, RecursionAvailable: true})
			_ = b.StartQuestions()
			_ = b.Question(q)
			_ = b.StartAnswers()
			if q.Type == dnsmessage.TypeA {
				_ = b.AResource(dnsmessage.ResourceHeader{Name: q.Name, Class: dnsmessage.ClassINET, TTL: 60}, dnsmessage.AResource{A: answer})
			}
			if reply, err := b.Finish(); err == nil {
				_, _ = conn.WriteTo(reply, from)
			}
		}
	}()
}

var _ = Describe("consul agents rendered by the consul_agent job", Label("integration"), Ordered, func() {
	var (
		m       consulMaterial
		servers []*consulAgent
		client  *consulAgent
		healthy string // the client's service check passes while this file exists
	)
	ip := func(i int) string { return fmt.Sprintf("%s.%d", consulSubnet, i) }
	upstream := ip(9) + ":5300"

	BeforeAll(func() {
		m = newConsulMaterial()
		serveUpstreamDNS(upstream, [4]byte{192, 0, 2, 7})

		By("starting three servers that find each other through their consul_common link")
		props := m.consulProps("server", nil)
		links := consulLinks(3, consulSubnet, props)
		for i := range 3 {
			rendered := mustRender("consul_agent", props, consulInstance("consul", i, ip(i+1), true), links)
			servers = append(servers, startConsulAgent(rendered, ip(i+1), []string{upstream}, nil))
		}

		By("starting a client in another group, with a service whose check the test controls")
		healthy = filepath.Join(GinkgoT().TempDir(), "healthy")
		Expect(os.WriteFile(healthy, nil, 0o600)).To(Succeed())
		clientProps := m.consulProps("client", map[string]any{"services": map[string]any{
			"etcd": map[string]any{"check": map[string]any{"name": "member", "args": []any{"test", "-e", healthy}, "interval": "1s"}},
		}})
		rendered := mustRender("consul_agent", clientProps, consulInstance("etcd", 0, ip(4), false), consulCommon(3, consulSubnet, props))
		client = startConsulAgent(rendered, ip(4), []string{upstream}, nil)
	})

	It("forms a quorum of the three servers, and the client joins them", func() {
		Eventually(func() ([]string, error) {
			var peers []string
			err := servers[0].getJSON("/v1/status/peers", &peers)
			slices.Sort(peers)
			return peers, err
		}, 60*time.Second, 500*time.Millisecond).Should(Equal([]string{ip(1) + ":8300", ip(2) + ":8300", ip(3) + ":8300"}),
			func() string { return servers[0].log() })
		Eventually(servers[1].memberNames, 30*time.Second, 500*time.Millisecond).Should(Equal([]string{"consul-0", "consul-1", "consul-2", "etcd-0"}))
	})

	It("answers consul names through the agent's DNS: the service, its per-instance tag and the AZ tag", func() {
		// Retried as a whole: agents answer from any server's copy of the
		// catalogue (consul's allow_stale default), and a server's copy may
		// trail the leader's for a moment after the client registers.
		Eventually(func(g Gomega) {
			g.Expect(client.lookup("etcd-0.etcd.service.cf.internal.")).To(Equal([]string{ip(4)}))
			g.Expect(client.lookup("etcd.service.cf.internal.")).To(Equal([]string{ip(4)}))
			g.Expect(client.lookup("z1.etcd.service.cf.internal.")).To(Equal([]string{ip(4)}))
			g.Expect(client.lookup("consul.service.cf.internal.")).To(Equal([]string{ip(1), ip(2), ip(3)}))
			g.Expect(servers[2].lookup("etcd-0.etcd.service.cf.internal.")).To(Equal([]string{ip(4)}), "every agent answers for the catalogue")
		}, 30*time.Second, 500*time.Millisecond).Should(Succeed(), func() string { return client.log() })
		_, err := client.lookup("etcd-1.etcd.service.cf.internal.")
		var dnsErr *net.DNSError
		Expect(errors.As(err, &dnsErr) && dnsErr.IsNotFound).To(BeTrue(), "no instance has tag etcd-1: %v", err)
	})

	It("recurses other names to the VM's previous resolvers", func() {
		Expect(client.lookup("outside.example.")).To(Equal([]string{"192.0.2.7"}))
	})

	It("drops the instance from DNS while its check fails (exit 1, consul's warning), and brings it back when it passes", func() {
		Expect(os.Remove(healthy)).To(Succeed())
		Eventually(func() error { _, err := client.lookup("etcd-0.etcd.service.cf.internal."); return err }, 10*time.Second, 250*time.Millisecond).
			Should(MatchError(ContainSubstring("no such host")))
		Expect(os.WriteFile(healthy, nil, 0o600)).To(Succeed())
		Eventually(func() ([]string, error) { return client.lookup("etcd-0.etcd.service.cf.internal.") }, 10*time.Second, 250*time.Millisecond).
			Should(Equal([]string{ip(4)}))
	})

	It("encrypts gossip with the manifest's key, and keeps out an agent with another key", func() {
		var rings []struct {
			Keys        map[string]int
			PrimaryKeys map[string]int
		}
		Expect(servers[0].getJSON("/v1/operator/keyring", &rings)).To(Succeed())
		Expect(rings).NotTo(BeEmpty())
		for _, ring := range rings {
			Expect(ring.PrimaryKeys).To(HaveKey(derivedKey("gossip-passphrase")))
		}

		props := m.consulProps("client", map[string]any{"servers": map[string]any{"lan": []any{ip(1), ip(2), ip(3)}}})
		props["consul"].(map[string]any)["encrypt_keys"] = []any{"another-passphrase"}
		stranger := startConsulAgent(mustRender("consul_agent", props, consulInstance("stranger", 0, ip(5), false), nil), ip(5), nil, nil)
		Eventually(stranger.log, 20*time.Second, 500*time.Millisecond).Should(ContainSubstring("No installed keys could decrypt the message"))
		Consistently(servers[0].memberNames, 5*time.Second, 500*time.Millisecond).ShouldNot(ContainElement("stranger-0"))
	})

	DescribeTable("refuses consul RPC from an agent without a valid certificate",
		func(index int, refusal string, tls func() map[string]any) {
			props := m.consulProps("client", map[string]any{"services": map[string]any{"intruder": map[string]any{"check": map[string]any{}}}})
			rendered := mustRender("consul_agent", props, consulInstance("intruder", index, ip(6+index), false), consulCommon(3, consulSubnet, props))
			intruder := startConsulAgent(rendered, ip(6+index), nil, map[string]any{"tls": map[string]any{"defaults": tls()}})

			By("joining the gossip pool, since it holds the gossip key")
			Eventually(intruder.memberNames, 30*time.Second, 500*time.Millisecond).Should(ContainElement("consul-0"))
			By("but failing every RPC: it cannot read the catalogue or register its service")
			Eventually(func() (int, error) { code, _, err := intruder.get("/v1/catalog/services"); return code, err }, 20*time.Second, time.Second).
				Should(Equal(http.StatusInternalServerError))
			Eventually(func() string {
				var refused []string
				for _, line := range strings.Split(servers[0].log()+servers[1].log()+servers[2].log(), "\n") {
					if strings.Contains(line, "from="+intruder.ip+":") && strings.Contains(line, refusal) {
						refused = append(refused, line)
					}
				}
				return strings.Join(refused, "\n")
			}, 10*time.Second, 500*time.Millisecond).ShouldNot(BeEmpty(), "the servers log the TLS refusal")
			Consistently(func() (map[string][]string, error) {
				services := map[string][]string{}
				err := servers[0].getJSON("/v1/catalog/services", &services)
				return services, err
			}, 5*time.Second, 500*time.Millisecond).ShouldNot(HaveKey("intruder"))
			var served []struct{}
			Expect(servers[0].getJSON("/v1/catalog/service/etcd", &served)).To(Succeed())
			Expect(served).To(HaveLen(1), "the valid client's service is in the catalogue")
		},
		Entry("no certificate at all", 0, "tls: client didn't provide a certificate", func() map[string]any {
			return map[string]any{"cert_file": "", "key_file": "", "verify_incoming": false}
		}),
		Entry("a certificate from another CA", 1, "x509: certificate signed by unknown authority", func() map[string]any {
			other, err := certs.NewAuthority("otherCA", certs.WithECDSAKeys())
			Expect(err).NotTo(HaveOccurred())
			pair, err := other.Issue(certs.Request{CommonName: "server.dc1.cf.internal", AlternativeNames: []string{"server.dc1.cf.internal"},
				ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}})
			Expect(err).NotTo(HaveOccurred())
			dir := GinkgoT().TempDir()
			Expect(os.WriteFile(filepath.Join(dir, "other.crt"), pair.CertificatePEM, 0o600)).To(Succeed())
			Expect(os.WriteFile(filepath.Join(dir, "other.key"), pair.PrivateKeyPEM, 0o600)).To(Succeed())
			return map[string]any{"cert_file": filepath.Join(dir, "other.crt"), "key_file": filepath.Join(dir, "other.key")}
		}),
	)
})
