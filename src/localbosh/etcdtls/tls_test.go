package etcdtls_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"path/filepath"
	"slices"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/cloudfoundry-incubator/etcd-release/src/certs"
	"github.com/cloudfoundry-incubator/etcd-release/src/director"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/etcdclient"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/localcluster"
	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/etcdaccess"
	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/testdirector"
	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/vm"
)

const (
	deployment = "etcd"
	suffix     = etcdaccess.Suffix
	etcdctl    = "/var/vcap/jobs/etcd/bin/etcdctl"
)

func deploy(ctx context.Context, ops string) testdirector.TaskRun {
	GinkgoHelper()
	m, err := testdirector.Manifest(filepath.Join(repo, "manifests", "bosh-lite", "etcd.yml"), ops, store)
	Expect(err).NotTo(HaveOccurred())
	run, err := bosh.Deploy(ctx, m, director.DeployOptions{})
	Expect(err).NotTo(HaveOccurred())
	Expect(run.Err()).NotTo(HaveOccurred())
	return run
}

// credential reads a certificate variable the vars store generated.
func credential(name string) (certPEM, keyPEM, caPEM string) {
	GinkgoHelper()
	certPEM, keyPEM, caPEM, err := etcdaccess.Credential(store, name)
	Expect(err).NotTo(HaveOccurred())
	return certPEM, keyPEM, caPEM
}

// clientTLS presents pair (nil: no certificate) and trusts the etcd CA,
// checking servers against the DNS suffix since it dials them by IP.
func clientTLS(pair *tls.Certificate) *tls.Config {
	GinkgoHelper()
	_, _, caPEM := credential("etcd_client")
	cfg, err := etcdaccess.TLSConfig(caPEM, pair)
	Expect(err).NotTo(HaveOccurred())
	return cfg
}

func keyPair(certPEM, keyPEM string) *tls.Certificate {
	GinkgoHelper()
	pair, err := tls.X509KeyPair([]byte(certPEM), []byte(keyPEM))
	Expect(err).NotTo(HaveOccurred())
	return &pair
}

func ips(ctx context.Context) []string {
	GinkgoHelper()
	out, err := etcdaccess.IPs(ctx, bosh.Client(), deployment)
	Expect(err).NotTo(HaveOccurred())
	return out
}

func client(ctx context.Context, cfg *tls.Config) *clientv3.Client {
	GinkgoHelper()
	c, err := etcdclient.NewV3(etcdaccess.Endpoints(ips(ctx)), cfg)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(c.Close)
	return c
}

func authorized(ctx context.Context) *clientv3.Client {
	certPEM, keyPEM, _ := credential("etcd_client")
	return client(ctx, clientTLS(keyPair(certPEM, keyPEM)))
}

// foreign is a client certificate from a CA the cluster does not trust.
func foreign() *tls.Certificate {
	GinkgoHelper()
	ca, err := certs.NewAuthority("strangerCA", certs.WithECDSAKeys())
	Expect(err).NotTo(HaveOccurred())
	pair, err := ca.Issue(certs.Request{CommonName: suffix, AlternativeNames: []string{suffix, "*." + suffix},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth, x509.ExtKeyUsageServerAuth}})
	Expect(err).NotTo(HaveOccurred())
	return keyPair(string(pair.CertificatePEM), string(pair.PrivateKeyPEM))
}

func short(ctx context.Context) context.Context {
	c, cancel := context.WithTimeout(ctx, 5*time.Second)
	DeferCleanup(cancel)
	return c
}

