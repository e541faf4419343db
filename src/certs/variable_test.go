package certs_test

import (
	"crypto/x509"
	"encoding/pem"
	"net"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"gopkg.in/yaml.v3"

	"github.com/cloudfoundry-incubator/etcd-release/src/certs"
)

var _ = Describe("GenerateVariable", func() {
	It("reads a manifest variable's options and writes the value keys the bosh CLI writes", func() {
		var opts certs.VariableOptions
		Expect(yaml.Unmarshal([]byte(`
is_ca: false
ca: etcd_ca
common_name: etcd.service.cf.internal
alternative_names: ["*.etcd.service.cf.internal", 10.244.0.2]
extended_key_usage: [server_auth, client_auth]
duration: 30
`), &opts)).To(Succeed())
		Expect(opts).To(Equal(certs.VariableOptions{
			CA:               "etcd_ca",
			CommonName:       "etcd.service.cf.internal",
			AlternativeNames: []string{"*.etcd.service.cf.internal", "10.244.0.2"},
			ExtendedKeyUsage: []string{"server_auth", "client_auth"},
			Duration:         30,
		}))

		out, err := yaml.Marshal(certs.Value{CA: "a", Certificate: "b", PrivateKey: "c"})
		Expect(err).NotTo(HaveOccurred())
		var asMap map[string]string
		Expect(yaml.Unmarshal(out, &asMap)).To(Succeed())
		Expect(asMap).To(Equal(map[string]string{"ca": "a", "certificate": "b", "private_key": "c"}))
	})

	It("makes a self-signed RSA root CA whose ca is its own certificate", func() {
		value, err := certs.GenerateVariable(certs.VariableOptions{IsCA: true, CommonName: "etcd_ca"}, nil)
		Expect(err).NotTo(HaveOccurred())
		Expect(value.CA).To(Equal(value.Certificate))

		cert := decodeCert([]byte(value.Certificate))
		Expect(cert.IsCA).To(BeTrue())
		Expect(cert.Subject.CommonName).To(Equal("etcd_ca"))
		_, err = cert.Verify(x509.VerifyOptions{Roots: poolOf(cert)})
		Expect(err).NotTo(HaveOccurred())
		block, _ := pem.Decode([]byte(value.PrivateKey))
		Expect(block.Type).To(Equal("RSA PRIVATE KEY"))
	})

	Describe("with a signing CA", func() {
		var ca *certs.Authority
		BeforeEach(func() { ca = newTestCA("etcd_ca") })

		generate := func(opts certs.VariableOptions) (certs.Value, *x509.Certificate) {
			GinkgoHelper()
			opts.CA = "etcd_ca"
			value, err := certs.GenerateVariable(opts, ca)
			Expect(err).NotTo(HaveOccurred())
			Expect(value.CA).To(Equal(string(ca.CertificatePEM)))
			cert := decodeCert([]byte(value.Certificate))
			key, err := certs.ParsePrivateKey([]byte(value.PrivateKey))
			Expect(err).NotTo(HaveOccurred())
			Expect(certs.KeyMatches(cert, key)).To(Succeed())
			return value, cert
		}

		It("makes a leaf whose SANs are exactly alternative_names, with server_auth by default", func() {
			before := time.Now()
			value, cert := generate(certs.VariableOptions{
				CommonName:       "etcd.service.cf.internal",
				AlternativeNames: []string{"*.etcd.service.cf.internal", "10.244.0.2"},
			})
			Expect(cert.DNSNames).To(Equal([]string{"*.etcd.service.cf.internal"}))
			Expect(cert.IPAddresses).To(HaveLen(1))
			Expect(cert.IPAddresses[0].Equal(net.ParseIP("10.244.0.2"))).To(BeTrue())
			Expect(cert.ExtKeyUsage).To(Equal([]x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}))
			Expect(cert.IsCA).To(BeFalse())
			Expect(cert.NotAfter).To(BeTemporally("~", before.Add(365*24*time.Hour), time.Minute))

			_, err := cert.Verify(x509.VerifyOptions{
				Roots:     poolOf(decodeCert([]byte(value.CA))),
				DNSName:   "etcd-2.etcd.service.cf.internal",
				KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
			})
			Expect(err).NotTo(HaveOccurred())
		})

		It("honours extended_key_usage and duration in days", func() {
			_, cert := generate(certs.VariableOptions{
				CommonName:       "etcd-client",
				ExtendedKeyUsage: []string{"client_auth", "server_auth"},
				Duration:         30,
			})
			Expect(cert.ExtKeyUsage).To(Equal([]x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth, x509.ExtKeyUsageServerAuth}))
			Expect(cert.NotAfter.Sub(cert.NotBefore)).To(Equal(30*24*time.Hour + time.Minute))
		})

		It("makes an intermediate CA whose ca is the signing CA, ignoring leaf-only options as the bosh CLI does", func() {
			value, cert := generate(certs.VariableOptions{
				IsCA:             true,
				CommonName:       "etcd_intermediate",
				AlternativeNames: []string{"ignored.example.com"},
				ExtendedKeyUsage: []string{"not-even-checked"},
			})
			Expect(cert.IsCA).To(BeTrue())
			Expect(cert.DNSNames).To(BeEmpty())
			Expect(cert.ExtKeyUsage).To(BeEmpty())
			_, err := cert.Verify(x509.VerifyOptions{Roots: poolOf(decodeCert([]byte(value.CA)))})
			Expect(err).NotTo(HaveOccurred())

			intermediate, err := certs.LoadAuthority([]byte(value.Certificate), []byte(value.PrivateKey))
			Expect(err).NotTo(HaveOccurred())
			leaf := issue(intermediate, certs.Request{CommonName: "etcd-0"}).Certificate
			_, err = leaf.Verify(x509.VerifyOptions{Roots: poolOf(ca.Certificate), Intermediates: poolOf(cert)})
			Expect(err).NotTo(HaveOccurred())
		})

		It("refuses an unknown extended_key_usage, naming it and the accepted values", func() {
			_, err := certs.GenerateVariable(certs.VariableOptions{CA: "etcd_ca", CommonName: "x", ExtendedKeyUsage: []string{"server_auth", "code_signing"}}, ca)
			Expect(err).To(MatchError(certs.ErrUnknownExtKeyUsage))
			Expect(err).To(MatchError(And(ContainSubstring(`"code_signing"`), ContainSubstring("client_auth and server_auth"))))
		})

		It("refuses a negative duration", func() {
			_, err := certs.GenerateVariable(certs.VariableOptions{CA: "etcd_ca", CommonName: "x", Duration: -1}, ca)
			Expect(err).To(MatchError(ContainSubstring("duration is -1")))
		})

		It("refuses a CA passed without option ca naming it", func() {
			_, err := certs.GenerateVariable(certs.VariableOptions{CommonName: "x"}, ca)
			Expect(err).To(MatchError(ContainSubstring("option ca is empty")))
		})
	})

	It("refuses a leaf without a CA", func() {
		_, err := certs.GenerateVariable(certs.VariableOptions{CommonName: "x"}, nil)
		Expect(err).To(MatchError(ContainSubstring("option ca is required")))
	})

	It("refuses an unresolved ca name", func() {
		_, err := certs.GenerateVariable(certs.VariableOptions{CA: "etcd_ca", CommonName: "x"}, nil)
		Expect(err).To(MatchError(ContainSubstring(`option ca names "etcd_ca"`)))
	})
})
