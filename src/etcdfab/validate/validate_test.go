package validate_test

import (
	"crypto/x509"
	"errors"
	"os"
	"path/filepath"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/certs"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/config"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/validate"
)

var _ = Describe("Certificates", func() {
	var (
		cfg    config.Config
		ca     *certs.Authority
		peerCA *certs.Authority
		now    = time.Now()
		both   = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}
	)

	write := func(path string, data []byte) {
		Expect(os.WriteFile(path, data, 0o600)).To(Succeed())
	}
	issue := func(a *certs.Authority, req certs.Request) certs.KeyPair {
		pair, err := a.Issue(req)
		Expect(err).NotTo(HaveOccurred())
		return pair
	}
	// server is a request for a server or peer certificate for names, as
	// the seed's certstrap steps make them (the suffix itself among them).
	server := func(names ...string) certs.Request {
		return certs.Request{CommonName: "etcd.service.cf.internal", AlternativeNames: append(names, "etcd.service.cf.internal"), ExtKeyUsage: both}
	}

	BeforeEach(func() {
		var err error
		ca, err = certs.NewAuthority("etcdCA", certs.WithECDSAKeys())
		Expect(err).NotTo(HaveOccurred())
		peerCA, err = certs.NewAuthority("peerCA", certs.WithECDSAKeys())
		Expect(err).NotTo(HaveOccurred())

		cfg = config.Default()
		cfg.Node = config.Node{Name: "etcd", Index: 1, ExternalIP: "10.244.0.3"}
		cfg.Etcd.CertDir = GinkgoT().TempDir()
		cfg.Etcd.RequireSSL = true
		cfg.Etcd.PeerRequireSSL = true

		srv := issue(ca, server("*.etcd.service.cf.internal"))
		cli := issue(ca, certs.Request{CommonName: "clientName", ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
		peer := issue(peerCA, server("*.etcd.service.cf.internal"))
		write(cfg.ServerTLS().CA, ca.CertificatePEM)
		write(cfg.ServerTLS().Cert, srv.CertificatePEM)
		write(cfg.ServerTLS().Key, srv.PrivateKeyPEM)
		write(cfg.ClientTLS().Cert, cli.CertificatePEM)
		write(cfg.ClientTLS().Key, cli.PrivateKeyPEM)
		write(cfg.PeerTLS().CA, peerCA.CertificatePEM)
		write(cfg.PeerTLS().Cert, peer.CertificatePEM)
		write(cfg.PeerTLS().Key, peer.PrivateKeyPEM)
	})

	It("accepts matching, trusted, current certificates that cover the advertised name", func() {
		Expect(validate.Certificates(cfg, now)).To(Succeed())
	})

	It("checks nothing when TLS is off", func() {
		cfg.Etcd.RequireSSL, cfg.Etcd.PeerRequireSSL = false, false
		Expect(os.RemoveAll(cfg.Etcd.CertDir)).To(Succeed())
		Expect(validate.Certificates(cfg, now)).To(Succeed())
	})

	It("accepts a CA bundle holding the old and the new CA during rotation", func() {
		newCA, err := certs.NewAuthority("newCA", certs.WithECDSAKeys())
		Expect(err).NotTo(HaveOccurred())
		srv := issue(newCA, server("*.etcd.service.cf.internal"))
		write(cfg.ServerTLS().CA, append(append([]byte{}, ca.CertificatePEM...), newCA.CertificatePEM...))
		write(cfg.ServerTLS().Cert, srv.CertificatePEM)
		write(cfg.ServerTLS().Key, srv.PrivateKeyPEM)
		Expect(validate.Certificates(cfg, now)).To(Succeed())
	})

	It("names etcd.server_key when the key belongs to another certificate", func() {
		other := issue(ca, server("*.etcd.service.cf.internal"))
		write(cfg.ServerTLS().Key, other.PrivateKeyPEM)
		Expect(validate.Certificates(cfg, now)).To(MatchError(And(
			ContainSubstring("etcd.server_key does not match etcd.server_cert"),
			Not(ContainSubstring("etcd.peer")))))
	})

	It("names etcd.peer_cert and etcd.peer_ca_cert when the peer certificate comes from another CA", func() {
		peer := issue(ca, server("*.etcd.service.cf.internal"))
		write(cfg.PeerTLS().Cert, peer.CertificatePEM)
		write(cfg.PeerTLS().Key, peer.PrivateKeyPEM)
		err := validate.Certificates(cfg, now)
		Expect(err).To(MatchError(ContainSubstring("etcd.peer_cert is not signed for this use by a CA in etcd.peer_ca_cert")))
		Expect(errors.Is(err, certs.ErrNotTrusted)).To(BeTrue())
	})

	It("names etcd.peer_cert when it lacks client auth, which peers need to dial each other", func() {
		peer := issue(peerCA, certs.Request{CommonName: "etcd", AlternativeNames: []string{"*.etcd.service.cf.internal"},
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
		write(cfg.PeerTLS().Cert, peer.CertificatePEM)
		write(cfg.PeerTLS().Key, peer.PrivateKeyPEM)
		Expect(validate.Certificates(cfg, now)).To(MatchError(ContainSubstring("etcd.peer_cert is not signed for this use")))
	})

	It("names etcd.peer_cert when it holds only a wildcard for the suffix, not the suffix itself that members check peers for", func() {
		peer := issue(peerCA, certs.Request{CommonName: "etcd", AlternativeNames: []string{"*.etcd.service.cf.internal"}, ExtKeyUsage: both})
		write(cfg.PeerTLS().Cert, peer.CertificatePEM)
		write(cfg.PeerTLS().Key, peer.PrivateKeyPEM)
		Expect(validate.Certificates(cfg, now)).To(MatchError(And(ContainSubstring("etcd.peer_cert"), ContainSubstring(`"etcd.service.cf.internal"`),
			Not(ContainSubstring("etcd.server_cert")))))
	})

	It("names etcd.server_cert when it does not cover the advertised name", func() {
		srv := issue(ca, server("*.other.internal"))
		write(cfg.ServerTLS().Cert, srv.CertificatePEM)
		write(cfg.ServerTLS().Key, srv.PrivateKeyPEM)
		Expect(validate.Certificates(cfg, now)).To(MatchError(And(
			ContainSubstring("etcd.server_cert"),
			ContainSubstring("etcd-1.etcd.service.cf.internal"))))
	})

	It("names etcd.client_cert when it has expired", func() {
		cli := issue(ca, certs.Request{CommonName: "clientName", ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
			NotBefore: now.Add(-48 * time.Hour), NotAfter: now.Add(-time.Hour)})
		write(cfg.ClientTLS().Cert, cli.CertificatePEM)
		write(cfg.ClientTLS().Key, cli.PrivateKeyPEM)
		err := validate.Certificates(cfg, now)
		Expect(err).To(MatchError(ContainSubstring("etcd.client_cert")))
		Expect(errors.Is(err, certs.ErrExpired)).To(BeTrue())
	})

	It("names etcd.ca_cert when it is not PEM", func() {
		write(cfg.ServerTLS().CA, []byte("-----BEGIN CERTIFICATE-----\nnot base64\n"))
		Expect(validate.Certificates(cfg, now)).To(MatchError(ContainSubstring("etcd.ca_cert is not a PEM certificate")))
	})

	It("names the missing file and its property", func() {
		Expect(os.Remove(filepath.Join(cfg.Etcd.CertDir, "peer.key"))).To(Succeed())
		Expect(validate.Certificates(cfg, now)).To(MatchError(ContainSubstring("etcd.peer_key: reading")))
	})
})

var _ = Describe("PersistentDisk", func() {
	It("warns, naming the fix, when the data directory is not on a disk mounted at /var/vcap/store", func() {
		Expect(validate.PersistentDisk(GinkgoT().TempDir())).To(And(ContainSubstring("not on a persistent disk"), ContainSubstring("persistent_disk")))
	})
})
