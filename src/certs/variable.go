package certs

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"slices"
	"time"
)

// What the bosh CLI does with a `certificate` variable, read from the
// config-server generator it vendors (types/certificate_generator.go), and
// matched here:
//   - alternative_names become the SANs, each an IP address if it parses as
//     one, otherwise a DNS name. common_name is NOT added to the SANs; it only
//     sets the subject CN.
//   - A certificate that is not a CA needs `ca`. extended_key_usage accepts
//     client_auth and server_auth; empty means server_auth alone.
//     Key usage is digital signature + key encipherment.
//   - is_ca: true gives key usage cert sign + CRL sign; alternative_names and
//     extended_key_usage are ignored. With `ca` it is an intermediate signed by
//     that CA, otherwise self-signed.
//   - The value's `ca` is the signing CA's certificate (for a root, itself;
//     older generators gave an intermediate its own certificate here).
//   - duration is in days, default 365. Serial numbers are random 128-bit.
//   - Option keys other than the documented ones are refused; that is for the
//     caller decoding the manifest (yaml.v3 Decoder.KnownFields).
//
//   - organization is the subject's O; key_length (2048, 3072 or 4096, others
//     refused) the RSA key's size.
//
// Deliberate differences: NotBefore is a minute in the past (the bosh CLI uses
// now), without organization the subject holds only the CN (the bosh CLI adds
// O=Cloud Foundry and C=US), and without key_length keys are RSA
// DefaultRSABits (current bosh CLI: 3072) or, issued by a CA, of the CA's kind.

// VariableOptions are the options of a manifest `certificate` variable.
type VariableOptions struct {
	IsCA bool `yaml:"is_ca" json:"is_ca"`
	// CA names the signing CA variable; the caller resolves it to an Authority.
	CA               string   `yaml:"ca" json:"ca"`
	CommonName       string   `yaml:"common_name" json:"common_name"`
	AlternativeNames []string `yaml:"alternative_names" json:"alternative_names"`
	ExtendedKeyUsage []string `yaml:"extended_key_usage" json:"extended_key_usage"`
	// Duration is the validity in days; zero means 365.
	Duration int `yaml:"duration" json:"duration"`
	// Organization is the subject's O; empty gives none.
	Organization string `yaml:"organization" json:"organization"`
	// KeyLength is the RSA key size: one of ValidKeyLengths, zero for the default.
	KeyLength int `yaml:"key_length" json:"key_length"`
}

// ValidKeyLengths are the key_length values the bosh CLI accepts.
var ValidKeyLengths = []int{2048, 3072, 4096}

// Value is a `certificate` variable's value: PEM strings as the bosh CLI stores them.
type Value struct {
	CA          string `yaml:"ca" json:"ca"`
	Certificate string `yaml:"certificate" json:"certificate"`
	PrivateKey  string `yaml:"private_key" json:"private_key"`
}

// ErrUnknownExtKeyUsage is returned for an extended_key_usage other than client_auth or server_auth.
var ErrUnknownExtKeyUsage = errors.New("unknown extended_key_usage")

// ParseExtKeyUsage maps a manifest extended_key_usage value to its x509 form.
func ParseExtKeyUsage(name string) (x509.ExtKeyUsage, error) {
	switch name {
	case "client_auth":
		return x509.ExtKeyUsageClientAuth, nil
	case "server_auth":
		return x509.ExtKeyUsageServerAuth, nil
	}
	return 0, fmt.Errorf("%w %q: accepted values are client_auth and server_auth", ErrUnknownExtKeyUsage, name)
}

func usageName(u x509.ExtKeyUsage) string {
	switch u {
	case x509.ExtKeyUsageClientAuth:
		return "client_auth"
	case x509.ExtKeyUsageServerAuth:
		return "server_auth"
	case x509.ExtKeyUsageAny:
		return "any"
	}
	return fmt.Sprintf("extended key usage %d", u)
}

// GenerateVariable makes a `certificate` variable's value. ca is the Authority
// the caller resolved from opts.CA, nil when opts.CA is empty. keyOpts choose
// the key kind of a root CA; certificates issued by ca get keys like ca's.
func GenerateVariable(opts VariableOptions, ca *Authority, keyOpts ...Option) (Value, error) {
	if opts.CA != "" && ca == nil {
		return Value{}, fmt.Errorf("option ca names %q but no CA was passed; generate or load that variable first", opts.CA)
	}
	if opts.CA == "" && ca != nil {
		return Value{}, fmt.Errorf("a signing CA %s was passed but option ca is empty; name the CA variable in option ca", label(ca.Certificate))
	}
	if !opts.IsCA && ca == nil {
		return Value{}, errors.New("option ca is required for a certificate that is not a CA (is_ca: false)")
	}
	if opts.Duration < 0 {
		return Value{}, fmt.Errorf("option duration is %d; give a positive number of days, or omit it for 365", opts.Duration)
	}
	if opts.KeyLength != 0 && !slices.Contains(ValidKeyLengths, opts.KeyLength) {
		return Value{}, fmt.Errorf("Invalid key_length: %d.  Must be one of: %v", opts.KeyLength, ValidKeyLengths)
	}
	req, err := opts.request(time.Now())
	if err != nil {
		return Value{}, err
	}
	if ca == nil {
		rootOpts := slices.Concat(keyOpts, []Option{WithValidity(req.NotBefore, req.NotAfter), WithSubject(req.Subject)})
		if opts.KeyLength != 0 {
			rootOpts = append(rootOpts, WithRSABits(opts.KeyLength))
		}
		root, err := NewAuthority(opts.CommonName, rootOpts...)
		if err != nil {
			return Value{}, err
		}
		return Value{CA: string(root.CertificatePEM), Certificate: string(root.CertificatePEM), PrivateKey: string(root.PrivateKeyPEM)}, nil
	}
	kp, err := ca.Issue(req)
	if err != nil {
		return Value{}, err
	}
	return Value{CA: string(ca.CertificatePEM), Certificate: string(kp.CertificatePEM), PrivateKey: string(kp.PrivateKeyPEM)}, nil
}

// request translates the options to a Request the way the bosh CLI reads them.
func (o VariableOptions) request(now time.Time) (Request, error) {
	days := o.Duration
	if days == 0 {
		days = 365
	}
	req := Request{
		CommonName: o.CommonName,
		IsCA:       o.IsCA,
		NotBefore:  now.Add(-backdate),
		NotAfter:   now.Add(time.Duration(days) * 24 * time.Hour),
		RSABits:    o.KeyLength,
	}
	if o.Organization != "" {
		req.Subject = pkix.Name{Organization: []string{o.Organization}}
	}
	if o.IsCA {
		return req, nil
	}
	req.AlternativeNames = o.AlternativeNames
	req.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	if len(o.ExtendedKeyUsage) > 0 {
		req.ExtKeyUsage = nil
		for _, name := range o.ExtendedKeyUsage {
			usage, err := ParseExtKeyUsage(name)
			if err != nil {
				return Request{}, err
			}
			req.ExtKeyUsage = append(req.ExtKeyUsage, usage)
		}
	}
	return req, nil
}
