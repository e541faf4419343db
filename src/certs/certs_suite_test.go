package certs_test

import (
	"crypto/x509"
	"encoding/pem"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/certs"
)

func TestCerts(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Certs Suite")
}

// decodeCert reads one PEM certificate with encoding/pem and crypto/x509
// directly, so generator tests do not lean on the package's own parser.
func decodeCert(data []byte) *x509.Certificate {
	GinkgoHelper()
	block, rest := pem.Decode(data)
	Expect(block).NotTo(BeNil(), "no PEM block in %q", data)
	Expect(block.Type).To(Equal("CERTIFICATE"))
	Expect(rest).To(BeEmpty())
	cert, err := x509.ParseCertificate(block.Bytes)
	Expect(err).NotTo(HaveOccurred())
	return cert
}

func poolOf(certs ...*x509.Certificate) *x509.CertPool {
	pool := x509.NewCertPool()
	for _, c := range certs {
		pool.AddCert(c)
	}
	return pool
}

// newTestCA makes a fast ECDSA CA.
func newTestCA(commonName string) *certs.Authority {
	GinkgoHelper()
	ca, err := certs.NewAuthority(commonName, certs.WithECDSAKeys())
	Expect(err).NotTo(HaveOccurred())
	return ca
}

func issue(ca *certs.Authority, req certs.Request) certs.KeyPair {
	GinkgoHelper()
	kp, err := ca.Issue(req)
	Expect(err).NotTo(HaveOccurred())
	return kp
}
