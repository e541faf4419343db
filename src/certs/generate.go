// Package certs generates and checks the X.509 material of etcd-release.
//
// Generation (Authority, Issue, GenerateVariable) serves test suites and the
// vars store; the checks (ParseCertificates, ParsePrivateKey, KeyMatches,
// VerifyChain, CheckValidity, CoversName) serve `etcdfab validate`. The checks
// are pure: callers pass PEM bytes and the current time, and prefix errors with
// the manifest property at fault.
package certs

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"time"
)

const (
	// DefaultRSABits is the size of generated RSA keys. Older bosh CLIs (the
	// config-server generator they vendor) made 2048-bit keys; the current one
	// makes 3072-bit keys. 2048 keeps generation fast; etcd accepts either.
	DefaultRSABits = 2048

	// DefaultValidity is how long a certificate lasts when the caller does not say.
	DefaultValidity = 365 * 24 * time.Hour

	// backdate moves NotBefore into the past so a certificate issued on one VM is
	// already valid on a peer whose clock lags slightly.
	backdate = time.Minute
)

// KeyPair is a certificate with its private key, parsed and PEM-encoded.
type KeyPair struct {
	Certificate    *x509.Certificate
	Key            crypto.Signer
	CertificatePEM []byte
	PrivateKeyPEM  []byte
}

// Authority is a CA key pair that can issue certificates. Keys it issues are of
// the same kind as its own (RSA DefaultRSABits, or ECDSA on the same curve).
type Authority struct {
	KeyPair
}

// Request describes a certificate to issue.
type Request struct {
	CommonName string
	// AlternativeNames become subject alternative names: IP addresses when they
	// parse as one, DNS names (wildcards such as *.etcd.service.cf.internal
	// allowed) otherwise. The common name is not added: TLS clients ignore it.
	AlternativeNames []string
	ExtKeyUsage      []x509.ExtKeyUsage
	// IsCA makes an intermediate CA (key usage cert sign + CRL sign).
	IsCA bool
	// Zero NotBefore means one minute ago; zero NotAfter means DefaultValidity from now.
	NotBefore, NotAfter time.Time
	// Subject, when set, is the certificate's subject (CommonName, when
	// set, still gives its CN): a serial number in it tells apart two CAs of
	// the same name, as a TLS server's list of acceptable CAs names them.
	Subject pkix.Name
	// RSABits, when set, makes Issue give the certificate an RSA key of
	// that size whatever the CA's key kind (a variable's key_length).
	RSABits int
}

// Option changes how NewAuthority makes its CA.
type Option func(*authoritySettings)

// keySpec is the kind of key to make: RSA of rsaBits (0: DefaultRSABits),
// or ECDSA on curve when curve is set.
type keySpec struct {
	rsaBits int
	curve   elliptic.Curve
}

type authoritySettings struct {
	key                 keySpec
	subject             pkix.Name
	notBefore, notAfter time.Time
}

// WithECDSAKeys makes the CA, and so every key it issues, ECDSA P-256: much
// faster to generate than RSA, for tests.
func WithECDSAKeys() Option { return WithECDSACurve(elliptic.P256()) }

// WithECDSACurve makes the CA, and every key it issues, ECDSA on curve.
func WithECDSACurve(curve elliptic.Curve) Option {
	return func(s *authoritySettings) { s.key = keySpec{curve: curve} }
}

// WithRSABits makes the CA, and every key it issues, RSA of that size.
func WithRSABits(bits int) Option {
	return func(s *authoritySettings) { s.key = keySpec{rsaBits: bits} }
}

// WithSubject gives the CA this subject (its CN is the common name given
// to NewAuthority).
func WithSubject(subject pkix.Name) Option {
	return func(s *authoritySettings) { s.subject = subject }
}

// WithValidity sets the CA's validity period (for tests of expired CAs).
func WithValidity(notBefore, notAfter time.Time) Option {
	return func(s *authoritySettings) { s.notBefore, s.notAfter = notBefore, notAfter }
}

