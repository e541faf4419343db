package certs

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Sentinels for errors.Is; the messages wrapping them name the certificate,
// the values compared and what to change.
var (
	ErrKeyMismatch     = errors.New("private key does not match the certificate")
	ErrNotTrusted      = errors.New("certificate is not trusted")
	ErrWrongUsage      = errors.New("certificate is not allowed this use")
	ErrNotYetValid     = errors.New("certificate is not yet valid")
	ErrExpired         = errors.New("certificate has expired")
	ErrNameNotCovered  = errors.New("certificate does not cover the name")
	errNoCertificate   = errors.New("no certificate given")
	errNoCACertificate = errors.New("no CA certificates given")
)

// KeyMatches reports whether key is the private half of cert's public key.
func KeyMatches(cert *x509.Certificate, key crypto.Signer) error {
	pub, ok := key.Public().(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !pub.Equal(cert.PublicKey) {
		return fmt.Errorf("%w: the private key (%s) is not the key of certificate %s (%s); use the key generated together with the certificate",
			ErrKeyMismatch, describeKey(key.Public()), label(cert), describeKey(cert.PublicKey))
	}
	return nil
}

// VerifyChain checks that chain[0] chains to any of roots (a rotation bundle
// holds the old and the new CA), through the intermediates chain[1:], for usage
// (x509.ExtKeyUsageAny for none in particular), at time now.
func VerifyChain(chain []*x509.Certificate, roots []*x509.Certificate, usage x509.ExtKeyUsage, now time.Time) error {
	if len(chain) == 0 {
		return errNoCertificate
	}
	if len(roots) == 0 {
		return errNoCACertificate
	}
	opts := x509.VerifyOptions{
		Roots:         x509.NewCertPool(),
		Intermediates: x509.NewCertPool(),
		CurrentTime:   now,
		KeyUsages:     []x509.ExtKeyUsage{usage},
	}
	for _, root := range roots {
		opts.Roots.AddCert(root)
	}
	for _, intermediate := range chain[1:] {
		opts.Intermediates.AddCert(intermediate)
	}
	leaf := chain[0]
	_, err := leaf.Verify(opts)
	if err == nil {
		return nil
	}
	tried := labels(roots)
	if len(chain) > 1 {
		tried += " through intermediates " + labels(chain[1:])
	}
	var invalid x509.CertificateInvalidError
	if errors.As(err, &invalid) {
		switch invalid.Reason {
		case x509.IncompatibleUsage:
			if !allowsUsage(leaf.ExtKeyUsage, usage) {
				return fmt.Errorf("%w: %s cannot be used for %s; its extended key usages are [%s]; reissue it with extended_key_usage including %s: %w",
					ErrWrongUsage, label(leaf), usageName(usage), usageNames(leaf.ExtKeyUsage), usageName(usage), err)
			}
			// Go also applies a CA's extended key usages to what it signs.
			return fmt.Errorf("%w: a CA certificate in the chain of %s to %s restricts extended key usages and excludes %s: %w",
				ErrWrongUsage, label(leaf), tried, usageName(usage), err)
		case x509.Expired:
			return fmt.Errorf("%w: chain of %s to CA certificates %s has a certificate outside its validity at %s: %w",
				ErrNotTrusted, label(leaf), tried, stamp(now), err)
		}
	}
	var unknown x509.UnknownAuthorityError
	if errors.As(err, &unknown) {
		return fmt.Errorf("%w: %s (issued by %s) does not chain to any of the CA certificates tried: %s; give the CA that signed it: %w",
			ErrNotTrusted, label(leaf), nameLabel(leaf.Issuer), tried, err)
	}
	return fmt.Errorf("%w: verifying %s against CA certificates %s: %w", ErrNotTrusted, label(leaf), tried, err)
}

// CheckValidity reports whether now lies within cert's validity period.
func CheckValidity(cert *x509.Certificate, now time.Time) error {
	if now.Before(cert.NotBefore) {
		return fmt.Errorf("%w: %s is valid from %s, it is now %s; check the clock or reissue it",
			ErrNotYetValid, label(cert), stamp(cert.NotBefore), stamp(now))
	}
	if now.After(cert.NotAfter) {
		return fmt.Errorf("%w: %s expired at %s, it is now %s; issue a new certificate",
			ErrExpired, label(cert), stamp(cert.NotAfter), stamp(now))
	}
	return nil
}

// CoversName reports whether cert's subject alternative names cover name, a
// DNS name (matched against wildcards too) or an IP address. The common name
// is not considered, as TLS clients no longer do.
func CoversName(cert *x509.Certificate, name string) error {
	if name == "" {
		return fmt.Errorf("checking %s: the name to check is empty", label(cert))
	}
	if cert.VerifyHostname(name) == nil {
		return nil
	}
	hint := ""
	if strings.EqualFold(cert.Subject.CommonName, name) {
		hint = fmt.Sprintf("; %q is only the common name, which TLS clients ignore: add it to the alternative names", name)
	}
	return fmt.Errorf("%w: %s does not cover %q; its subject alternative names are %s%s",
		ErrNameNotCovered, label(cert), name, describeSANs(cert), hint)
}

// label names a certificate in messages by its subject common name.
func label(cert *x509.Certificate) string {
	if name := nameLabel(cert.Subject); name != "" {
		return name
	}
	return fmt.Sprintf("(empty subject, serial %x)", cert.SerialNumber)
}

// nameLabel quotes a distinguished name's CN, or the whole name if it has no CN.
func nameLabel(name pkix.Name) string {
	if name.CommonName != "" {
		return strconv.Quote(name.CommonName)
	}
	if s := name.String(); s != "" {
		return strconv.Quote(s)
	}
	return ""
}

func labels(certs []*x509.Certificate) string {
	names := make([]string, len(certs))
	for i, c := range certs {
		names[i] = label(c)
	}
	return strings.Join(names, ", ")
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func describeSANs(cert *x509.Certificate) string {
	var sans []string
	for _, n := range cert.DNSNames {
		sans = append(sans, "DNS:"+n)
	}
	for _, ip := range cert.IPAddresses {
		sans = append(sans, "IP:"+ip.String())
	}
	if len(sans) == 0 {
		return "none"
	}
	return strings.Join(sans, ", ")
}

func describeKey(pub crypto.PublicKey) string {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return fmt.Sprintf("RSA %d-bit", k.N.BitLen())
	case *ecdsa.PublicKey:
		return "ECDSA " + k.Curve.Params().Name
	case ed25519.PublicKey:
		return "Ed25519"
	default:
		return fmt.Sprintf("%T", pub)
	}
}

// allowsUsage follows crypto/x509: no extended key usages at all, or "any", allow every use.
func allowsUsage(usages []x509.ExtKeyUsage, usage x509.ExtKeyUsage) bool {
	return len(usages) == 0 || usage == x509.ExtKeyUsageAny ||
		slices.Contains(usages, usage) || slices.Contains(usages, x509.ExtKeyUsageAny)
}

func usageNames(usages []x509.ExtKeyUsage) string {
	names := make([]string, len(usages))
	for i, u := range usages {
		names[i] = usageName(u)
	}
	return strings.Join(names, ", ")
}
