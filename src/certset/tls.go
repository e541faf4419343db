package certset

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
)

// ClientTLS is the TLS configuration of an etcd client that presents s's
// client certificate and trusts trust's etcd CA bundle, checking servers
// against serverName (the DNS suffix, when it dials members by IP).
func (s Set) ClientTLS(trust Set, serverName string) (*tls.Config, error) {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM([]byte(trust.Certs[EtcdCA].Certificate)) {
		return nil, errors.New("the set's etcd_ca holds no PEM certificate")
	}
	c := s.Certs[EtcdClient]
	pair, err := tls.X509KeyPair([]byte(c.Certificate), []byte(c.PrivateKey))
	if err != nil {
		return nil, fmt.Errorf("reading the set's etcd_client: %w", err)
	}
	return &tls.Config{RootCAs: pool, ServerName: serverName, Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}, nil
}
