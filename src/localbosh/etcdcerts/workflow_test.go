package etcdcerts_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/certs"
	"github.com/cloudfoundry-incubator/etcd-release/src/certset"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/certcheck"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/localcluster"
	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/vm"
)

// spoil writes a copy of the set at from with one change, for a deploy
// that must be refused.
func spoil(from string, change func(s certset.Set)) string {
	GinkgoHelper()
	set := load(from)
	change(set)
	path := filepath.Join(GinkgoT().TempDir(), "bad.yml")
	Expect(set.WriteVars(path)).To(Succeed())
	return path
}

var both = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}

func memberRequest() certs.Request {
	return certs.Request{CommonName: suffix, AlternativeNames: []string{suffix, "*." + suffix}, ExtKeyUsage: both}
}

// onMember runs etcdfab check-certs on a member, as an operator would
// through `bosh ssh -c`, and returns its JSON report.
func onMember(ctx context.Context, args ...string) (certcheck.Report, error) {
	GinkgoHelper()
	v, err := bosh.VM(ctx, deployment, "etcd/0")
	Expect(err).NotTo(HaveOccurred())
	var stdout, stderr bytes.Buffer
	code, err := v.Exec(ctx, vm.Cmd{Argv: append([]string{"/var/vcap/packages/etcdfab/bin/etcdfab", "check-certs", "-json"}, args...),
		Stdout: &stdout, Stderr: &stderr})
	Expect(err).NotTo(HaveOccurred())
	var report certcheck.Report
	Expect(json.Unmarshal(stdout.Bytes(), &report)).To(Succeed(), "check-certs printed %q, %q", stdout.String(), stderr.String())
	if code != 0 {
		return report, fmt.Errorf("check-certs exited %d: %s", code, stderr.String())
	}
	return report, nil
}

