package certs_test

import (
	"crypto/x509"
	"errors"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/certs"
)

var _ = Describe("checking", func() {
	var ca *certs.Authority
	BeforeEach(func() { ca = newTestCA("etcd-ca") })

	Describe("KeyMatches", func() {
		It("accepts the key issued with the certificate", func() {
			kp := issue(ca, certs.Request{CommonName: "etcd-0"})
			Expect(certs.KeyMatches(kp.Certificate, kp.Key)).To(Succeed())
		})

		It("refuses another key of the same kind", func() {
			kp := issue(ca, certs.Request{CommonName: "etcd-0"})
			other := issue(ca, certs.Request{CommonName: "etcd-1"})
			err := certs.KeyMatches(kp.Certificate, other.Key)
			Expect(err).To(MatchError(certs.ErrKeyMismatch))
			Expect(err).To(MatchError(ContainSubstring(`"etcd-0"`)))
		})

		It("names both key kinds when they differ", func() {
			rsaCA, err := certs.NewAuthority("rsa-ca")
			Expect(err).NotTo(HaveOccurred())
			err = certs.KeyMatches(rsaCA.Certificate, ca.Key)
			Expect(err).To(MatchError(certs.ErrKeyMismatch))
			Expect(err).To(MatchError(And(ContainSubstring("ECDSA P-256"), ContainSubstring("RSA 2048-bit"))))
		})
	})

	Describe("VerifyChain", func() {
		now := time.Now()
		serverAndClient := []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}

		It("accepts a leaf signed by the CA, for each usage it holds", func() {
			leaf := issue(ca, certs.Request{CommonName: "etcd-0", ExtKeyUsage: serverAndClient}).Certificate
			for _, usage := range append(serverAndClient, x509.ExtKeyUsageAny) {
				Expect(certs.VerifyChain([]*x509.Certificate{leaf}, []*x509.Certificate{ca.Certificate}, usage, now)).To(Succeed())
			}
		})

		It("refuses a leaf from another CA, naming the CAs tried", func() {
			leaf := issue(newTestCA("stranger-ca"), certs.Request{CommonName: "etcd-0"}).Certificate
			err := certs.VerifyChain([]*x509.Certificate{leaf}, []*x509.Certificate{ca.Certificate}, x509.ExtKeyUsageAny, now)
			Expect(err).To(MatchError(certs.ErrNotTrusted))
			var unknown x509.UnknownAuthorityError
			Expect(errors.As(err, &unknown)).To(BeTrue())
			Expect(err).To(MatchError(And(ContainSubstring(`"etcd-0"`), ContainSubstring(`(issued by "stranger-ca")`), ContainSubstring(`tried: "etcd-ca"`))))
		})

		It("accepts a leaf signed by the second CA of a rotation bundle", func() {
			newCA := newTestCA("etcd-ca-new")
			bundle, err := certs.ParseCertificates(append(append([]byte{}, ca.CertificatePEM...), newCA.CertificatePEM...))
			Expect(err).NotTo(HaveOccurred())
			leaf := issue(newCA, certs.Request{CommonName: "etcd-0", ExtKeyUsage: serverAndClient}).Certificate
			Expect(certs.VerifyChain([]*x509.Certificate{leaf}, bundle, x509.ExtKeyUsageServerAuth, now)).To(Succeed())
		})

		It("lists every CA of the bundle when none signed the leaf", func() {
			newCA := newTestCA("etcd-ca-new")
			leaf := issue(newTestCA("stranger-ca"), certs.Request{CommonName: "etcd-0"}).Certificate
			err := certs.VerifyChain([]*x509.Certificate{leaf}, []*x509.Certificate{ca.Certificate, newCA.Certificate}, x509.ExtKeyUsageAny, now)
			Expect(err).To(MatchError(ContainSubstring(`tried: "etcd-ca", "etcd-ca-new"`)))
		})

		It("follows intermediates given after the leaf, and needs them", func() {
			intermediate, err := ca.IssueAuthority(certs.Request{CommonName: "etcd-intermediate"})
			Expect(err).NotTo(HaveOccurred())
			leaf := issue(intermediate, certs.Request{CommonName: "etcd-0"}).Certificate
			roots := []*x509.Certificate{ca.Certificate}

			Expect(certs.VerifyChain([]*x509.Certificate{leaf, intermediate.Certificate}, roots, x509.ExtKeyUsageAny, now)).To(Succeed())
			err = certs.VerifyChain([]*x509.Certificate{leaf}, roots, x509.ExtKeyUsageAny, now)
			Expect(err).To(MatchError(certs.ErrNotTrusted))
		})

		It("refuses a leaf lacking the extended key usage asked for, naming what it has", func() {
			leaf := issue(ca, certs.Request{CommonName: "etcd-0", ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}).Certificate
			err := certs.VerifyChain([]*x509.Certificate{leaf}, []*x509.Certificate{ca.Certificate}, x509.ExtKeyUsageClientAuth, now)
			Expect(err).To(MatchError(certs.ErrWrongUsage))
			Expect(err).To(MatchError(And(ContainSubstring("cannot be used for client_auth"), ContainSubstring("[server_auth]"))))
		})

		It("blames the CA when an intermediate's extended key usages exclude the use", func() {
			intermediate, err := ca.IssueAuthority(certs.Request{CommonName: "servers-only", ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
			Expect(err).NotTo(HaveOccurred())
			leaf := issue(intermediate, certs.Request{CommonName: "etcd-0", ExtKeyUsage: serverAndClient}).Certificate
			chain := []*x509.Certificate{leaf, intermediate.Certificate}
			roots := []*x509.Certificate{ca.Certificate}

			Expect(certs.VerifyChain(chain, roots, x509.ExtKeyUsageServerAuth, now)).To(Succeed())
			err = certs.VerifyChain(chain, roots, x509.ExtKeyUsageClientAuth, now)
			Expect(err).To(MatchError(certs.ErrWrongUsage))
			Expect(err).To(MatchError(And(ContainSubstring("a CA certificate in the chain"), ContainSubstring(`"servers-only"`))))
		})

		It("refuses a chain that is expired at the given time", func() {
			leaf := issue(ca, certs.Request{CommonName: "etcd-0"}).Certificate
			err := certs.VerifyChain([]*x509.Certificate{leaf}, []*x509.Certificate{ca.Certificate}, x509.ExtKeyUsageAny, now.Add(2*365*24*time.Hour))
			Expect(err).To(MatchError(certs.ErrNotTrusted))
			var invalid x509.CertificateInvalidError
			Expect(errors.As(err, &invalid)).To(BeTrue())
			Expect(invalid.Reason).To(Equal(x509.Expired))
		})

		It("refuses empty input", func() {
			Expect(certs.VerifyChain(nil, []*x509.Certificate{ca.Certificate}, x509.ExtKeyUsageAny, now)).To(MatchError(ContainSubstring("no certificate")))
			Expect(certs.VerifyChain([]*x509.Certificate{ca.Certificate}, nil, x509.ExtKeyUsageAny, now)).To(MatchError(ContainSubstring("no CA certificates")))
		})
	})

	Describe("CheckValidity", func() {
		start := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
		var cert *x509.Certificate
		BeforeEach(func() {
			cert = issue(ca, certs.Request{CommonName: "etcd-0", NotBefore: start, NotAfter: start.Add(24 * time.Hour)}).Certificate
		})

		It("accepts a time within the validity period, ends included", func() {
			Expect(certs.CheckValidity(cert, start)).To(Succeed())
			Expect(certs.CheckValidity(cert, start.Add(12*time.Hour))).To(Succeed())
			Expect(certs.CheckValidity(cert, start.Add(24*time.Hour))).To(Succeed())
		})

		It("refuses a time before NotBefore, with the dates", func() {
			err := certs.CheckValidity(cert, start.Add(-time.Second))
			Expect(err).To(MatchError(certs.ErrNotYetValid))
			Expect(err).To(MatchError(And(ContainSubstring("2025-03-01T12:00:00Z"), ContainSubstring("2025-03-01T11:59:59Z"))))
		})

		It("refuses a time after NotAfter, with the dates", func() {
			err := certs.CheckValidity(cert, start.Add(24*time.Hour+time.Second))
			Expect(err).To(MatchError(certs.ErrExpired))
			Expect(err).To(MatchError(And(ContainSubstring("expired at 2025-03-02T12:00:00Z"), ContainSubstring("2025-03-02T12:00:01Z"))))
		})
	})

	Describe("CoversName", func() {
		var cert *x509.Certificate
		BeforeEach(func() {
			cert = issue(ca, certs.Request{
				CommonName:       "etcd.service.cf.internal",
				AlternativeNames: []string{"*.etcd.service.cf.internal", "10.244.0.2"},
			}).Certificate
		})

		DescribeTable("covered names",
			func(name string) { Expect(certs.CoversName(cert, name)).To(Succeed()) },
			Entry("wildcard match", "etcd-0.etcd.service.cf.internal"),
			Entry("wildcard match, other case", "ETCD-1.etcd.service.cf.internal"),
			Entry("IP SAN", "10.244.0.2"),
		)

		DescribeTable("names not covered",
			func(name string) {
				err := certs.CoversName(cert, name)
				Expect(err).To(MatchError(certs.ErrNameNotCovered))
				Expect(err).To(MatchError(And(ContainSubstring("%q", name), ContainSubstring("DNS:*.etcd.service.cf.internal, IP:10.244.0.2"))))
			},
			Entry("two labels under the wildcard", "a.etcd-0.etcd.service.cf.internal"),
			Entry("other domain", "etcd-0.consul.service.cf.internal"),
			Entry("other IP", "10.244.0.3"),
		)

		It("does not count the common name, and says so", func() {
			err := certs.CoversName(cert, "etcd.service.cf.internal")
			Expect(err).To(MatchError(certs.ErrNameNotCovered))
			Expect(err).To(MatchError(ContainSubstring("only the common name")))
		})

		It("says when there are no SANs at all", func() {
			bare := issue(ca, certs.Request{CommonName: "etcd-0"}).Certificate
			Expect(certs.CoversName(bare, "etcd-0")).To(MatchError(ContainSubstring("subject alternative names are none")))
		})

		It("refuses an empty name", func() {
			Expect(certs.CoversName(cert, "")).To(MatchError(ContainSubstring("name to check is empty")))
		})
	})
})
