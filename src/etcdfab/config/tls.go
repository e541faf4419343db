package config

import "path/filepath"

// TLSFiles names the PEM files of one TLS identity, as the job renders them
// under the certificate directory, together with the manifest properties
// they come from (for error messages an operator can act on).
type TLSFiles struct {
	CA, Cert, Key             string
	CAProp, CertProp, KeyProp string
}

// ServerTLS is what etcd serves clients with, and the CA it trusts clients of.
func (c Config) ServerTLS() TLSFiles {
	return c.tlsFiles("server-ca.crt", "server.crt", "server.key", "etcd.ca_cert", "etcd.server_cert", "etcd.server_key")
}

// ClientTLS is what etcdfab presents to etcd servers, and the CA it trusts them by.
func (c Config) ClientTLS() TLSFiles {
	return c.tlsFiles("server-ca.crt", "client.crt", "client.key", "etcd.ca_cert", "etcd.client_cert", "etcd.client_key")
}

// PeerTLS is what members present to each other, in both directions.
func (c Config) PeerTLS() TLSFiles {
	return c.tlsFiles("peer-ca.crt", "peer.crt", "peer.key", "etcd.peer_ca_cert", "etcd.peer_cert", "etcd.peer_key")
}

func (c Config) tlsFiles(ca, cert, key, caProp, certProp, keyProp string) TLSFiles {
	dir := c.Etcd.CertDir
	return TLSFiles{
		CA: filepath.Join(dir, ca), Cert: filepath.Join(dir, cert), Key: filepath.Join(dir, key),
		CAProp: caProp, CertProp: certProp, KeyProp: keyProp,
	}
}