var _ = Describe("the default manifest: etcd with TLS on consul DNS", Ordered, func() {
	AfterAll(func(ctx SpecContext) {
		run, err := bosh.DeleteDeployment(ctx, deployment, true)
		if err == nil {
			Expect(run.Err()).NotTo(HaveOccurred())
		}
	})

	It("deploys three members that advertise their consul names", func(ctx SpecContext) {
		start := time.Now()
		run := deploy(ctx, "")
		GinkgoWriter.Printf("TLS deploy of 3 members, compiling packages: %s\n", time.Since(start))
		Expect(run.Started("Updating instance")).To(HaveLen(3))

		resp, err := authorized(ctx).MemberList(short(ctx))
		Expect(err).NotTo(HaveOccurred())
		var names []string
		for _, m := range resp.Members {
			names = append(names, m.Name)
			Expect(m.PeerURLs).To(Equal([]string{fmt.Sprintf("https://%s.%s:2380", m.Name, suffix)}))
			Expect(m.ClientURLs).To(Equal([]string{fmt.Sprintf("https://%s.%s:2379", m.Name, suffix)}))
		}
		Expect(names).To(ConsistOf("etcd-0", "etcd-1", "etcd-2"))
	}, SpecTimeout(10*time.Minute))

	It("serves etcdctl on a member, through etcd.service.cf.internal, with the client certificate", func(ctx SpecContext) {
		out, err := bosh.Run(ctx, deployment, "etcd/1", vm.Cmd{Argv: []string{"sh", "-c", "export ETCDCTL_ENDPOINTS=https://" + suffix + ":2379; " +
			etcdctl + " put via-consul yes && " + etcdctl + " get via-consul --print-value-only"}})
		Expect(err).NotTo(HaveOccurred())
		Expect(strings.Fields(string(out))).To(Equal([]string{"OK", "yes"}))
		Expect(bosh.Resolve(ctx, deployment, "etcd/0", suffix)).To(Equal(ips(ctx)))
	})

	It("refuses clients without a certificate and with one from another CA", func(ctx SpecContext) {
		_, err := client(ctx, clientTLS(nil)).Get(short(ctx), "via-consul")
		Expect(err).To(HaveOccurred())
		_, err = client(ctx, clientTLS(foreign())).Get(short(ctx), "via-consul")
		Expect(err).To(HaveOccurred())
		_, err = authorized(ctx).Get(short(ctx), "via-consul")
		Expect(err).NotTo(HaveOccurred(), "while the client certificate works")
	})

	It("refuses a peer presenting a certificate from another CA", func(ctx SpecContext) {
		for _, ip := range ips(ctx) {
			conn, err := tls.Dial("tcp", ip+":2380", &tls.Config{InsecureSkipVerify: true, Certificates: []tls.Certificate{*foreign()}})
			if err == nil {
				// TLS 1.3 reports a refused client certificate on the first read.
				_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
				_, err = conn.Read(make([]byte, 1))
				conn.Close()
			}
			Expect(err).To(MatchError(ContainSubstring("certificate")), "peer port of %s", ip)
		}
	})

	It("has no plaintext etcd listener: every open TCP port of a member speaks TLS, but consul's gossip", func(ctx SpecContext) {
		gossip := []int{8301, 8302} // consul's serf, encrypted with consul.encrypt_keys, not TLS
		for _, ip := range ips(ctx) {
			open := openPorts(ip)
			Expect(open).To(ContainElements(2379, 2380, 2382))
			for _, port := range open {
				if slices.Contains(gossip, port) {
					continue
				}
				Expect(speaksTLS(ip, port)).To(BeTrue(), "%s:%d accepts connections but does not speak TLS", ip, port)
			}
		}
	})

	It("takes a stopped member out of etcd.service.cf.internal within its check interval, and back once started", func(ctx SpecContext) {
		member, err := bosh.Instance(ctx, deployment, "etcd/2")
		Expect(err).NotTo(HaveOccurred())
		others := slices.DeleteFunc(ips(ctx), func(ip string) bool { return ip == member.IPs[0] })
		run, err := bosh.ChangeJobState(ctx, deployment, "etcd", member.ID, "stopped")
		Expect(err).NotTo(HaveOccurred())
		Expect(run.Err()).NotTo(HaveOccurred())
		stopped := time.Now()
		Eventually(func() ([]string, error) { return bosh.Resolve(ctx, deployment, "etcd/0", suffix) }, "20s", "500ms").Should(Equal(others))
		GinkgoWriter.Printf("a stopped member left %s after %s\n", suffix, time.Since(stopped))
		_, err = bosh.Resolve(ctx, deployment, "etcd/0", "etcd-2."+suffix)
		Expect(err).To(HaveOccurred(), "its own name no longer resolves")

		run, err = bosh.ChangeJobState(ctx, deployment, "etcd", member.ID, "started")
		Expect(err).NotTo(HaveOccurred())
		Expect(run.Err()).NotTo(HaveOccurred())
		Eventually(func() ([]string, error) { return bosh.Resolve(ctx, deployment, "etcd/0", suffix) }, "20s", "500ms").Should(Equal(ips(ctx)))
	}, SpecTimeout(5*time.Minute))

	It("rolls a property change through the TLS members under a steady writer, losing no acknowledged write", func(ctx SpecContext) {
		c := authorized(ctx)
		w := localcluster.StartWriter(c, "rolling", 20*time.Millisecond, 2*time.Second)
		run := deploy(ctx, `
- type: replace
  path: /instance_groups/name=etcd/jobs/name=etcd/properties/etcd/heartbeat_interval_in_milliseconds?
  value: 60
`)
		stats := w.Stop()
		Expect(run.Started("Updating instance")).To(HaveLen(3))
		lost, err := w.Lost(ctx, c, stats.Acked)
		Expect(err).NotTo(HaveOccurred())
		GinkgoWriter.Printf("TLS rolling property change: %d attempted, %d failed, %d lost, longest stall %s\n",
			stats.Attempted, stats.Failed, len(lost), stats.LongestStall)
		Expect(stats.Acked).NotTo(BeEmpty())
		Expect(lost).To(BeEmpty())
	}, SpecTimeout(10*time.Minute))
})

// openPorts connects to every TCP port of ip and lists those that accept.
func openPorts(ip string) []int {
	results := make(chan int, 64)
	ports := make(chan int)
	for range 256 {
		go func() {
			for p := range ports {
				conn, err := net.DialTimeout("tcp", net.JoinHostPort(ip, fmt.Sprint(p)), 500*time.Millisecond)
				if err == nil {
					conn.Close()
					results <- p
				} else {
					results <- 0
				}
			}
		}()
	}
	go func() {
		for p := 1; p <= 65535; p++ {
			ports <- p
		}
		close(ports)
	}()
	var open []int
	for range 65535 {
		if p := <-results; p != 0 {
			open = append(open, p)
		}
	}
	slices.Sort(open)
	return open
}

// speaksTLS tells whether a TLS handshake with the port gets as far as
// the server's certificate.
func speaksTLS(ip string, port int) bool {
	var served bool
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 3 * time.Second}, "tcp", net.JoinHostPort(ip, fmt.Sprint(port)), &tls.Config{
		InsecureSkipVerify: true,
		VerifyConnection:   func(cs tls.ConnectionState) error { served = len(cs.PeerCertificates) > 0; return nil },
	})
	if err == nil {
		conn.Close()
	}
	return served
}
