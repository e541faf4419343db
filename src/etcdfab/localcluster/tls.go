package localcluster

import (
	"crypto/x509"
	"fmt"
	"os"
	"path/filepath"

	"github.com/cloudfoundry-incubator/etcd-release/src/certs"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/config"
)

// TLS holds the authorities a TLS cluster's certificates come from: one for
// clients and servers, one for peers, as the etcd job's properties allow.
type TLS struct {
	CA     *certs.Authority
	PeerCA *certs.Authority
	Client certs.KeyPair // what tests and etcdfab present to etcd
}

// NewTLS creates the authorities and a client certificate.
func NewTLS() (*TLS, error) {
	ca, err := certs.NewAuthority("etcdCA", certs.WithECDSAKeys())
	if err != nil {
		return nil, err
	}
	peerCA, err := certs.NewAuthority("peerCA", certs.WithECDSAKeys())
	if err != nil {
		return nil, err
	}
	client, err := ca.Issue(certs.Request{CommonName: "clientName", ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	if err != nil {
		return nil, err
	}
	return &TLS{CA: ca, PeerCA: peerCA, Client: client}, nil
}

// writeFiles renders a node's certificate directory as the job does: the
// server certificate covers *.<suffix>, and peer certificates serve both
// directions, so they carry server and client usage.
func (t *TLS) writeFiles(cfg config.Config) error {
	wildcard := "*." + cfg.Etcd.AdvertiseURLsDNSSuffix
	both := []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}
	server, err := t.CA.Issue(certs.Request{CommonName: cfg.Etcd.AdvertiseURLsDNSSuffix,
		AlternativeNames: []string{wildcard, cfg.Etcd.AdvertiseURLsDNSSuffix}, ExtKeyUsage: both})
	if err != nil {
		return err
	}
	peer, err := t.PeerCA.Issue(certs.Request{CommonName: cfg.Etcd.AdvertiseURLsDNSSuffix,
		AlternativeNames: []string{wildcard, cfg.Etcd.AdvertiseURLsDNSSuffix}, ExtKeyUsage: both})
	if err != nil {
		return err
	}
	files := map[string][]byte{
		cfg.ServerTLS().CA:   t.CA.CertificatePEM,
		cfg.ServerTLS().Cert: server.CertificatePEM,
		cfg.ServerTLS().Key:  server.PrivateKeyPEM,
		cfg.ClientTLS().Cert: t.Client.CertificatePEM,
		cfg.ClientTLS().Key:  t.Client.PrivateKeyPEM,
		cfg.PeerTLS().CA:     t.PeerCA.CertificatePEM,
		cfg.PeerTLS().Cert:   peer.CertificatePEM,
		cfg.PeerTLS().Key:    peer.PrivateKeyPEM,
	}
	if err := os.MkdirAll(cfg.Etcd.CertDir, 0o700); err != nil {
		return err
	}
	for path, data := range files {
		if err := os.WriteFile(path, data, 0o600); err != nil {
			return fmt.Errorf("writing %s: %w", filepath.Base(path), err)
		}
	}
	return nil
}