// NewAuthority makes a self-signed root CA with RSA keys unless WithECDSAKeys is given.
func NewAuthority(commonName string, opts ...Option) (*Authority, error) {
	var s authoritySettings
	for _, opt := range opts {
		opt(&s)
	}
	kp, err := selfSign(Request{CommonName: commonName, Subject: s.subject, IsCA: true, NotBefore: s.notBefore, NotAfter: s.notAfter}, s.key)
	if err != nil {
		return nil, fmt.Errorf("creating CA %q: %w", commonName, err)
	}
	return &Authority{KeyPair: kp}, nil
}

// LoadAuthority reads a CA from PEM, for example a vars-store `certificate`
// variable with is_ca: true, so it can issue further certificates.
func LoadAuthority(certificatePEM, privateKeyPEM []byte) (*Authority, error) {
	cert, err := ParseCertificate(certificatePEM)
	if err != nil {
		return nil, fmt.Errorf("reading CA certificate: %w", err)
	}
	key, err := ParsePrivateKey(privateKeyPEM)
	if err != nil {
		return nil, fmt.Errorf("reading CA private key: %w", err)
	}
	if !cert.IsCA {
		return nil, fmt.Errorf("certificate %s is not a CA (basic constraints CA:FALSE); use a certificate generated with is_ca: true", label(cert))
	}
	if err := KeyMatches(cert, key); err != nil {
		return nil, fmt.Errorf("reading CA %s: %w", label(cert), err)
	}
	return &Authority{KeyPair: KeyPair{Certificate: cert, Key: key, CertificatePEM: certificatePEM, PrivateKeyPEM: privateKeyPEM}}, nil
}

// Issue makes a certificate signed by the authority, with a new key.
func (a *Authority) Issue(req Request) (KeyPair, error) {
	var key crypto.Signer
	var err error
	if req.RSABits != 0 {
		key, err = newKey(keySpec{rsaBits: req.RSABits})
	} else {
		key, err = newKeyLike(a.Key)
	}
	if err != nil {
		return KeyPair{}, fmt.Errorf("issuing %q: %w", req.CommonName, err)
	}
	kp, err := sign(req, key, a.Certificate, a.Key)
	if err != nil {
		return KeyPair{}, fmt.Errorf("issuing %q from CA %s: %w", req.CommonName, label(a.Certificate), err)
	}
	return kp, nil
}

// IssueAuthority makes an intermediate CA signed by the authority.
func (a *Authority) IssueAuthority(req Request) (*Authority, error) {
	req.IsCA = true
	kp, err := a.Issue(req)
	if err != nil {
		return nil, err
	}
	return &Authority{KeyPair: kp}, nil
}

func selfSign(req Request, spec keySpec) (KeyPair, error) {
	key, err := newKey(spec)
	if err != nil {
		return KeyPair{}, err
	}
	return sign(req, key, nil, key)
}