var _ = Describe("the operator's certificate workflow", Ordered, func() {
	var first, second string // vars files of the two generated sets

	BeforeAll(func() {
		first, second = filepath.Join(dir, "first", "vars.yml"), filepath.Join(dir, "second", "vars.yml")
	})
	AfterAll(func(ctx SpecContext) {
		printTable()
		run, err := bosh.DeleteDeployment(ctx, deployment, true)
		if err == nil {
			Expect(run.Err()).NotTo(HaveOccurred())
		}
	})

	It("deploys a plain cluster", func(ctx SpecContext) {
		start := time.Now()
		run := deploy(ctx, manifest([]string{"plain.yml"}))
		Expect(run.Err()).NotTo(HaveOccurred())
		GinkgoWriter.Printf("plain deploy of 3 members, compiling packages: %s\n", time.Since(start))
	}, SpecTimeout(10*time.Minute))

	It("turns TLS on in place: consul first with etcd plain, then TLS, each rolling under load", func(ctx SpecContext) {
		plain := client(ctx, "http", nil)
		Expect(plain.Put(ctx, "from-plain-days", "kept")).Error().NotTo(HaveOccurred())
		underLoad(ctx, "TLS on, step 1: consul beside plain etcd", localcluster.Via(plain, "plain"), plain, func() {
			run := deploy(ctx, manifest([]string{"plain-with-consul.yml"}, first))
			Expect(run.Err()).NotTo(HaveOccurred())
			Expect(run.Started("Updating instance")).To(HaveLen(3))
		})
		// The last member updated passes consul's check within its 3 s interval.
		Eventually(func() ([]string, error) { return bosh.Resolve(ctx, deployment, "etcd/0", suffix) }, "30s", "500ms").
			Should(Equal(ips(ctx)), "consul serves the members' names before TLS goes on")

		set := load(first)
		secure := client(ctx, "https", tlsFor(set, set))
		underLoad(ctx, "TLS on, step 2: TLS", localcluster.EitherRoute(plain, secure), secure, func() {
			run := deploy(ctx, manifest(nil, first))
			Expect(run.Err()).NotTo(HaveOccurred())
			Expect(run.Started("Updating instance")).To(HaveLen(3))
		})

		resp, err := secure.MemberList(ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(resp.Members).To(HaveLen(3))
		for _, m := range resp.Members {
			Expect(m.PeerURLs).To(Equal([]string{fmt.Sprintf("https://%s.%s:2380", m.Name, suffix)}), "peer URLs moved from IPs to names")
		}
		got, err := secure.Get(ctx, "from-plain-days")
		Expect(err).NotTo(HaveOccurred())
		Expect(got.Kvs).To(HaveLen(1))
		Expect(checkCluster(ctx, first).Ready).To(BeTrue())
		report, err := onMember(ctx)
		Expect(err).NotTo(HaveOccurred(), "check-certs on a member, against its rendered certificates")
		Expect(report.Ready).To(BeTrue())
		Expect(report.Members).To(HaveLen(3))
	}, SpecTimeout(20*time.Minute))

	It("refuses each bad certificate at the canary's pre-start, naming the property, while the cluster serves", func(ctx SpecContext) {
		set := load(first)
		secure := client(ctx, "https", tlsFor(set, set))
		now := time.Now()
		cases := []struct {
			what, property, message string
			vars                    string
		}{
			{"an expired server certificate", "etcd.server_cert", "expired", spoil(first, func(s certset.Set) {
				req := memberRequest()
				req.NotBefore, req.NotAfter = now.Add(-48*time.Hour), now.Add(-time.Hour)
				Expect(s.Reissue(certset.EtcdServer, req)).To(Succeed())
			})},
			{"a peer certificate not yet valid", "etcd.peer_cert", "not yet valid", spoil(first, func(s certset.Set) {
				req := memberRequest()
				req.NotBefore, req.NotAfter = now.Add(24*time.Hour), now.Add(48*time.Hour)
				Expect(s.Reissue(certset.EtcdPeer, req)).To(Succeed())
			})},
			{"a client key not matching its certificate", "etcd.client_key", "does not match", spoil(first, func(s certset.Set) {
				c := s.Certs[certset.EtcdClient]
				c.PrivateKey = s.Certs[certset.EtcdServer].PrivateKey
				s.Certs[certset.EtcdClient] = c
			})},
			{"a server certificate whose names miss the advertised ones", "etcd.server_cert", "does not cover", spoil(first, func(s certset.Set) {
				req := memberRequest()
				req.AlternativeNames = []string{"other.example.internal"}
				Expect(s.Reissue(certset.EtcdServer, req)).To(Succeed())
			})},
			{"a peer CA bundle without the peer certificate's signer", "etcd.peer_ca_cert", "does not chain", spoil(first, func(s certset.Set) {
				s.Certs[certset.EtcdPeerCA] = load(second).Certs[certset.EtcdPeerCA]
			})},
			{"a peer certificate without client usage", "etcd.peer_cert", "client_auth", spoil(first, func(s certset.Set) {
				req := memberRequest()
				req.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
				Expect(s.Reissue(certset.EtcdPeer, req)).To(Succeed())
			})},
			{"a server key that is not PEM", "etcd.server_key", "not a usable private key", spoil(first, func(s certset.Set) {
				c := s.Certs[certset.EtcdServer]
				c.PrivateKey = "not a key"
				s.Certs[certset.EtcdServer] = c
			})},
		}
		underLoad(ctx, fmt.Sprintf("bad certificates: %d refused deploys, then the good one", len(cases)), localcluster.Via(secure, "tls"), secure, func() {
			for _, c := range cases {
				By("deploying " + c.what)
				start := time.Now()
				run := deploy(ctx, manifest(nil, c.vars))
				Expect(run.Succeeded()).To(BeFalse(), c.what)
				failure := run.Err().Error()
				Expect(failure).To(ContainSubstring("pre-start script of job etcd failed"), c.what)
				Expect(failure).To(ContainSubstring(c.property), c.what)
				Expect(failure).To(ContainSubstring(c.message), c.what)
				Expect(run.Started("Updating instance")).To(ConsistOf(ContainSubstring("(canary)")), "the deploy stops at the canary")
				GinkgoWriter.Printf("%s refused in %s\n", c.what, time.Since(start).Round(100*time.Millisecond))

				canary, err := bosh.Instance(ctx, deployment, "etcd/0")
				Expect(err).NotTo(HaveOccurred())
				Expect(canary.JobState).NotTo(Equal("running"), "BOSH stops the canary before its new templates and pre-start: etcd did not start on them")
				resp, err := secure.MemberList(ctx)
				Expect(err).NotTo(HaveOccurred(), "the other two members keep serving")
				Expect(resp.Members).To(HaveLen(3), "the canary stays a member, its data kept")
			}
			By("deploying the good certificates again")
			run := deploy(ctx, manifest(nil, first))
			Expect(run.Err()).NotTo(HaveOccurred())
			Expect(run.Started("Updating instance")).To(ConsistOf(ContainSubstring("(canary)")), "only the canary had changed")
		})
		Expect(checkCluster(ctx, first).Ready).To(BeTrue())
	}, SpecTimeout(20*time.Minute))

	It("rotates every CA in the three stages scripts/rotate-certs writes, each checked on every member", func(ctx SpecContext) {
		out := filepath.Join(dir, "rotation")
		Expect(certset.Main([]string{"rotate", "-current", first, "-next", second, "-out", out}, GinkgoWriter, GinkgoWriter)).To(Equal(0))
		stage := func(n int) string { return filepath.Join(out, fmt.Sprintf("stage-%d.yml", n)) }
		// The load trusts both CAs throughout and presents the client
		// certificate of the stage being deployed: stage 3 drops the
		// current CA, so it needs the next client certificate.
		bundle := load(stage(1))
		before := checkCluster(ctx, stage(1))
		Expect(before.Ready).To(BeFalse(), "before stage 1 the members accept only the current CAs")

		for n := 1; n <= 3; n++ {
			c := client(ctx, "https", tlsFor(load(stage(n)), bundle))
			underLoad(ctx, fmt.Sprintf("rotation, stage %d", n), localcluster.Via(c, "tls"), c, func() {
				run := deploy(ctx, manifest(nil, stage(n)))
				Expect(run.Err()).NotTo(HaveOccurred())
				Expect(run.Started("Updating instance")).To(HaveLen(3))
			})
			report := checkCluster(ctx, stage(n))
			Expect(report.Ready).To(BeTrue(), "after stage %d every member serves and accepts what it holds", n)
			onVM, err := onMember(ctx)
			Expect(err).NotTo(HaveOccurred(), "check-certs on a member after stage %d", n)
			Expect(onVM.Ready).To(BeTrue())
			if n < 3 {
				Expect(checkCluster(ctx, stage(n+1)).Ready).To(BeFalse(), "stage %d has not been deployed yet", n+1)
			}
		}
		final := checkCluster(ctx, second)
		Expect(final.Ready).To(BeTrue(), "the cluster runs the next set alone")
		next := load(second)
		for _, m := range final.Members {
			for _, p := range m.Ports {
				Expect(strings.Join(p.Accepts, ",")).NotTo(ContainSubstring(certcheck.DNLabel(mustCert(load(first).Certs[certset.EtcdCA].Certificate).RawSubject)))
				if p.Kind == certcheck.Client {
					Expect(p.SignedBy).To(Equal(certcheck.Label(mustCert(next.Certs[certset.EtcdCA].Certificate))))
				}
			}
		}
	}, SpecTimeout(30*time.Minute))
})

func mustCert(pemText string) *x509.Certificate {
	GinkgoHelper()
	c, err := certs.ParseCertificate([]byte(pemText))
	Expect(err).NotTo(HaveOccurred())
	return c
}
