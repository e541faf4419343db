package certcheck_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"path/filepath"
	"strconv"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/certs"
	"github.com/cloudfoundry-incubator/etcd-release/src/certset"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/certcheck"
)

// serve listens on addr as a member does: presenting leaf, asking for a
// client certificate from the CAs in bundle.
func serve(addr string, set certset.Set, leaf, bundle string) {
	GinkgoHelper()
	pair, err := tls.X509KeyPair([]byte(set.Certs[leaf].Certificate), []byte(set.Certs[leaf].PrivateKey))
	Expect(err).NotTo(HaveOccurred())
	pool := x509.NewCertPool()
	Expect(pool.AppendCertsFromPEM([]byte(set.Certs[bundle].Certificate))).To(BeTrue())
	l, err := tls.Listen("tcp", addr, &tls.Config{Certificates: []tls.Certificate{pair}, ClientCAs: pool,
		ClientAuth: tls.RequireAndVerifyClientCert, MinVersion: tls.VersionTLS12})
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(l.Close)
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				_ = conn.(*tls.Conn).Handshake()
				_, _ = conn.Read(make([]byte, 1))
			}()
		}
	}()
}

// member serves set's stage on both ports of ip.
func member(ip string, ports certcheck.Ports, set certset.Set) {
	serve(net.JoinHostPort(ip, strconv.Itoa(ports.Client)), set, certset.EtcdServer, certset.EtcdCA)
	serve(net.JoinHostPort(ip, strconv.Itoa(ports.Peer)), set, certset.EtcdPeer, certset.EtcdPeerCA)
}

func freePorts() certcheck.Ports {
	GinkgoHelper()
	var p []int
	for range 2 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		Expect(err).NotTo(HaveOccurred())
		p = append(p, l.Addr().(*net.TCPAddr).Port)
		l.Close()
	}
	return certcheck.Ports{Client: p[0], Peer: p[1]}
}

func label(pemText string) string {
	GinkgoHelper()
	c, err := certs.ParseCertificate([]byte(pemText))
	Expect(err).NotTo(HaveOccurred())
	return certcheck.Label(c)
}

var _ = Describe("check-certs", func() {
	var (
		current, next certset.Set
		stages        []certset.Stage
		dir           string
		ports         certcheck.Ports
		members       = []certcheck.Member{{Name: "etcd-0", Address: "127.0.0.2"}, {Name: "etcd-1", Address: "127.0.0.3"}}
	)
	BeforeEach(func() {
		var err error
		current, err = certset.Generate(certset.Options{KeyType: "ecdsa"})
		Expect(err).NotTo(HaveOccurred())
		next, err = certset.Generate(certset.Options{KeyType: "ecdsa"})
		Expect(err).NotTo(HaveOccurred())
		stages, _, err = certset.Rotate(current, next, time.Now())
		Expect(err).NotTo(HaveOccurred())
		dir = GinkgoT().TempDir()
		for _, s := range stages {
			Expect(s.Set.WriteVars(filepath.Join(dir, s.File))).To(Succeed())
		}
		ports = freePorts()
	})

	expect := func(file string) certcheck.Expectation {
		GinkgoHelper()
		exp, err := certcheck.FromVars(filepath.Join(dir, file), ports)
		Expect(err).NotTo(HaveOccurred())
		delete(exp.Kinds, certcheck.Consul) // these fakes run no consul
		return exp
	}

	It("reports, per member, who signed what it serves, its expiry, and the CAs it accepts; ready when all match", func() {
		member("127.0.0.2", ports, stages[0].Set)
		member("127.0.0.3", ports, stages[0].Set)
		report := certcheck.Check(context.Background(), members, expect("stage-1.yml"), nil, 3*time.Second)
		Expect(report.Ready).To(BeTrue(), "%+v", report)
		Expect(report.Members).To(HaveLen(2))
		oldCA, newCA := label(current.Certs[certset.EtcdCA].Certificate), label(next.Certs[certset.EtcdCA].Certificate)
		Expect(oldCA).NotTo(Equal(newCA))
		client := report.Members[0].Ports[0]
		Expect(client.Kind).To(Equal(certcheck.Client))
		Expect(client.SignedBy).To(Equal(oldCA))
		Expect(client.Accepts).To(ConsistOf(oldCA, newCA))
		Expect(client.NotAfter).To(BeTemporally("~", time.Now().Add(certset.DefaultValidity), 2*time.Minute))
		peer := report.Members[1].Ports[1]
		Expect(peer.Kind).To(Equal(certcheck.Peer))
		Expect(peer.SignedBy).To(Equal(label(current.Certs[certset.EtcdPeerCA].Certificate)))

		var text bytes.Buffer
		Expect(report.WriteText(&text)).To(Succeed())
		Expect(text.String()).To(ContainSubstring("ready for the next stage"))
		Expect(text.String()).To(ContainSubstring(oldCA))

		By("the same members are not what stage 2 holds: they serve the current certificates")
		report = certcheck.Check(context.Background(), members, expect("stage-2.yml"), nil, 3*time.Second)
		Expect(report.Ready).To(BeFalse())
		Expect(report.Members[0].Problems).To(ContainElement(ContainSubstring("client port serves a certificate signed by " + oldCA)))
	})

	It("is not ready while a member has not restarted with the new bundle, and names it", func() {
		member("127.0.0.2", ports, stages[0].Set)
		member("127.0.0.3", ports, current)
		report := certcheck.Check(context.Background(), members, expect("stage-1.yml"), nil, 3*time.Second)
		Expect(report.Ready).To(BeFalse())
		Expect(report.Members[0].Problems).To(BeEmpty())
		Expect(report.Members[1].Problems).To(ContainElement(And(ContainSubstring("client port accepts ["+label(current.Certs[certset.EtcdCA].Certificate)+"]"),
			ContainSubstring("expected"))))
		var text bytes.Buffer
		Expect(report.WriteText(&text)).To(Succeed())
		Expect(text.String()).To(ContainSubstring("NOT ready for the next stage"))
		Expect(text.String()).To(ContainSubstring("etcd-1: peer port accepts"))
	})

	It("is not ready when a member does not answer", func() {
		member("127.0.0.2", ports, stages[2].Set)
		report := certcheck.Check(context.Background(), members, expect("stage-3.yml"), nil, time.Second)
		Expect(report.Ready).To(BeFalse())
		Expect(report.Members[0].Problems).To(BeEmpty())
		Expect(report.Members[1].Problems).To(ContainElement(ContainSubstring("client port 127.0.0.3:")))
	})
})
