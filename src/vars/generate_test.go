package vars_test

import (
	"crypto/md5"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/vars"
)

// manifest declares the leaf certificate before its CA, so generation has to
// order them itself.
const manifest = `
name: etcd
properties:
  etcd:
    ca_cert: ((etcd_server.ca))
    server_cert: ((etcd_server.certificate))
    server_key: ((etcd_server.private_key))
    peer_ca_cert: ((etcd_ca.certificate))
    password: ((admin_password))
    url: "https://((ip)):2379"
variables:
- name: etcd_server
  type: certificate
  options:
    ca: etcd_ca
    common_name: etcd.service.cf.internal
    alternative_names: ["*.etcd.service.cf.internal", ((ip))]
    extended_key_usage: [server_auth, client_auth]
- name: etcd_ca
  type: certificate
  options:
    is_ca: true
    common_name: etcdCA
- name: admin_password
  type: password
`

func parseCert(text any) *x509.Certificate {
	GinkgoHelper()
	s, ok := text.(string)
	Expect(ok).To(BeTrue(), "expected a PEM string, got %#v", text)
	block, rest := pem.Decode([]byte(s))
	Expect(block).NotTo(BeNil())
	Expect(block.Type).To(Equal("CERTIFICATE"))
	Expect(strings.TrimSpace(string(rest))).To(BeEmpty())
	cert, err := x509.ParseCertificate(block.Bytes)
	Expect(err).NotTo(HaveOccurred())
	return cert
}

func lookup(doc any, keys ...string) any {
	GinkgoHelper()
	for _, k := range keys {
		m, ok := doc.(map[string]any)
		Expect(ok).To(BeTrue(), "expected a map at %q", k)
		doc = m[k]
	}
	return doc
}

