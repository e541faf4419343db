// Package validate checks the TLS material an etcd job was rendered with
// before etcd starts, so a bad certificate fails the deploy in pre-start
// with the manifest property to fix, instead of a cluster that cannot talk.
package validate

import (
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/cloudfoundry-incubator/etcd-release/src/certs"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/config"
)

// identity is one certificate and key to check, with what it must be good for.
type identity struct {
	files  config.TLSFiles
	usages []x509.ExtKeyUsage
	names  []string // names the certificate must cover
}

// Certificates checks every certificate the config's TLS settings need: PEM
// parses, the key matches, the certificate chains to its CA bundle for the
// uses etcd puts it to, it is valid at now, and it covers the names this
// node advertises. All problems are reported together.
func Certificates(cfg config.Config, now time.Time) error {
	self := cfg.MemberName() + "." + cfg.Etcd.AdvertiseURLsDNSSuffix
	both := []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}
	var ids []identity
	if cfg.Etcd.RequireSSL {
		ids = append(ids,
			identity{files: cfg.ServerTLS(), usages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, names: []string{self}},
			identity{files: cfg.ClientTLS(), usages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	}
	if cfg.Etcd.PeerRequireSSL {
		// Members dial each other with their peer certificate, so it serves
		// both ends of a peer connection.
		// Members accept a peer whose certificate names the DNS suffix itself
		// (a wildcard for it does not), so it must carry that name too.
		ids = append(ids, identity{files: cfg.PeerTLS(), usages: both, names: []string{self, cfg.Etcd.AdvertiseURLsDNSSuffix}})
	}
	var errs []error
	for _, id := range ids {
		errs = append(errs, check(id, now)...)
	}
	return errors.Join(errs...)
}

func check(id identity, now time.Time) []error {
	f := id.files
	roots, caErr := readCerts(f.CA, f.CAProp)
	chain, certErr := readCerts(f.Cert, f.CertProp)
	key, keyErr := readKey(f.Key, f.KeyProp)
	errs := []error{caErr, certErr, keyErr}
	if certErr != nil {
		return errs
	}
	leaf := chain[0]
	if keyErr == nil {
		if err := certs.KeyMatches(leaf, key); err != nil {
			errs = append(errs, fmt.Errorf("%s does not match %s: %w", f.KeyProp, f.CertProp, err))
		}
	}
	if err := certs.CheckValidity(leaf, now); err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", f.CertProp, err))
	}
	if caErr == nil {
		for _, usage := range id.usages {
			if err := certs.VerifyChain(chain, roots, usage, now); err != nil {
				errs = append(errs, fmt.Errorf("%s is not signed for this use by a CA in %s: %w", f.CertProp, f.CAProp, err))
				break
			}
		}
	}
	for _, name := range id.names {
		if err := certs.CoversName(leaf, name); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w; under TLS a member advertises <instance-group>-<index>.<etcd.advertise_urls_dns_suffix>, and members accept a peer whose certificate names the suffix itself, so reissue the certificate with *.<suffix> and <suffix> among its alternative names", f.CertProp, err))
		}
	}
	return errs
}

func readCerts(path, prop string) ([]*x509.Certificate, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s: reading %s: %w", prop, path, err)
	}
	list, err := certs.ParseCertificates(data)
	if err != nil {
		return nil, fmt.Errorf("%s is not a PEM certificate: %w", prop, err)
	}
	return list, nil
}

func readKey(path, prop string) (crypto.Signer, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s: reading %s: %w", prop, path, err)
	}
	key, err := certs.ParsePrivateKey(data)
	if err != nil {
		return nil, fmt.Errorf("%s is not a usable private key: %w", prop, err)
	}
	return key, nil
}
