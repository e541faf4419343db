// Package etcdaccess reaches a deployed TLS etcd cluster from the host, as
// an operator's client on the VM bridge does: by the members' IPs, with the
// client certificate the vars store generated, checking the servers'
// certificates against the consul DNS suffix they are issued for.
package etcdaccess

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"slices"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/cloudfoundry-incubator/etcd-release/src/certset"
	"github.com/cloudfoundry-incubator/etcd-release/src/director"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/etcdclient"
)

// Suffix is the advertise_urls_dns_suffix of manifests/bosh-lite/etcd.yml.
const Suffix = "etcd.service.cf.internal"

// Credential reads a certificate variable from a vars store (through
// certset, which reads every form an operator keeps certificates in).
func Credential(store, name string) (certPEM, keyPEM, caPEM string, err error) {
	set, _, err := certset.Load(store)
	if err != nil {
		return "", "", "", err
	}
	c, ok := set.Certs[name]
	if !ok {
		return "", "", "", fmt.Errorf("the vars store %s has no certificate %s", store, name)
	}
	return c.Certificate, c.PrivateKey, c.CA, nil
}

// TLSConfig trusts caPEM, presents pair (nil: no certificate) and checks
// servers against Suffix, since clients dial members by IP.
func TLSConfig(caPEM string, pair *tls.Certificate) (*tls.Config, error) {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM([]byte(caPEM)) {
		return nil, errors.New("the etcd CA holds no PEM certificate")
	}
	cfg := &tls.Config{RootCAs: pool, ServerName: Suffix, MinVersion: tls.VersionTLS12}
	if pair != nil {
		cfg.Certificates = []tls.Certificate{*pair}
	}
	return cfg, nil
}

// ClientTLS is TLSConfig for the vars store's etcd_client certificate:
// presented if present, its CA trusted either way.
func ClientTLS(store string, present bool) (*tls.Config, error) {
	certPEM, keyPEM, caPEM, err := Credential(store, "etcd_client")
	if err != nil {
		return nil, err
	}
	if !present {
		return TLSConfig(caPEM, nil)
	}
	pair, err := tls.X509KeyPair([]byte(certPEM), []byte(keyPEM))
	if err != nil {
		return nil, fmt.Errorf("the vars store's etcd_client: %w", err)
	}
	return TLSConfig(caPEM, &pair)
}

// IPs lists the first address of every instance of a deployment, sorted.
func IPs(ctx context.Context, c *director.Client, deployment string) ([]string, error) {
	instances, err := c.Instances(ctx, deployment)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, inst := range instances {
		if len(inst.IPs) > 0 {
			out = append(out, inst.IPs[0])
		}
	}
	slices.Sort(out)
	return out, nil
}

// Endpoints are the client URLs of members at ips.
func Endpoints(ips []string) []string {
	urls := make([]string, 0, len(ips))
	for _, ip := range ips {
		urls = append(urls, "https://"+ip+":2379")
	}
	return urls
}

// Client dials every member of a deployment with the vars store's client
// certificate.
func Client(ctx context.Context, c *director.Client, deployment, store string) (*clientv3.Client, error) {
	ips, err := IPs(ctx, c, deployment)
	if err != nil {
		return nil, err
	}
	cfg, err := ClientTLS(store, true)
	if err != nil {
		return nil, err
	}
	return etcdclient.NewV3(Endpoints(ips), cfg)
}
