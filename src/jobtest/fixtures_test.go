package jobtest_test

import (
	"crypto/x509"
	"fmt"

	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/certs"
	"github.com/cloudfoundry-incubator/etcd-release/src/render"
)

// instance is a BOSH instance of group "etcd" at index with address ip.
func instance(index int, ip string) render.Instance {
	return render.Instance{
		Deployment: "etcd", Name: "etcd", ID: fmt.Sprintf("id-%d", index), AZ: "z1", Index: index,
		Bootstrap: index == 0, Address: ip, IP: ip, PersistentDiskMB: 1024,
		Networks: map[string]render.Network{"default": {Type: "manual", IP: ip, Netmask: "255.255.0.0",
			Gateway: "10.244.0.1", Default: []string{"dns", "gateway"}}},
		Release: render.Release{Name: "etcd", Version: "0+dev.1"},
	}
}

// etcdLink is the etcd link of a group of size instances on 10.244.0.2...
func etcdLink(size int) map[string]render.Link {
	link := render.Link{Properties: map[string]any{}}
	for i := range size {
		link.Instances = append(link.Instances, render.LinkInstance{Name: "etcd", Index: i,
			ID: fmt.Sprintf("id-%d", i), AZ: "z1", Address: fmt.Sprintf("10.244.0.%d", i+2), Bootstrap: i == 0})
	}
	return map[string]render.Link{"etcd": link}
}

// tlsMaterial holds PEM certificates for the TLS properties.
type tlsMaterial struct {
	ca, newCA, peerCA            *certs.Authority
	server, client, peer, newSrv certs.KeyPair
}

func newTLSMaterial() tlsMaterial {
	var m tlsMaterial
	var err error
	m.ca, err = certs.NewAuthority("etcdCA", certs.WithECDSAKeys())
	Expect(err).NotTo(HaveOccurred())
	m.newCA, err = certs.NewAuthority("newCA", certs.WithECDSAKeys())
	Expect(err).NotTo(HaveOccurred())
	m.peerCA, err = certs.NewAuthority("peerCA", certs.WithECDSAKeys())
	Expect(err).NotTo(HaveOccurred())
	both := []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}
	names := []string{"*.etcd.service.cf.internal", "etcd.service.cf.internal"}
	m.server, err = m.ca.Issue(certs.Request{CommonName: "etcd.service.cf.internal", AlternativeNames: names, ExtKeyUsage: both})
	Expect(err).NotTo(HaveOccurred())
	m.newSrv, err = m.newCA.Issue(certs.Request{CommonName: "etcd.service.cf.internal", AlternativeNames: names, ExtKeyUsage: both})
	Expect(err).NotTo(HaveOccurred())
	m.client, err = m.ca.Issue(certs.Request{CommonName: "clientName", ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	Expect(err).NotTo(HaveOccurred())
	m.peer, err = m.peerCA.Issue(certs.Request{CommonName: "etcd.service.cf.internal", AlternativeNames: names, ExtKeyUsage: both})
	Expect(err).NotTo(HaveOccurred())
	return m
}

// tlsProps are etcd properties with client and peer TLS fully configured.
func (m tlsMaterial) tlsProps() map[string]any {
	return map[string]any{"etcd": map[string]any{
		"require_ssl": true, "peer_require_ssl": true,
		"ca_cert":     string(m.ca.CertificatePEM),
		"server_cert": string(m.server.CertificatePEM), "server_key": string(m.server.PrivateKeyPEM),
		"client_cert": string(m.client.CertificatePEM), "client_key": string(m.client.PrivateKeyPEM),
		"peer_ca_cert": string(m.peerCA.CertificatePEM),
		"peer_cert":    string(m.peer.CertificatePEM), "peer_key": string(m.peer.PrivateKeyPEM),
	}}
}

// plainProps turn TLS off.
func plainProps() map[string]any {
	return map[string]any{"etcd": map[string]any{"require_ssl": false, "peer_require_ssl": false}}
}

// fixture is how every job of the release is rendered for the
// every-template check: a job without one fails that check.
type fixture struct {
	props map[string]any
	inst  render.Instance
	links map[string]render.Link
}

func fixtures(m tlsMaterial) map[string]fixture {
	return map[string]fixture{
		"etcd":              {props: m.tlsProps(), inst: instance(1, "10.244.0.3"), links: etcdLink(3)},
		"consul_agent":      consulServerFixture(newConsulMaterial()),
		"etcd_testconsumer": {props: m.consumerProps(), inst: instance(0, "10.244.0.9"), links: publishedEtcdLink(3, true)},
		"etcd_health":       {props: m.healthProps(), inst: instance(0, "10.244.0.9"), links: publishedEtcdLink(3, true)},
		"turbulence_agent": {props: map[string]any{"turbulence_agent": map[string]any{"password": "pw"}},
			inst: instance(1, "10.244.0.3")},
		"acceptance-tests": {props: map[string]any{"etcd": map[string]any{"acceptance_tests": map[string]any{
			"bosh": map[string]any{"target": "10.244.0.1", "username": "admin", "password": "pw"}}}},
			inst: instance(0, "10.244.0.20")},
	}
}
