package certset_test

import (
	"crypto/x509"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"gopkg.in/yaml.v3"

	"github.com/cloudfoundry-incubator/etcd-release/src/certs"
	"github.com/cloudfoundry-incubator/etcd-release/src/certset"
	"github.com/cloudfoundry-incubator/etcd-release/src/opsfile"
	"github.com/cloudfoundry-incubator/etcd-release/src/vars"
)

// reissue replaces a leaf of set with one the CA of its family in from
// signed, with req's names and usages.
func reissue(set certset.Set, leaf string, from certset.Set, req certs.Request) {
	GinkgoHelper()
	issuer := certset.Set{Certs: maps.Clone(from.Certs)}
	Expect(issuer.Reissue(leaf, req)).To(Succeed())
	set.Certs[leaf] = issuer.Certs[leaf]
}

var peerRequest = certs.Request{CommonName: "etcd.service.cf.internal",
	AlternativeNames: []string{"etcd.service.cf.internal", "*.etcd.service.cf.internal"},
	ExtKeyUsage:      []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}}

func count(bundle string) int { return strings.Count(bundle, "BEGIN CERTIFICATE") }

var _ = Describe("Rotate", func() {
	var current, next certset.Set
	BeforeEach(func() {
		current, next = generate(certset.Options{}), generate(certset.Options{})
	})

	It("writes the seed's three stages for the etcd CA, the peer CA and consul's CA alike", func() {
		stages, _, err := certset.Rotate(current, next, time.Now())
		Expect(err).NotTo(HaveOccurred())
		Expect(stages).To(HaveLen(3))
		one, two, three := stages[0].Set, stages[1].Set, stages[2].Set
		for _, f := range certset.Families {
			bundle := one.Certs[f.CA].Certificate
			Expect(count(bundle)).To(Equal(2), f.CA)
			Expect(bundle).To(HavePrefix(current.Certs[f.CA].Certificate))
			Expect(bundle).To(HaveSuffix(next.Certs[f.CA].Certificate))
			Expect(two.Certs[f.CA].Certificate).To(Equal(bundle))
			Expect(three.Certs[f.CA].Certificate).To(Equal(next.Certs[f.CA].Certificate))
			for _, s := range []certset.Set{one, two, three} {
				Expect(s.Certs[f.CA].PrivateKey).To(BeEmpty(), "deploys need no CA key")
			}
			for _, leaf := range f.Leaves {
				Expect(one.Certs[leaf].Certificate).To(Equal(current.Certs[leaf].Certificate))
				Expect(one.Certs[leaf].CA).To(Equal(bundle), "((%s.ca)) reads the bundle too", leaf)
				Expect(two.Certs[leaf].Certificate).To(Equal(next.Certs[leaf].Certificate))
				Expect(two.Certs[leaf].PrivateKey).To(Equal(next.Certs[leaf].PrivateKey))
				Expect(three.Certs[leaf]).To(Equal(certset.Cert{CA: next.Certs[f.CA].Certificate,
					Certificate: next.Certs[leaf].Certificate, PrivateKey: next.Certs[leaf].PrivateKey}))
			}
		}
		Expect(three.EncryptKey).To(Equal(current.EncryptKey))
		Expect(certset.Compatible(current, one, time.Now())).To(Succeed())
		Expect(certset.Compatible(one, two, time.Now())).To(Succeed())
		Expect(certset.Compatible(two, three, time.Now())).To(Succeed())
		Expect(certset.Compatible(current, three, time.Now())).NotTo(Succeed(), "skipping stages breaks the roll")
	})

	It("rotates only the leaves of a family whose CA stays", func() {
		next.Certs[certset.EtcdPeerCA] = current.Certs[certset.EtcdPeerCA]
		reissue(next, certset.EtcdPeer, current, peerRequest)
		stages, notes, err := certset.Rotate(current, next, time.Now())
		Expect(err).NotTo(HaveOccurred())
		Expect(count(stages[0].Set.Certs[certset.EtcdPeerCA].Certificate)).To(Equal(1))
		Expect(notes).To(ContainElement(ContainSubstring("etcd_peer_ca is the same in both sets")))
	})

	DescribeTable("refuses inputs that would break a stage, naming the variable",
		func(spoil func(current, next certset.Set), message string) {
			spoil(current, next)
			_, _, err := certset.Rotate(current, next, time.Now())
			Expect(err).To(MatchError(ContainSubstring(message)))
		},
		Entry("a next leaf signed by the current CA", func(cur, nxt certset.Set) {
			reissue(nxt, certset.EtcdPeer, cur, peerRequest)
		}, "next etcd_peer is signed by the current etcd_peer_ca, which stage 3 removes"),
		Entry("a next leaf no CA of the bundle signed", func(_, nxt certset.Set) {
			stranger := generate(certset.Options{})
			reissue(nxt, certset.EtcdServer, stranger, peerRequest)
		}, "next etcd_server is not signed for its use by the next CA"),
		Entry("a next key not matching its certificate", func(_, nxt certset.Set) {
			c := nxt.Certs[certset.EtcdClient]
			c.PrivateKey = nxt.Certs[certset.EtcdServer].PrivateKey
			nxt.Certs[certset.EtcdClient] = c
		}, "etcd_client.private_key does not match etcd_client.certificate"),
		Entry("a current key not matching", func(cur, _ certset.Set) {
			c := cur.Certs[certset.ConsulAgent]
			c.PrivateKey = cur.Certs[certset.ConsulServer].PrivateKey
			cur.Certs[certset.ConsulAgent] = c
		}, "consul_agent.private_key does not match"),
		Entry("a next peer certificate without client usage", func(_, nxt certset.Set) {
			req := peerRequest
			req.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
			reissue(nxt, certset.EtcdPeer, nxt, req)
		}, "client_auth"),
		Entry("a next server certificate without the wildcard", func(_, nxt certset.Set) {
			req := peerRequest
			req.AlternativeNames = []string{"etcd.service.cf.internal"}
			reissue(nxt, certset.EtcdServer, nxt, req)
		}, "next etcd_server does not cover *.etcd.service.cf.internal"),
		Entry("an expired next certificate", func(_, nxt certset.Set) {
			req := peerRequest
			req.NotBefore, req.NotAfter = time.Now().Add(-48*time.Hour), time.Now().Add(-time.Hour)
			reissue(nxt, certset.EtcdServer, nxt, req)
		}, "next etcd_server is not signed for its use"),
		Entry("a current set in the middle of a rotation", func(cur, nxt certset.Set) {
			c := cur.Certs[certset.ConsulCA]
			c.Certificate += nxt.Certs[certset.ConsulCA].Certificate
			cur.Certs[certset.ConsulCA] = c
		}, "current consul_ca holds 2 certificates: a rotation is under way"),
		Entry("a private key that is not PEM", func(_, nxt certset.Set) {
			c := nxt.Certs[certset.EtcdPeer]
			c.PrivateKey = "not a key"
			nxt.Certs[certset.EtcdPeer] = c
		}, "etcd_peer.private_key is not a usable private key"),
	)

	It("reads the certificates from a manifest's properties, and writes the ops file that makes it read variables", func() {
		dir := GinkgoT().TempDir()
		data, err := os.ReadFile(filepath.Join("..", "..", "manifests", "bosh-lite", "etcd.yml"))
		Expect(err).NotTo(HaveOccurred())
		var manifest any
		Expect(yaml.Unmarshal(data, &manifest)).To(Succeed())
		varsPath := filepath.Join(dir, "vars.yml")
		Expect(current.WriteVars(varsPath)).To(Succeed())
		src, err := vars.Flags{VarsFiles: []string{varsPath}}.Load()
		Expect(err).NotTo(HaveOccurred())
		literal, err := vars.Interpolate(manifest, src, vars.Options{ExpectAll: true})
		Expect(err).NotTo(HaveOccurred())
		out, err := yaml.Marshal(literal)
		Expect(err).NotTo(HaveOccurred())
		manifestPath := filepath.Join(dir, "manifest.yml")
		Expect(os.WriteFile(manifestPath, out, 0o600)).To(Succeed())

		set, from, err := certset.Load(manifestPath)
		Expect(err).NotTo(HaveOccurred())
		Expect(from.Manifest).To(Equal(&certset.ManifestGroups{Etcd: "etcd", Consul: "etcd"}))
		Expect(set.Certs[certset.EtcdPeer].Certificate).To(Equal(current.Certs[certset.EtcdPeer].Certificate))
		Expect(set.EncryptKey).To(Equal(current.EncryptKey))

		ops, err := opsfile.Parse("use-variables.yml", certset.UseVariablesOps(*from.Manifest))
		Expect(err).NotTo(HaveOccurred())
		converted, err := ops.Apply(literal)
		Expect(err).NotTo(HaveOccurred())
		stages, _, err := certset.Rotate(set, next, time.Now())
		Expect(err).NotTo(HaveOccurred())
		stagePath := filepath.Join(dir, "stage-1.yml")
		Expect(stages[0].Set.WriteVars(stagePath)).To(Succeed())
		src, err = vars.Flags{VarsFiles: []string{stagePath}}.Load()
		Expect(err).NotTo(HaveOccurred())
		final, err := vars.Interpolate(converted, src, vars.Options{ExpectAll: true})
		Expect(err).NotTo(HaveOccurred())
		etcd := final.(map[string]any)["instance_groups"].([]any)[0].(map[string]any)["jobs"].([]any)[1].(map[string]any)["properties"].(map[string]any)["etcd"].(map[string]any)
		Expect(count(etcd["ca_cert"].(string))).To(Equal(2), "the bundle reaches etcd.ca_cert")
	})

	It("refuses a manifest whose properties refer to variables", func() {
		_, _, err := certset.Load(filepath.Join("..", "..", "manifests", "bosh-lite", "etcd.yml"))
		Expect(err).To(MatchError(ContainSubstring("property etcd.ca_cert refers to a variable")))
	})
})
