// Package certset is the TLS material of an etcd deployment as
// manifests/bosh-lite/etcd.yml names it: the etcd CA, server and client
// certificates, the peer CA and peer certificate, consul's CA, server and
// agent certificates, and consul's gossip key. It generates a set (what the
// seed README's certstrap steps make, plus consul's), reads one from a vars
// file, a vars store or a manifest's properties, writes it as a vars file
// for `deploy -l` and as PEM files, and turns a current and a next set into
// the three deploys of a rotation, refusing sets that would break a stage.
package certset

import (
	"crypto/x509"
	"fmt"
	"sort"

	"github.com/cloudfoundry-incubator/etcd-release/src/certs"
)

// Variable names, as manifests/bosh-lite/etcd.yml declares them.
const (
	EtcdCA           = "etcd_ca"
	EtcdServer       = "etcd_server"
	EtcdClient       = "etcd_client"
	EtcdPeerCA       = "etcd_peer_ca"
	EtcdPeer         = "etcd_peer"
	ConsulCA         = "consul_ca"
	ConsulServer     = "consul_server"
	ConsulAgent      = "consul_agent"
	ConsulEncryptKey = "consul_encrypt_key"
)

// Family is a CA and the certificates it signs: they rotate together.
type Family struct {
	CA     string
	Leaves []string
	// Property is the manifest property that holds the CA bundle, for messages.
	Property string
}

// Families are the set's CAs with their leaves, in the order they are reported.
var Families = []Family{
	{CA: EtcdCA, Leaves: []string{EtcdServer, EtcdClient}, Property: "etcd.ca_cert"},
	{CA: EtcdPeerCA, Leaves: []string{EtcdPeer}, Property: "etcd.peer_ca_cert"},
	{CA: ConsulCA, Leaves: []string{ConsulServer, ConsulAgent}, Property: "consul.ca_cert"},
}

// Cert is a `certificate` variable's value. In a rotation stage,
// Certificate of a CA and CA of a leaf hold the trust bundle (old and new
// CA one after the other), so a manifest reading either
// ((etcd_ca.certificate)) or ((etcd_server.ca)) gets the bundle.
type Cert struct {
	CA          string `yaml:"ca,omitempty"`
	Certificate string `yaml:"certificate"`
	PrivateKey  string `yaml:"private_key,omitempty"`
}

// Set is a deployment's certificates by variable name, and the gossip key.
type Set struct {
	Certs      map[string]Cert
	EncryptKey string
}

// names lists every certificate variable of a set, CAs first.
func names() []string {
	var out []string
	for _, f := range Families {
		out = append(out, f.CA)
	}
	for _, f := range Families {
		out = append(out, f.Leaves...)
	}
	return out
}

// usages are what each leaf is used for: etcd dials itself with its
// server certificate and members present the peer certificate both ways.
var usages = map[string][]x509.ExtKeyUsage{
	EtcdServer:   {x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	EtcdClient:   {x509.ExtKeyUsageClientAuth},
	EtcdPeer:     {x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	ConsulServer: {x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	ConsulAgent:  {x509.ExtKeyUsageClientAuth},
}

// Missing lists the certificate variables the set lacks, sorted.
func (s Set) Missing() []string {
	var out []string
	for _, n := range names() {
		c, ok := s.Certs[n]
		if !ok || c.Certificate == "" {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// parsed is a certificate variable read into x509 form.
type parsed struct {
	certs []*x509.Certificate // the certificate (a CA bundle has several)
	key   any                 // the private key, nil if none was given
}

func parse(name string, c Cert, wantKey bool) (parsed, error) {
	list, err := certs.ParseCertificates([]byte(c.Certificate))
	if err != nil {
		return parsed{}, fmt.Errorf("%s.certificate: %w", name, err)
	}
	p := parsed{certs: list}
	if c.PrivateKey == "" {
		if wantKey {
			return parsed{}, fmt.Errorf("%s.private_key is missing; give the key generated with %s.certificate", name, name)
		}
		return p, nil
	}
	key, err := certs.ParsePrivateKey([]byte(c.PrivateKey))
	if err != nil {
		return parsed{}, fmt.Errorf("%s.private_key is not a usable private key: %w", name, err)
	}
	if err := certs.KeyMatches(list[0], key); err != nil {
		return parsed{}, fmt.Errorf("%s.private_key does not match %s.certificate: %w", name, name, err)
	}
	p.key = key
	return p, nil
}

// Reissue replaces a certificate of the set with a new one, with a new
// key, from the set's CA of its family (whose private key the set must
// hold), as req describes: to renew a leaf, or to make a bad one for a test.
func (s Set) Reissue(leaf string, req certs.Request) error {
	for _, f := range Families {
		for _, l := range f.Leaves {
			if l != leaf {
				continue
			}
			ca := s.Certs[f.CA]
			authority, err := certs.LoadAuthority([]byte(ca.Certificate), []byte(ca.PrivateKey))
			if err != nil {
				return fmt.Errorf("reissuing %s from %s: %w", leaf, f.CA, err)
			}
			kp, err := authority.Issue(req)
			if err != nil {
				return fmt.Errorf("reissuing %s from %s: %w", leaf, f.CA, err)
			}
			s.Certs[leaf] = Cert{CA: ca.Certificate, Certificate: string(kp.CertificatePEM), PrivateKey: string(kp.PrivateKeyPEM)}
			return nil
		}
	}
	return fmt.Errorf("%s is not a certificate signed by a CA of the set", leaf)
}
