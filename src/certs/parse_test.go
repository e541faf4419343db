package certs_test

import (
	"bytes"
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/certs"
)

func fixture(name string) []byte {
	GinkgoHelper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	Expect(err).NotTo(HaveOccurred())
	return data
}

func pkcs8PEM(key any) []byte {
	GinkgoHelper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	Expect(err).NotTo(HaveOccurred())
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

var _ = Describe("parsing", func() {
	var ca, otherCA *certs.Authority
	BeforeEach(func() {
		ca = newTestCA("ca-one")
		otherCA = newTestCA("ca-two")
	})

	Describe("ParseCertificates", func() {
		It("reads a bundle of several certificates in order, whitespace and CRLF between them allowed", func() {
			bundle := bytes.Join([][]byte{ca.CertificatePEM, otherCA.CertificatePEM}, []byte("\r\n\n  "))
			got, err := certs.ParseCertificates(bundle)
			Expect(err).NotTo(HaveOccurred())
			Expect(got).To(HaveLen(2))
			Expect(got[0].Equal(ca.Certificate)).To(BeTrue())
			Expect(got[1].Equal(otherCA.Certificate)).To(BeTrue())
		})

		It("reads a certificate written by openssl", func() {
			got, err := certs.ParseCertificates(fixture("openssl-cert.pem"))
			Expect(err).NotTo(HaveOccurred())
			Expect(got).To(HaveLen(1))
			Expect(got[0].Subject.CommonName).To(Equal("openssl-made"))
		})

		It("refuses empty and whitespace-only input", func() {
			for _, in := range []string{"", " \n\t\r\n"} {
				_, err := certs.ParseCertificates([]byte(in))
				Expect(err).To(MatchError(certs.ErrEmpty))
			}
		})

		It("refuses input that is not PEM", func() {
			_, err := certs.ParseCertificates([]byte("this is not a certificate"))
			Expect(err).To(MatchError(ContainSubstring("unexpected text at line 1")))
		})

		It("refuses text before the first block", func() {
			_, err := certs.ParseCertificates(append([]byte("subject=CN = ca-one\n\n"), ca.CertificatePEM...))
			Expect(err).To(MatchError(ContainSubstring("unexpected text at line 1")))
		})

		It("refuses trailing junk after the last block, naming its line", func() {
			lines := bytes.Count(ca.CertificatePEM, []byte("\n"))
			_, err := certs.ParseCertificates(append(append([]byte{}, ca.CertificatePEM...), "\njunk\n"...))
			Expect(err).To(MatchError(ContainSubstring("unexpected text at line %d", lines+2)))
		})

		It("refuses a bundle whose second certificate lost its END line, which Go's TLS stack would ignore", func() {
			truncated := otherCA.CertificatePEM[:bytes.Index(otherCA.CertificatePEM, []byte("-----END"))]
			bundle := append(append([]byte{}, ca.CertificatePEM...), truncated...)
			Expect(x509.NewCertPool().AppendCertsFromPEM(bundle)).To(BeTrue(), "the standard library accepts this bundle")

			_, err := certs.ParseCertificates(bundle)
			lines := bytes.Count(ca.CertificatePEM, []byte("\n"))
			Expect(err).To(MatchError(ContainSubstring("malformed PEM block at line %d", lines+1)))
		})

		It("refuses a broken block even when a good one follows, which pem.Decode would skip to", func() {
			broken := []byte("-----BEGIN CERTIFICATE-----\n!!!not base64!!!\n-----END CERTIFICATE-----\n")
			_, err := certs.ParseCertificates(append(broken, ca.CertificatePEM...))
			Expect(err).To(MatchError(ContainSubstring("malformed PEM block at line 1")))
		})

		It("refuses a block that is not a certificate, and points out a misplaced key", func() {
			bundle := append(append([]byte{}, ca.CertificatePEM...), ca.PrivateKeyPEM...)
			_, err := certs.ParseCertificates(bundle)
			Expect(err).To(MatchError(And(
				ContainSubstring(`PEM block 2`),
				ContainSubstring(`"EC PRIVATE KEY", expected CERTIFICATE`),
				ContainSubstring("private key belongs in its own property"),
			)))
		})

		It("refuses a CERTIFICATE block holding something else", func() {
			bogus := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte("not DER")})
			_, err := certs.ParseCertificates(bogus)
			Expect(err).To(MatchError(ContainSubstring("parsing certificate 1 (line 1)")))
		})
	})

	Describe("ParseCertificate", func() {
		It("reads exactly one certificate", func() {
			got, err := certs.ParseCertificate(ca.CertificatePEM)
			Expect(err).NotTo(HaveOccurred())
			Expect(got.Equal(ca.Certificate)).To(BeTrue())
		})

		It("says how many it found when there is more than one", func() {
			_, err := certs.ParseCertificate(append(append([]byte{}, ca.CertificatePEM...), otherCA.CertificatePEM...))
			Expect(err).To(MatchError("expected exactly one certificate, found 2"))
		})

		It("passes on parse errors", func() {
			_, err := certs.ParseCertificate(nil)
			Expect(err).To(MatchError(certs.ErrEmpty))
		})
	})

	Describe("ParsePrivateKey", func() {
		expectKeyOf := func(data []byte, want crypto.Signer) {
			GinkgoHelper()
			got, err := certs.ParsePrivateKey(data)
			Expect(err).NotTo(HaveOccurred())
			Expect(got.Public()).To(BeComparableTo(want.Public()))
		}

		It("reads PKCS#1 RSA keys", func() {
			rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
			Expect(err).NotTo(HaveOccurred())
			expectKeyOf(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rsaKey)}), rsaKey)
		})

		It("reads SEC1 EC keys", func() {
			expectKeyOf(ca.PrivateKeyPEM, ca.Key)
		})

		It("reads PKCS#8 RSA, ECDSA and Ed25519 keys", func() {
			rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
			Expect(err).NotTo(HaveOccurred())
			ecKey, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
			Expect(err).NotTo(HaveOccurred())
			_, edKey, err := ed25519.GenerateKey(rand.Reader)
			Expect(err).NotTo(HaveOccurred())
			for _, key := range []crypto.Signer{rsaKey, ecKey, edKey} {
				expectKeyOf(pkcs8PEM(key), key)
			}
		})

		It("reads openssl's PKCS#8 key, which matches openssl's certificate", func() {
			key, err := certs.ParsePrivateKey(fixture("openssl-pkcs8-key.pem"))
			Expect(err).NotTo(HaveOccurred())
			cert, err := certs.ParseCertificate(fixture("openssl-cert.pem"))
			Expect(err).NotTo(HaveOccurred())
			Expect(certs.KeyMatches(cert, key)).To(Succeed())
		})

		It("skips the EC PARAMETERS block `openssl ecparam -genkey` writes before the key", func() {
			key, err := certs.ParsePrivateKey(fixture("ec-with-params.pem"))
			Expect(err).NotTo(HaveOccurred())
			Expect(key).To(BeAssignableToTypeOf(&ecdsa.PrivateKey{}))
		})

		DescribeTable("refuses encrypted keys with a clear message",
			func(name, blockType string) {
				_, err := certs.ParsePrivateKey(fixture(name))
				Expect(err).To(MatchError(certs.ErrEncryptedKey))
				Expect(err).To(MatchError(And(ContainSubstring(blockType), ContainSubstring("openssl pkey"))))
			},
			Entry("PKCS#8", "encrypted-pkcs8.pem", "ENCRYPTED PRIVATE KEY"),
			Entry("legacy PKCS#1 with Proc-Type header", "encrypted-pkcs1.pem", "RSA PRIVATE KEY"),
		)

		It("refuses a certificate given as a key", func() {
			_, err := certs.ParsePrivateKey(ca.CertificatePEM)
			Expect(err).To(MatchError(ContainSubstring(`is "CERTIFICATE", expected a private key`)))
		})

		It("refuses two keys", func() {
			_, err := certs.ParsePrivateKey(append(append([]byte{}, ca.PrivateKeyPEM...), otherCA.PrivateKeyPEM...))
			Expect(err).To(MatchError("expected exactly one private key PEM block, found 2"))
		})

		It("refuses garbage and empty input", func() {
			_, err := certs.ParsePrivateKey([]byte("hunter2"))
			Expect(err).To(MatchError(ContainSubstring("unexpected text at line 1")))
			_, err = certs.ParsePrivateKey([]byte("\n"))
			Expect(err).To(MatchError(certs.ErrEmpty))
		})

		It("refuses a key block holding something else, without quoting key material", func() {
			bogus := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: bytes.Repeat([]byte{0x42}, 64)})
			_, err := certs.ParsePrivateKey(bogus)
			Expect(err).To(MatchError(ContainSubstring(`parsing "RSA PRIVATE KEY" block at line 1`)))
			body := strings.Split(string(bogus), "\n")[1]
			Expect(err.Error()).NotTo(ContainSubstring(body))
		})

		It("refuses a PKCS#8 key that cannot sign", func() {
			x25519, err := ecdh.X25519().GenerateKey(rand.Reader)
			Expect(err).NotTo(HaveOccurred())
			_, err = certs.ParsePrivateKey(pkcs8PEM(x25519))
			Expect(err).To(MatchError(ContainSubstring("cannot sign")))
		})
	})
})
