package certs_test

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/certs"
)

// handshake is what the test server saw of one connection.
type handshake struct {
	clientCN string
	err      error
}

// loadKeyPair reads PEM the way etcd does, through crypto/tls.
func loadKeyPair(kp certs.KeyPair) tls.Certificate {
	GinkgoHelper()
	cert, err := tls.X509KeyPair(kp.CertificatePEM, kp.PrivateKeyPEM)
	Expect(err).NotTo(HaveOccurred())
	return cert
}

// startServer serves one mutual-TLS connection on 127.0.0.1 with an ephemeral
// port, as etcd does with client-cert auth, and reports how it went.
func startServer(server certs.KeyPair, clientCAs *x509.CertPool) (string, <-chan handshake) {
	GinkgoHelper()
	listener, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{
		Certificates: []tls.Certificate{loadKeyPair(server)},
		ClientCAs:    clientCAs,
		ClientAuth:   tls.RequireAndVerifyClientCert,
		MinVersion:   tls.VersionTLS12,
	})
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(listener.Close)

	results := make(chan handshake, 1)
	go func() {
		conn, err := listener.Accept()
		if err != nil {
			results <- handshake{err: err}
			return
		}
		defer conn.Close()
		tlsConn := conn.(*tls.Conn)
		if err := tlsConn.Handshake(); err != nil {
			results <- handshake{err: err}
			return
		}
		_, err = tlsConn.Write([]byte("hello\n"))
		results <- handshake{clientCN: tlsConn.ConnectionState().PeerCertificates[0].Subject.CommonName, err: err}
	}()
	return listener.Addr().String(), results
}

// dial connects and reads the server's greeting. With TLS 1.3 the server's
// verdict on the client certificate arrives after the client's side of the
// handshake has completed, so only the read reveals a refusal.
func dial(addr string, roots *x509.CertPool, clientCerts ...tls.Certificate) (string, error) {
	conn, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: roots, Certificates: clientCerts})
	if err != nil {
		return "", err
	}
	defer conn.Close()
	return bufio.NewReader(conn).ReadString('\n')
}

func serverResult(results <-chan handshake) handshake {
	GinkgoHelper()
	var result handshake
	Eventually(results).WithTimeout(10 * time.Second).Should(Receive(&result))
	return result
}

var _ = Describe("issued certificates in a real TLS handshake", func() {
	serverAndClient := []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}
	clientOnly := []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}

	var (
		ca      *certs.Authority
		roots   *x509.CertPool
		addr    string
		results <-chan handshake
	)

	BeforeEach(func() {
		ca = newTestCA("etcd-ca")
		parsed, err := certs.ParseCertificates(ca.CertificatePEM)
		Expect(err).NotTo(HaveOccurred())
		roots = poolOf(parsed...)
		server := issue(ca, certs.Request{CommonName: "etcd-0", AlternativeNames: []string{"127.0.0.1"}, ExtKeyUsage: serverAndClient})
		addr, results = startServer(server, roots)
	})

	It("connects a client holding a client_auth certificate", func() {
		client := issue(ca, certs.Request{CommonName: "etcd-client", ExtKeyUsage: clientOnly})
		line, err := dial(addr, roots, loadKeyPair(client))
		Expect(err).NotTo(HaveOccurred())
		Expect(line).To(Equal("hello\n"))
		result := serverResult(results)
		Expect(result.err).NotTo(HaveOccurred())
		Expect(result.clientCN).To(Equal("etcd-client"))
	})

	It("refuses a client without a certificate", func() {
		_, err := dial(addr, roots)
		Expect(err).To(HaveOccurred())
		Expect(serverResult(results).err).To(MatchError(ContainSubstring("didn't provide a certificate")))
	})

	It("refuses a client whose certificate lacks client_auth", func() {
		serverOnly := issue(ca, certs.Request{CommonName: "not-a-client", ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
		_, err := dial(addr, roots, loadKeyPair(serverOnly))
		Expect(err).To(HaveOccurred())
		var invalid x509.CertificateInvalidError
		Expect(errors.As(serverResult(results).err, &invalid)).To(BeTrue())
		Expect(invalid.Reason).To(Equal(x509.IncompatibleUsage))
	})

	It("refuses a client whose certificate comes from another CA", func() {
		stranger := loadKeyPair(issue(newTestCA("stranger-ca"), certs.Request{CommonName: "etcd-client", ExtKeyUsage: clientOnly}))
		// A Go client withholds a certificate that the server's list of
		// acceptable CAs does not cover; force it, as a careless client would.
		conn, err := tls.Dial("tcp", addr, &tls.Config{
			RootCAs:              roots,
			GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &stranger, nil },
		})
		if err == nil {
			_, err = bufio.NewReader(conn).ReadString('\n')
			conn.Close()
		}
		Expect(err).To(HaveOccurred())
		var unknown x509.UnknownAuthorityError
		Expect(errors.As(serverResult(results).err, &unknown)).To(BeTrue())
	})

	It("is refused by a client that does not trust the server's CA", func() {
		client := issue(ca, certs.Request{CommonName: "etcd-client", ExtKeyUsage: clientOnly})
		_, err := dial(addr, poolOf(newTestCA("stranger-ca").Certificate), loadKeyPair(client))
		var unknown x509.UnknownAuthorityError
		Expect(errors.As(err, &unknown)).To(BeTrue())
		Expect(serverResult(results).err).To(HaveOccurred())
	})

	It("is refused by the client when the server certificate does not cover 127.0.0.1", func() {
		dnsOnly := issue(ca, certs.Request{CommonName: "127.0.0.1", AlternativeNames: []string{"etcd-0.etcd.service.cf.internal"}, ExtKeyUsage: serverAndClient})
		otherAddr, otherResults := startServer(dnsOnly, roots)
		client := issue(ca, certs.Request{CommonName: "etcd-client", ExtKeyUsage: clientOnly})
		_, err := dial(otherAddr, roots, loadKeyPair(client))
		var hostname x509.HostnameError
		Expect(errors.As(err, &hostname)).To(BeTrue())
		Expect(serverResult(otherResults).err).To(HaveOccurred())
		Expect(certs.CoversName(dnsOnly.Certificate, "127.0.0.1")).To(MatchError(certs.ErrNameNotCovered))
	})
})