// sign creates the certificate for req holding key's public half, signed by
// parentKey; for a self-signed certificate parent is nil and the template signs itself.
func sign(req Request, key crypto.Signer, parent *x509.Certificate, parentKey crypto.Signer) (KeyPair, error) {
	tmpl, err := req.template(key)
	if err != nil {
		return KeyPair{}, err
	}
	if parent == nil {
		parent = tmpl
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, key.Public(), parentKey)
	if err != nil {
		return KeyPair{}, fmt.Errorf("signing certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return KeyPair{}, fmt.Errorf("reading back signed certificate: %w", err)
	}
	keyPEM, err := encodePrivateKey(key)
	if err != nil {
		return KeyPair{}, err
	}
	return KeyPair{
		Certificate:    cert,
		Key:            key,
		CertificatePEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		PrivateKeyPEM:  keyPEM,
	}, nil
}

func (r Request) template(key crypto.Signer) (*x509.Certificate, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, fmt.Errorf("generating serial number: %w", err)
	}
	now := time.Now()
	notBefore, notAfter := r.NotBefore, r.NotAfter
	if notBefore.IsZero() {
		notBefore = now.Add(-backdate)
	}
	if notAfter.IsZero() {
		notAfter = now.Add(DefaultValidity)
	}
	if !notAfter.After(notBefore) {
		return nil, fmt.Errorf("validity ends (%s) before it starts (%s)", notAfter.UTC().Format(time.RFC3339), notBefore.UTC().Format(time.RFC3339))
	}
	subject := r.Subject
	if r.CommonName != "" {
		subject.CommonName = r.CommonName
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               subject,
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		BasicConstraintsValid: true,
		IsCA:                  r.IsCA,
		ExtKeyUsage:           r.ExtKeyUsage,
	}
	switch {
	case r.IsCA:
		tmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign
	case isRSA(key):
		// RSA key exchange (TLS 1.2 without ECDHE) encrypts with the key.
		tmpl.KeyUsage = x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment
	default:
		tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	}
	for _, name := range r.AlternativeNames {
		if name == "" {
			return nil, errors.New("an alternative name is empty; remove it or give a DNS name or IP address")
		}
		if ip := net.ParseIP(name); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, name)
		}
	}
	return tmpl, nil
}

func isRSA(key crypto.Signer) bool {
	_, ok := key.(*rsa.PrivateKey)
	return ok
}

func newKey(spec keySpec) (crypto.Signer, error) {
	var key crypto.Signer
	var err error
	switch {
	case spec.curve != nil:
		key, err = ecdsa.GenerateKey(spec.curve, rand.Reader)
	case spec.rsaBits != 0:
		if spec.rsaBits < 2048 {
			return nil, fmt.Errorf("an RSA key of %d bits is too weak; use 2048 bits or more", spec.rsaBits)
		}
		key, err = rsa.GenerateKey(rand.Reader, spec.rsaBits)
	default:
		key, err = rsa.GenerateKey(rand.Reader, DefaultRSABits)
	}
	if err != nil {
		return nil, fmt.Errorf("generating private key: %w", err)
	}
	return key, nil
}

// newKeyLike makes a key of the same kind and size as the issuer's, so an
// ECDSA test CA hands out ECDSA keys and an RSA CA loaded from a vars store
// hands out RSA ones.
func newKeyLike(issuerKey crypto.Signer) (crypto.Signer, error) {
	switch k := issuerKey.(type) {
	case *ecdsa.PrivateKey:
		key, err := ecdsa.GenerateKey(k.Curve, rand.Reader)
		if err != nil {
			return nil, fmt.Errorf("generating ECDSA key: %w", err)
		}
		return key, nil
	case *rsa.PrivateKey:
		return newKey(keySpec{rsaBits: max(k.N.BitLen(), DefaultRSABits)})
	case ed25519.PrivateKey:
		_, key, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, fmt.Errorf("generating Ed25519 key: %w", err)
		}
		return key, nil
	default:
		return newKey(keySpec{})
	}
}

// encodePrivateKey writes the PEM form the usual tools write: PKCS#1
// "RSA PRIVATE KEY" (as the bosh CLI does), SEC1 "EC PRIVATE KEY" (as
// openssl ecparam does), PKCS#8 "PRIVATE KEY" for Ed25519, which has no other.
func encodePrivateKey(key crypto.Signer) ([]byte, error) {
	var block *pem.Block
	switch k := key.(type) {
	case *rsa.PrivateKey:
		block = &pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}
	case *ecdsa.PrivateKey:
		der, err := x509.MarshalECPrivateKey(k)
		if err != nil {
			return nil, fmt.Errorf("encoding ECDSA private key: %w", err)
		}
		block = &pem.Block{Type: "EC PRIVATE KEY", Bytes: der}
	default:
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			return nil, fmt.Errorf("encoding %T private key: %w", k, err)
		}
		block = &pem.Block{Type: "PRIVATE KEY", Bytes: der}
	}
	return pem.EncodeToMemory(block), nil
}
