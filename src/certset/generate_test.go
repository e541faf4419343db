package certset_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"os"
	"path/filepath"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"gopkg.in/yaml.v3"

	"github.com/cloudfoundry-incubator/etcd-release/src/certs"
	"github.com/cloudfoundry-incubator/etcd-release/src/certset"
	"github.com/cloudfoundry-incubator/etcd-release/src/vars"
)

func generate(o certset.Options) certset.Set {
	GinkgoHelper()
	if o.KeyType == "" {
		o.KeyType = "ecdsa" // fast
	}
	set, err := certset.Generate(o)
	Expect(err).NotTo(HaveOccurred())
	return set
}

func cert(pemText string) *x509.Certificate {
	GinkgoHelper()
	c, err := certs.ParseCertificate([]byte(pemText))
	Expect(err).NotTo(HaveOccurred())
	return c
}

var _ = Describe("Generate", func() {
	It("makes what the seed's certstrap steps make, and consul's certificates", func() {
		set := generate(certset.Options{})
		Expect(set.Missing()).To(BeEmpty())
		now := time.Now()
		verify := func(leaf, ca string, usage x509.ExtKeyUsage) {
			GinkgoHelper()
			Expect(certs.VerifyChain([]*x509.Certificate{cert(set.Certs[leaf].Certificate)},
				[]*x509.Certificate{cert(set.Certs[ca].Certificate)}, usage, now)).To(Succeed(), "%s by %s", leaf, ca)
		}
		both := []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}
		for _, leaf := range []string{certset.EtcdServer, certset.EtcdPeer} {
			c := cert(set.Certs[leaf].Certificate)
			Expect(c.Subject.CommonName).To(Equal("etcd.service.cf.internal"))
			Expect(c.DNSNames).To(ConsistOf("etcd.service.cf.internal", "*.etcd.service.cf.internal"))
			Expect(c.ExtKeyUsage).To(ConsistOf(both))
			Expect(certs.CoversName(c, "etcd-0.etcd.service.cf.internal")).To(Succeed())
		}
		verify(certset.EtcdServer, certset.EtcdCA, x509.ExtKeyUsageServerAuth)
		verify(certset.EtcdServer, certset.EtcdCA, x509.ExtKeyUsageClientAuth)
		verify(certset.EtcdClient, certset.EtcdCA, x509.ExtKeyUsageClientAuth)
		verify(certset.EtcdPeer, certset.EtcdPeerCA, x509.ExtKeyUsageServerAuth)
		verify(certset.EtcdPeer, certset.EtcdPeerCA, x509.ExtKeyUsageClientAuth)
		verify(certset.ConsulServer, certset.ConsulCA, x509.ExtKeyUsageServerAuth)
		verify(certset.ConsulAgent, certset.ConsulCA, x509.ExtKeyUsageClientAuth)
		Expect(cert(set.Certs[certset.EtcdClient].Certificate).ExtKeyUsage).To(Equal([]x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}))
		Expect(cert(set.Certs[certset.ConsulServer].Certificate).DNSNames).To(Equal([]string{"server.dc1.cf.internal"}))
		Expect(cert(set.Certs[certset.EtcdCA].Certificate).Subject.CommonName).To(Equal("etcdCA"))
		Expect(cert(set.Certs[certset.EtcdPeerCA].Certificate).Subject.CommonName).To(Equal("peerCA"))
		Expect(set.EncryptKey).To(HaveLen(24), "base64 of 16 bytes")
	})

	It("tells two generations of a CA apart by subject, as acceptable-CA lists name them", func() {
		a, b := generate(certset.Options{}), generate(certset.Options{})
		Expect(cert(a.Certs[certset.EtcdCA].Certificate).RawSubject).NotTo(Equal(cert(b.Certs[certset.EtcdCA].Certificate).RawSubject))
	})

	It("takes the suffix, key type and size and validity from its options", func() {
		set := generate(certset.Options{Suffix: "kv.example.internal", KeyType: "ecdsa", KeySize: 384, Validity: 10 * 24 * time.Hour})
		server := cert(set.Certs[certset.EtcdServer].Certificate)
		Expect(server.DNSNames).To(ConsistOf("kv.example.internal", "*.kv.example.internal"))
		Expect(server.PublicKey.(*ecdsa.PublicKey).Curve).To(Equal(elliptic.P384()))
		Expect(server.NotAfter).To(BeTemporally("~", time.Now().Add(10*24*time.Hour), time.Minute))
		Expect(cert(set.Certs[certset.EtcdCA].Certificate).NotAfter).To(BeTemporally("~", time.Now().Add(certset.DefaultCAValidity), time.Minute))

		rsaSet, err := certset.Generate(certset.Options{KeyType: "rsa", KeySize: 3072})
		Expect(err).NotTo(HaveOccurred())
		Expect(cert(rsaSet.Certs[certset.EtcdPeer].Certificate).PublicKey.(*rsa.PublicKey).N.BitLen()).To(Equal(3072))
	})

	DescribeTable("refuses unsafe options",
		func(o certset.Options, message string) {
			_, err := certset.Generate(o)
			Expect(err).To(MatchError(ContainSubstring(message)))
		},
		Entry("a weak RSA key", certset.Options{KeyType: "rsa", KeySize: 1024}, "2048 to 8192"),
		Entry("an unknown curve", certset.Options{KeyType: "ecdsa", KeySize: 200}, "256, 384 or 521"),
		Entry("an unknown key type", certset.Options{KeyType: "dsa"}, "rsa or ecdsa"),
		Entry("a wildcard suffix", certset.Options{Suffix: "*.etcd.service.cf.internal"}, "added by itself"),
		Entry("leaves outliving their CA", certset.Options{KeyType: "ecdsa", Validity: 400 * 24 * time.Hour, CAValidity: 300 * 24 * time.Hour}, "cannot outlive"),
	)

	It("writes a vars file that the default manifest interpolates completely, and PEM files", func() {
		dir := GinkgoT().TempDir()
		set := generate(certset.Options{})
		path := filepath.Join(dir, "vars.yml")
		Expect(set.WriteVars(path)).To(Succeed())
		Expect(set.WritePEM(filepath.Join(dir, "pem"))).To(Succeed())
		info, err := os.Stat(path)
		Expect(err).NotTo(HaveOccurred())
		Expect(info.Mode().Perm()).To(Equal(os.FileMode(0o600)))

		data, err := os.ReadFile(filepath.Join("..", "..", "manifests", "bosh-lite", "etcd.yml"))
		Expect(err).NotTo(HaveOccurred())
		var manifest any
		Expect(yaml.Unmarshal(data, &manifest)).To(Succeed())
		src, err := vars.Flags{VarsFiles: []string{path}}.Load()
		Expect(err).NotTo(HaveOccurred())
		out, err := vars.Interpolate(manifest, src, vars.Options{ExpectAll: true})
		Expect(err).NotTo(HaveOccurred(), "every variable of the manifest comes from the vars file")
		props := out.(map[string]any)["instance_groups"].([]any)[0].(map[string]any)["jobs"].([]any)[1].(map[string]any)["properties"].(map[string]any)["etcd"].(map[string]any)
		Expect(props["peer_cert"]).To(Equal(set.Certs[certset.EtcdPeer].Certificate))

		pemKey, err := os.ReadFile(filepath.Join(dir, "pem", "etcd_server.key"))
		Expect(err).NotTo(HaveOccurred())
		Expect(string(pemKey)).To(Equal(set.Certs[certset.EtcdServer].PrivateKey))

		back, src2, err := certset.Load(path)
		Expect(err).NotTo(HaveOccurred())
		Expect(src2.Manifest).To(BeNil())
		Expect(back).To(Equal(set))
	})
})
