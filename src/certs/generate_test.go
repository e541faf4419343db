package certs_test

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/certs"
)

var _ = Describe("generation", func() {
	Describe("NewAuthority", func() {
		It("makes a self-signed RSA 2048 CA with a PKCS#1 key by default, as the bosh CLI writes", func() {
			before := time.Now()
			ca, err := certs.NewAuthority("etcd-ca")
			Expect(err).NotTo(HaveOccurred())

			cert := decodeCert(ca.CertificatePEM)
			Expect(cert.Subject.CommonName).To(Equal("etcd-ca"))
			Expect(cert.IsCA).To(BeTrue())
			Expect(cert.BasicConstraintsValid).To(BeTrue())
			Expect(cert.KeyUsage).To(Equal(x509.KeyUsageCertSign | x509.KeyUsageCRLSign))
			Expect(cert.SerialNumber.Sign()).To(Equal(1))
			Expect(cert.SerialNumber.BitLen()).To(BeNumerically("<=", 128))
			Expect(cert.NotBefore).To(BeTemporally("~", before.Add(-time.Minute), 2*time.Second), "backdated a minute for clock skew")
			Expect(cert.NotAfter).To(BeTemporally("~", before.Add(365*24*time.Hour), time.Minute))
			_, err = cert.Verify(x509.VerifyOptions{Roots: poolOf(cert)})
			Expect(err).NotTo(HaveOccurred())

			block, _ := pem.Decode(ca.PrivateKeyPEM)
			Expect(block.Type).To(Equal("RSA PRIVATE KEY"))
			key, err := x509.ParsePKCS1PrivateKey(block.Bytes)
			Expect(err).NotTo(HaveOccurred())
			Expect(key.N.BitLen()).To(Equal(2048))
			Expect(key.PublicKey.Equal(cert.PublicKey)).To(BeTrue())
			Expect(ca.Certificate.Equal(cert)).To(BeTrue())
		})

		It("gives each CA a different random serial number", func() {
			Expect(newTestCA("a").Certificate.SerialNumber).NotTo(Equal(newTestCA("a").Certificate.SerialNumber))
		})

		It("makes ECDSA P-256 keys in SEC1 form with WithECDSAKeys", func() {
			ca := newTestCA("etcd-ca")
			block, _ := pem.Decode(ca.PrivateKeyPEM)
			Expect(block.Type).To(Equal("EC PRIVATE KEY"))
			key, err := x509.ParseECPrivateKey(block.Bytes)
			Expect(err).NotTo(HaveOccurred())
			Expect(key.Curve).To(Equal(elliptic.P256()))
			Expect(key.PublicKey.Equal(decodeCert(ca.CertificatePEM).PublicKey)).To(BeTrue())
		})

		It("honours WithValidity and refuses a period that ends before it starts", func() {
			start := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
			ca, err := certs.NewAuthority("old", certs.WithECDSAKeys(), certs.WithValidity(start, start.Add(time.Hour)))
			Expect(err).NotTo(HaveOccurred())
			cert := decodeCert(ca.CertificatePEM)
			Expect(cert.NotBefore).To(BeTemporally("==", start))
			Expect(cert.NotAfter).To(BeTemporally("==", start.Add(time.Hour)))

			_, err = certs.NewAuthority("bad", certs.WithECDSAKeys(), certs.WithValidity(start, start.Add(-time.Hour)))
			Expect(err).To(MatchError(ContainSubstring("before it starts")))
		})
	})

	Describe("Issue", func() {
		var ca *certs.Authority
		BeforeEach(func() { ca = newTestCA("etcd-ca") })

		It("issues a leaf that verifies against the CA, with SANs split into DNS names and IPs and no CN among them", func() {
			kp := issue(ca, certs.Request{
				CommonName:       "etcd-0",
				AlternativeNames: []string{"*.etcd.service.cf.internal", "10.244.0.2", "::1"},
				ExtKeyUsage:      []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
			})

			cert := decodeCert(kp.CertificatePEM)
			Expect(cert.Subject.CommonName).To(Equal("etcd-0"))
			Expect(cert.IsCA).To(BeFalse())
			Expect(cert.KeyUsage).To(Equal(x509.KeyUsageDigitalSignature))
			Expect(cert.DNSNames).To(Equal([]string{"*.etcd.service.cf.internal"}))
			Expect(cert.IPAddresses).To(HaveLen(2))
			Expect(cert.IPAddresses[0].Equal(net.ParseIP("10.244.0.2"))).To(BeTrue())
			Expect(cert.IPAddresses[1].Equal(net.IPv6loopback)).To(BeTrue())
			Expect(cert.ExtKeyUsage).To(ConsistOf(x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth))

			for _, usage := range []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth} {
				_, err := cert.Verify(x509.VerifyOptions{
					Roots:     poolOf(decodeCert(ca.CertificatePEM)),
					DNSName:   "etcd-0.etcd.service.cf.internal",
					KeyUsages: []x509.ExtKeyUsage{usage},
				})
				Expect(err).NotTo(HaveOccurred())
			}

			block, _ := pem.Decode(kp.PrivateKeyPEM)
			key, err := x509.ParseECPrivateKey(block.Bytes)
			Expect(err).NotTo(HaveOccurred())
			Expect(key.PublicKey.Equal(cert.PublicKey)).To(BeTrue())
		})

		It("issues RSA leaves with key encipherment from an RSA CA", func() {
			rsaCA, err := certs.NewAuthority("rsa-ca")
			Expect(err).NotTo(HaveOccurred())
			kp := issue(rsaCA, certs.Request{CommonName: "etcd-0"})
			cert := decodeCert(kp.CertificatePEM)
			Expect(cert.PublicKey).To(BeAssignableToTypeOf(&rsa.PublicKey{}))
			Expect(cert.KeyUsage).To(Equal(x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment))
			_, err = cert.Verify(x509.VerifyOptions{Roots: poolOf(rsaCA.Certificate)})
			Expect(err).NotTo(HaveOccurred())
		})

		It("uses the requested validity period", func() {
			start := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
			kp := issue(ca, certs.Request{CommonName: "etcd-0", NotBefore: start, NotAfter: start.Add(48 * time.Hour)})
			cert := decodeCert(kp.CertificatePEM)
			Expect(cert.NotBefore).To(BeTemporally("==", start))
			Expect(cert.NotAfter).To(BeTemporally("==", start.Add(48*time.Hour)))
		})

		It("refuses an empty alternative name", func() {
			_, err := ca.Issue(certs.Request{CommonName: "etcd-0", AlternativeNames: []string{"etcd-0", ""}})
			Expect(err).To(MatchError(And(ContainSubstring("alternative name is empty"), ContainSubstring(`"etcd-ca"`))))
		})
	})

	Describe("IssueAuthority", func() {
		It("makes an intermediate CA whose leaves chain to the root only through it", func() {
			root := newTestCA("root")
			intermediate, err := root.IssueAuthority(certs.Request{CommonName: "intermediate"})
			Expect(err).NotTo(HaveOccurred())
			interCert := decodeCert(intermediate.CertificatePEM)
			Expect(interCert.IsCA).To(BeTrue())
			Expect(interCert.KeyUsage).To(Equal(x509.KeyUsageCertSign | x509.KeyUsageCRLSign))
			Expect(interCert.Issuer.CommonName).To(Equal("root"))
			Expect(intermediate.Key).To(BeAssignableToTypeOf(&ecdsa.PrivateKey{}))

			leaf := decodeCert(issue(intermediate, certs.Request{CommonName: "etcd-0"}).CertificatePEM)
			_, err = leaf.Verify(x509.VerifyOptions{Roots: poolOf(root.Certificate), Intermediates: poolOf(interCert)})
			Expect(err).NotTo(HaveOccurred())
			_, err = leaf.Verify(x509.VerifyOptions{Roots: poolOf(root.Certificate)})
			Expect(err).To(BeAssignableToTypeOf(x509.UnknownAuthorityError{}))
		})
	})

	Describe("LoadAuthority", func() {
		It("reads a CA back from PEM and issues certificates that chain to it", func() {
			original := newTestCA("etcd-ca")
			loaded, err := certs.LoadAuthority(original.CertificatePEM, original.PrivateKeyPEM)
			Expect(err).NotTo(HaveOccurred())
			leaf := decodeCert(issue(loaded, certs.Request{CommonName: "etcd-0"}).CertificatePEM)
			_, err = leaf.Verify(x509.VerifyOptions{Roots: poolOf(decodeCert(original.CertificatePEM))})
			Expect(err).NotTo(HaveOccurred())
		})

		It("issues keys of the loaded CA's kind, Ed25519 included", func() {
			_, edKey, err := ed25519.GenerateKey(rand.Reader)
			Expect(err).NotTo(HaveOccurred())
			tmpl := &x509.Certificate{
				SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "ed-ca"},
				NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
				IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
			}
			der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, edKey.Public(), edKey)
			Expect(err).NotTo(HaveOccurred())
			edCA, err := certs.LoadAuthority(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pkcs8PEM(edKey))
			Expect(err).NotTo(HaveOccurred())

			kp := issue(edCA, certs.Request{CommonName: "etcd-0"})
			block, _ := pem.Decode(kp.PrivateKeyPEM)
			Expect(block.Type).To(Equal("PRIVATE KEY"))
			key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
			Expect(err).NotTo(HaveOccurred())
			Expect(key).To(BeAssignableToTypeOf(ed25519.PrivateKey{}))
			leaf := decodeCert(kp.CertificatePEM)
			_, err = leaf.Verify(x509.VerifyOptions{Roots: poolOf(edCA.Certificate)})
			Expect(err).NotTo(HaveOccurred())
		})

		It("refuses a certificate that is not a CA", func() {
			kp := issue(newTestCA("etcd-ca"), certs.Request{CommonName: "etcd-0"})
			_, err := certs.LoadAuthority(kp.CertificatePEM, kp.PrivateKeyPEM)
			Expect(err).To(MatchError(And(ContainSubstring(`"etcd-0"`), ContainSubstring("not a CA"))))
		})

		It("refuses a key that is not the CA's", func() {
			_, err := certs.LoadAuthority(newTestCA("a").CertificatePEM, newTestCA("b").PrivateKeyPEM)
			Expect(err).To(MatchError(certs.ErrKeyMismatch))
		})

		It("says which half it could not read", func() {
			ca := newTestCA("a")
			_, err := certs.LoadAuthority(ca.CertificatePEM, nil)
			Expect(err).To(And(MatchError(ContainSubstring("CA private key")), MatchError(certs.ErrEmpty)))
		})
	})
})
