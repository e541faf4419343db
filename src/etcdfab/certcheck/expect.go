package certcheck

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"

	"gopkg.in/yaml.v3"

	"github.com/cloudfoundry-incubator/etcd-release/src/certs"
)

// Ports are where each kind listens.
type Ports struct {
	Client, Peer, Consul int
}

// DefaultPorts are etcd's and consul's defaults.
var DefaultPorts = Ports{Client: 2379, Peer: 2380, Consul: 8300}

// Source is where one kind's material comes from: PEM text of the
// certificate members serve, the CA bundle they accept, and the identity
// to present (empty: none).
type Source struct {
	Serve, Accept, IdentityCert, IdentityKey string
	// Names of the inputs, for messages.
	ServeName, AcceptName string
}

// Build reads the sources into an expectation; a kind whose Accept is
// empty is not checked.
func Build(from string, ports Ports, sources map[string]Source) (Expectation, error) {
	exp := Expectation{Source: from, Kinds: map[string]Kind{}}
	port := map[string]int{Client: ports.Client, Peer: ports.Peer, Consul: ports.Consul}
	var errs []error
	for kind, s := range sources {
		if s.Accept == "" {
			continue
		}
		k := Kind{Port: port[kind]}
		var err error
		if k.Accept, err = certs.ParseCertificates([]byte(s.Accept)); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", s.AcceptName, err))
		}
		if s.Serve != "" {
			list, err := certs.ParseCertificates([]byte(s.Serve))
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", s.ServeName, err))
			} else {
				k.Serve = list[0]
			}
		}
		if s.IdentityCert != "" && s.IdentityKey != "" {
			pair, err := tls.X509KeyPair([]byte(s.IdentityCert), []byte(s.IdentityKey))
			if err != nil {
				errs = append(errs, fmt.Errorf("the %s identity: %w", kind, err))
			} else {
				k.Identity = &pair
			}
		}
		exp.Kinds[kind] = k
	}
	if err := errors.Join(errs...); err != nil {
		return Expectation{}, err
	}
	if len(exp.Kinds) == 0 {
		return Expectation{}, fmt.Errorf("%s gives no CA bundle to check against", from)
	}
	return exp, nil
}

// FromVars reads what a vars file (a rotation stage, or the output of
// scripts/generate-certs) says members serve and accept, with the
// variable names of manifests/bosh-lite/etcd.yml; it also holds the
// client, peer and consul agent identities to present.
func FromVars(path string, ports Ports) (Expectation, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Expectation{}, fmt.Errorf("reading the expected certificates: %w", err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return Expectation{}, fmt.Errorf("%s must be a vars file of certificate variables: %w", path, err)
	}
	field := func(name, key string) string {
		m, _ := doc[name].(map[string]any)
		s, _ := m[key].(string)
		return s
	}
	source := func(serve, accept, identity string) Source {
		return Source{Serve: field(serve, "certificate"), Accept: field(accept, "certificate"),
			IdentityCert: field(identity, "certificate"), IdentityKey: field(identity, "private_key"),
			ServeName: serve + ".certificate", AcceptName: accept + ".certificate"}
	}
	return Build(path, ports, map[string]Source{
		Client: source("etcd_server", "etcd_ca", "etcd_client"),
		Peer:   source("etcd_peer", "etcd_peer_ca", "etcd_peer"),
		Consul: source("consul_server", "consul_ca", "consul_agent"),
	})
}

// Files names PEM files on an instance: what it serves and accepts, and
// the identity it presents.
type Files struct {
	Serve, Accept, IdentityCert, IdentityKey string
}

// FromFiles reads the expectation from files, such as an instance's
// rendered templates; a kind whose Accept file is absent is left out.
func FromFiles(from string, ports Ports, files map[string]Files) (Expectation, error) {
	sources := map[string]Source{}
	var errs []error
	read := func(path string) string {
		if path == "" {
			return ""
		}
		data, err := os.ReadFile(path)
		if err != nil {
			errs = append(errs, err)
		}
		return string(data)
	}
	for kind, f := range files {
		if _, err := os.Stat(f.Accept); err != nil {
			continue
		}
		sources[kind] = Source{Serve: read(f.Serve), Accept: read(f.Accept), IdentityCert: read(f.IdentityCert), IdentityKey: read(f.IdentityKey),
			ServeName: f.Serve, AcceptName: f.Accept}
	}
	if err := errors.Join(errs...); err != nil {
		return Expectation{}, err
	}
	return Build(from, ports, sources)
}

// ParseCAs reads extra CA certificates to recognise signers by.
func ParseCAs(paths []string) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		list, err := certs.ParseCertificates(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		out = append(out, list...)
	}
	return out, nil
}