var _ = Describe("generating declared variables into the vars store", func() {
	var storePath string
	flags := func() vars.Flags {
		return vars.Flags{Vars: []string{"ip=10.244.0.2"}, VarsStore: storePath}
	}
	interpolate := func() any {
		GinkgoHelper()
		src, err := flags().Load()
		Expect(err).NotTo(HaveOccurred())
		out, err := vars.Interpolate(fromYAML(manifest), src, vars.Options{ExpectAll: true})
		Expect(err).NotTo(HaveOccurred())
		return out
	}

	BeforeEach(func() {
		storePath = filepath.Join(GinkgoT().TempDir(), "creds.yml")
	})

	It("generates, writes 0600, reloads, and changes nothing the second time", func() {
		first := interpolate()

		info, err := os.Stat(storePath)
		Expect(err).NotTo(HaveOccurred())
		Expect(info.Mode().Perm()).To(Equal(os.FileMode(0o600)))
		saved, err := os.ReadFile(storePath)
		Expect(err).NotTo(HaveOccurred())

		stored := fromYAML(string(saved))
		Expect(stored).To(HaveKey("etcd_ca"))
		Expect(stored).To(HaveKey("etcd_server"))
		Expect(stored).To(HaveKey("admin_password"))
		Expect(stored).NotTo(HaveKey("ip"), "static values are not stored")
		Expect(lookup(first, "properties", "etcd", "server_cert")).To(Equal(lookup(stored, "etcd_server", "certificate")))
		Expect(lookup(first, "properties", "etcd", "password")).To(Equal(lookup(stored, "admin_password")))
		Expect(lookup(first, "properties", "etcd", "url")).To(Equal("https://10.244.0.2:2379"))

		second := interpolate()
		Expect(second).To(Equal(first))
		again, err := os.ReadFile(storePath)
		Expect(err).NotTo(HaveOccurred())
		Expect(again).To(Equal(saved))
	})

	It("issues a leaf certificate that verifies against its generated CA with the requested SANs and usages", func() {
		out := interpolate()
		etcd := lookup(out, "properties", "etcd")
		ca := parseCert(lookup(etcd, "peer_ca_cert"))
		leaf := parseCert(lookup(etcd, "server_cert"))
		Expect(lookup(etcd, "ca_cert")).To(Equal(lookup(etcd, "peer_ca_cert")), "the leaf's ca is its CA's certificate")

		Expect(ca.IsCA).To(BeTrue())
		Expect(ca.Subject.CommonName).To(Equal("etcdCA"))
		Expect(leaf.Subject.CommonName).To(Equal("etcd.service.cf.internal"))
		Expect(leaf.DNSNames).To(ConsistOf("*.etcd.service.cf.internal"))
		Expect(leaf.IPAddresses).To(HaveLen(1))
		Expect(leaf.IPAddresses[0].Equal(net.ParseIP("10.244.0.2"))).To(BeTrue())
		Expect(leaf.ExtKeyUsage).To(ConsistOf(x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth))

		roots := x509.NewCertPool()
		roots.AddCert(ca)
		for _, usage := range []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth} {
			_, err := leaf.Verify(x509.VerifyOptions{
				Roots:       roots,
				DNSName:     "etcd-0.etcd.service.cf.internal",
				KeyUsages:   []x509.ExtKeyUsage{usage},
				CurrentTime: time.Now(),
			})
			Expect(err).NotTo(HaveOccurred())
		}

		keyBlock, _ := pem.Decode([]byte(lookup(etcd, "server_key").(string)))
		Expect(keyBlock).NotTo(BeNil())
		key, err := x509.ParsePKCS8PrivateKey(keyBlock.Bytes)
		if err != nil {
			key, err = x509.ParsePKCS1PrivateKey(keyBlock.Bytes)
		}
		Expect(err).NotTo(HaveOccurred())
		Expect(key.(*rsa.PrivateKey).PublicKey.Equal(leaf.PublicKey)).To(BeTrue(), "private_key matches the certificate")
	})

	It("generates a 20-character password from a-z0-9", func() {
		out := interpolate()
		Expect(lookup(out, "properties", "etcd", "password")).To(MatchRegexp(`\A[a-z0-9]{20}\z`))
	})

	It("takes a password's length and refuses options the bosh CLI's generators refuse", func() {
		generate := func(doc string) (any, error) {
			src, err := vars.Flags{VarsStore: filepath.Join(GinkgoT().TempDir(), "s.yml")}.Load()
			Expect(err).NotTo(HaveOccurred())
			return vars.Interpolate(fromYAML(doc), src, vars.Options{ExpectAll: true})
		}
		out, err := generate("p: ((pw))\nvariables:\n- {name: pw, type: password, options: {length: 32}}\n")
		Expect(err).NotTo(HaveOccurred())
		Expect(lookup(out, "p")).To(MatchRegexp(`\A[a-z0-9]{32}\z`))
		_, err = generate("p: ((pw))\nvariables:\n- {name: pw, type: password, options: {size: 32}}\n")
		Expect(err).To(MatchError(ContainSubstring("Unsupported parameter 'size'")))
		_, err = generate("c: ((c))\nvariables:\n- {name: c, type: certificate, options: {is_ca: true, common_name: ca, key_usage: [digital_signature]}}\n")
		Expect(err).To(MatchError(ContainSubstring("Unsupported parameter 'key_usage'")))
	})

	It("honours a certificate's organization and key_length, and refuses what the bosh CLI refuses", func() {
		generate := func(doc string) (any, error) {
			src, err := vars.Flags{VarsStore: filepath.Join(GinkgoT().TempDir(), "s.yml")}.Load()
			Expect(err).NotTo(HaveOccurred())
			return vars.Interpolate(fromYAML(doc), src, vars.Options{ExpectAll: true})
		}
		out, err := generate(`c: ((leaf))
variables:
- {name: ca, type: certificate, options: {is_ca: true, common_name: ca, organization: Acme, key_length: 3072}}
- {name: leaf, type: certificate, options: {ca: ca, common_name: leaf, organization: Acme Leaf, key_length: 4096}}
`)
		Expect(err).NotTo(HaveOccurred())
		leaf := parseCert(lookup(out, "c", "certificate"))
		Expect(leaf.Subject.Organization).To(Equal([]string{"Acme Leaf"}))
		Expect(leaf.Subject.CommonName).To(Equal("leaf"))
		Expect(leaf.PublicKey.(*rsa.PublicKey).N.BitLen()).To(Equal(4096))
		ca := parseCert(lookup(out, "c", "ca"))
		Expect(ca.Subject.Organization).To(Equal([]string{"Acme"}))
		Expect(ca.PublicKey.(*rsa.PublicKey).N.BitLen()).To(Equal(3072))

		_, err = generate("c: ((c))\nvariables:\n- {name: c, type: certificate, options: {is_ca: true, common_name: ca, key_length: 1024}}\n")
		Expect(err).To(MatchError(ContainSubstring("Invalid key_length: 1024.  Must be one of: [2048 3072 4096]")))
		_, err = generate("c: ((c))\nvariables:\n- {name: c, type: certificate, options: {is_ca: true, common_name: ca, organizations: [Acme]}}\n")
		Expect(err).To(MatchError(ContainSubstring("Unsupported parameter 'organizations'")))
	})

	It("keeps a CA it finds in the store and issues new certificates from it", func() {
		interpolate()
		saved, err := os.ReadFile(storePath)
		Expect(err).NotTo(HaveOccurred())
		stored := fromYAML(string(saved)).(map[string]any)
		delete(stored, "etcd_server")
		data, err := vars.Marshal(stored)
		Expect(err).NotTo(HaveOccurred())
		Expect(os.WriteFile(storePath, data, 0o600)).To(Succeed())

		out := interpolate()
		Expect(lookup(out, "properties", "etcd", "peer_ca_cert")).To(Equal(lookup(stored, "etcd_ca", "certificate")))
		roots := x509.NewCertPool()
		roots.AddCert(parseCert(lookup(stored, "etcd_ca", "certificate")))
		_, err = parseCert(lookup(out, "properties", "etcd", "server_cert")).Verify(x509.VerifyOptions{Roots: roots, DNSName: "x.etcd.service.cf.internal"})
		Expect(err).NotTo(HaveOccurred())
	})

	It("does not generate without a vars store, reporting the declared variables as missing", func() {
		src, err := vars.Flags{Vars: []string{"ip=10.244.0.2"}}.Load()
		Expect(err).NotTo(HaveOccurred())
		_, err = vars.Interpolate(fromYAML(manifest), src, vars.Options{ExpectAll: true})
		var missing *vars.MissingError
		Expect(errors.As(err, &missing)).To(BeTrue())
		Expect(missing.Names).To(Equal([]string{"admin_password", "etcd_ca", "etcd_server"}))
	})

	It("does not generate a certificate whose options lack a variable, and lists both", func() {
		src, err := vars.Flags{VarsStore: storePath}.Load()
		Expect(err).NotTo(HaveOccurred())
		_, err = vars.Interpolate(fromYAML(manifest), src, vars.Options{ExpectAll: true})
		var missing *vars.MissingError
		Expect(errors.As(err, &missing)).To(BeTrue())
		Expect(missing.Names).To(Equal([]string{"etcd_server", "ip"}))
		saved, err := os.ReadFile(storePath)
		Expect(err).NotTo(HaveOccurred())
		Expect(fromYAML(string(saved))).NotTo(HaveKey("etcd_server"))
	})

	DescribeTable("refuses variables it cannot generate, naming them",
		func(variables, message string) {
			src := vars.Sources{Store: mustOpenStore(storePath)}
			_, err := vars.Interpolate(fromYAML(variables), src, vars.Options{})
			Expect(err).To(MatchError(ContainSubstring(message)))
		},
		Entry("unknown type", "variables: [{name: x, type: user}]",
			"generating variable 'x' (type user): localbosh cannot generate type 'user'"),
		Entry("undeclared CA", "variables: [{name: leaf, type: certificate, options: {ca: nope, common_name: a}}]",
			"CA 'nope' is neither declared under variables: nor given a value"),
		Entry("leaf without CA", "variables: [{name: leaf, type: certificate, options: {common_name: a}}]",
			"generating variable 'leaf' (type certificate): option ca is required"),
		Entry("unknown extended key usage", "variables: [{name: ca, type: certificate, options: {is_ca: true, common_name: ca}}, {name: leaf, type: certificate, options: {ca: ca, common_name: a, extended_key_usage: [code_signing]}}]",
			"unknown extended_key_usage \"code_signing\""),
		Entry("CA that is not a certificate", "variables: [{name: ca, type: password}, {name: leaf, type: certificate, options: {ca: ca, common_name: a}}]",
			"CA 'ca' must be a certificate value with 'certificate' and 'private_key'"),
		Entry("options that are not a map", "variables: [{name: c, type: certificate, options: [a]}]",
			"options must be a map"),
		Entry("cycle through options", "variables: [{name: a, type: certificate, options: {ca: b, common_name: x}}, {name: b, type: certificate, options: {ca: a, common_name: y}}]",
			"variable 'a' depends on itself (a -> b -> a)"),
	)

	It("generates rsa keys", func() {
		out, err := vars.Interpolate(fromYAML("{k: ((key)), variables: [{name: key, type: rsa}]}"),
			vars.Sources{Store: mustOpenStore(storePath)}, vars.Options{ExpectAll: true})
		Expect(err).NotTo(HaveOccurred())
		privBlock, _ := pem.Decode([]byte(lookup(out, "k", "private_key").(string)))
		priv, err := x509.ParsePKCS1PrivateKey(privBlock.Bytes)
		Expect(err).NotTo(HaveOccurred())
		Expect(priv.N.BitLen()).To(Equal(2048))
		pubBlock, _ := pem.Decode([]byte(lookup(out, "k", "public_key").(string)))
		pub, err := x509.ParsePKIXPublicKey(pubBlock.Bytes)
		Expect(err).NotTo(HaveOccurred())
		Expect(priv.PublicKey.Equal(pub)).To(BeTrue())
	})

	It("generates ssh keys that ssh-keygen reads, with their MD5 fingerprint", func() {
		out, err := vars.Interpolate(fromYAML("{k: ((key)), variables: [{name: key, type: ssh}]}"),
			vars.Sources{Store: mustOpenStore(storePath)}, vars.Options{ExpectAll: true})
		Expect(err).NotTo(HaveOccurred())
		publicKey := lookup(out, "k", "public_key").(string)
		fingerprint := lookup(out, "k", "public_key_fingerprint").(string)
		Expect(publicKey).To(HavePrefix("ssh-rsa "))
		Expect(fingerprint).To(HaveLen(47))

		wire, err := base64.StdEncoding.DecodeString(strings.TrimSpace(strings.TrimPrefix(publicKey, "ssh-rsa ")))
		Expect(err).NotTo(HaveOccurred())
		sum := md5.Sum(wire)
		Expect(strings.ReplaceAll(fingerprint, ":", "")).To(Equal(hexString(sum[:])))

		if _, err := exec.LookPath("ssh-keygen"); err != nil {
			Skip("ssh-keygen is not installed")
		}
		dir := GinkgoT().TempDir()
		pubPath := filepath.Join(dir, "id_rsa.pub")
		Expect(os.WriteFile(pubPath, []byte(publicKey), 0o600)).To(Succeed())
		listed, err := exec.Command("ssh-keygen", "-l", "-E", "md5", "-f", pubPath).CombinedOutput()
		Expect(err).NotTo(HaveOccurred(), string(listed))
		Expect(string(listed)).To(ContainSubstring("2048 MD5:" + fingerprint))

		privPath := filepath.Join(dir, "id_rsa")
		Expect(os.WriteFile(privPath, []byte(lookup(out, "k", "private_key").(string)), 0o600)).To(Succeed())
		derived, err := exec.Command("ssh-keygen", "-y", "-f", privPath).Output()
		Expect(err).NotTo(HaveOccurred())
		Expect(strings.Fields(string(derived))[1]).To(Equal(strings.Fields(publicKey)[1]), "public key matches the private key")
	})
})

func mustOpenStore(path string) *vars.Store {
	GinkgoHelper()
	store, err := vars.OpenStore(path)
	Expect(err).NotTo(HaveOccurred())
	return store
}

func hexString(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&0xf])
	}
	return string(out)
}
