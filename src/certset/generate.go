package certset

import (
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cloudfoundry-incubator/etcd-release/src/certs"
)

// Options say what Generate makes. Zero fields take the defaults of
// manifests/bosh-lite/etcd.yml.
type Options struct {
	// Suffix is etcd.advertise_urls_dns_suffix: the server and peer
	// certificates get the alternative names <suffix> and *.<suffix>.
	Suffix string
	// Datacenter and Domain give consul's server name server.<dc>.<domain>.
	Datacenter, Domain string
	// KeyType is rsa or ecdsa; KeySize is RSA bits (2048, 3072, 4096) or
	// the ECDSA curve size (256, 384, 521).
	KeyType string
	KeySize int
	// Validity is how long leaf certificates last; CAValidity how long CAs
	// do (they outlive the leaves they sign, so leaves can be renewed
	// without a CA rotation).
	Validity, CAValidity time.Duration
	// Now is when validity starts (zero: now).
	Now time.Time
}

// Defaults of Options.
const (
	DefaultSuffix     = "etcd.service.cf.internal"
	DefaultDatacenter = "dc1"
	DefaultDomain     = "cf.internal"
	DefaultKeyType    = "rsa"
	DefaultValidity   = 365 * 24 * time.Hour
	// DefaultCAValidity is five years.
	DefaultCAValidity = 5 * 365 * 24 * time.Hour
)

func (o Options) withDefaults() Options {
	if o.Suffix == "" {
		o.Suffix = DefaultSuffix
	}
	if o.Datacenter == "" {
		o.Datacenter = DefaultDatacenter
	}
	if o.Domain == "" {
		o.Domain = DefaultDomain
	}
	if o.KeyType == "" {
		o.KeyType = DefaultKeyType
	}
	if o.KeySize == 0 {
		o.KeySize = map[string]int{"rsa": certs.DefaultRSABits, "ecdsa": 256}[o.KeyType]
	}
	if o.Validity == 0 {
		o.Validity = DefaultValidity
	}
	if o.CAValidity == 0 {
		o.CAValidity = DefaultCAValidity
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	return o
}

func (o Options) keyOption() (certs.Option, error) {
	switch o.KeyType {
	case "rsa":
		if o.KeySize < 2048 || o.KeySize > 8192 {
			return nil, fmt.Errorf("key size %d: give RSA keys of 2048 to 8192 bits (3072 or 4096 for long-lived CAs)", o.KeySize)
		}
		return certs.WithRSABits(o.KeySize), nil
	case "ecdsa":
		curves := map[int]elliptic.Curve{256: elliptic.P256(), 384: elliptic.P384(), 521: elliptic.P521()}
		curve, ok := curves[o.KeySize]
		if !ok {
			return nil, fmt.Errorf("key size %d: ECDSA keys are 256, 384 or 521 bits (P-256, P-384, P-521)", o.KeySize)
		}
		return certs.WithECDSACurve(curve), nil
	}
	return nil, fmt.Errorf("key type %q: give rsa or ecdsa", o.KeyType)
}

func (o Options) check() error {
	if strings.HasPrefix(o.Suffix, "*") || strings.HasPrefix(o.Suffix, ".") || strings.ContainsAny(o.Suffix, " /:") {
		return fmt.Errorf("suffix %q: give a DNS name such as %s; the wildcard *.<suffix> is added by itself", o.Suffix, DefaultSuffix)
	}
	if o.Validity <= 0 || o.CAValidity <= 0 {
		return errors.New("validity must be positive")
	}
	if o.Validity > o.CAValidity {
		return fmt.Errorf("leaf validity %s outlasts the CAs' %s: a certificate cannot outlive its CA", o.Validity, o.CAValidity)
	}
	return nil
}

// Generate makes a new set: the seed's etcdCA, server, client, peerCA and
// peer certificates, consul's CA, server and agent certificates, and a
// gossip key. Each CA's subject carries a random serial number, so two
// generations of etcdCA are told apart wherever only names are shown (a
// TLS server's list of acceptable CAs).
func Generate(opts Options) (Set, error) {
	o := opts.withDefaults()
	if err := o.check(); err != nil {
		return Set{}, err
	}
	keyOpt, err := o.keyOption()
	if err != nil {
		return Set{}, err
	}
	set := Set{Certs: map[string]Cert{}}
	both := []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}
	client := []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	sans := []string{o.Suffix, "*." + o.Suffix}
	consulServer := "server." + o.Datacenter + "." + o.Domain
	plan := []struct {
		ca, caName string
		leaves     []leafPlan
	}{
		{EtcdCA, "etcdCA", []leafPlan{{EtcdServer, o.Suffix, sans, both}, {EtcdClient, "clientName", nil, client}}},
		{EtcdPeerCA, "peerCA", []leafPlan{{EtcdPeer, o.Suffix, sans, both}}},
		{ConsulCA, "consulCA", []leafPlan{{ConsulServer, consulServer, []string{consulServer}, both}, {ConsulAgent, "consul_agent", nil, both}}},
	}
	for _, fam := range plan {
		serial, err := randomHex(8)
		if err != nil {
			return Set{}, err
		}
		ca, err := certs.NewAuthority(fam.caName, keyOpt, certs.WithSubject(pkix.Name{SerialNumber: serial}),
			certs.WithValidity(o.Now.Add(-time.Minute), o.Now.Add(o.CAValidity)))
		if err != nil {
			return Set{}, err
		}
		set.Certs[fam.ca] = Cert{CA: string(ca.CertificatePEM), Certificate: string(ca.CertificatePEM), PrivateKey: string(ca.PrivateKeyPEM)}
		for _, l := range fam.leaves {
			kp, err := ca.Issue(certs.Request{CommonName: l.cn, AlternativeNames: l.sans, ExtKeyUsage: l.usages,
				NotBefore: o.Now.Add(-time.Minute), NotAfter: o.Now.Add(o.Validity)})
			if err != nil {
				return Set{}, err
			}
			set.Certs[l.name] = Cert{CA: string(ca.CertificatePEM), Certificate: string(kp.CertificatePEM), PrivateKey: string(kp.PrivateKeyPEM)}
		}
	}
	key := make([]byte, 16)
	if _, err := rand.Read(key); err != nil {
		return Set{}, fmt.Errorf("generating the gossip key: %w", err)
	}
	set.EncryptKey = base64.StdEncoding.EncodeToString(key)
	return set, nil
}

type leafPlan struct {
	name, cn string
	sans     []string
	usages   []x509.ExtKeyUsage
}

func randomHex(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generating a serial number: %w", err)
	}
	return hex.EncodeToString(b), nil
}
