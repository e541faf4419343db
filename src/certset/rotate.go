package certset

import (
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cloudfoundry-incubator/etcd-release/src/certs"
)

// Stage is one deploy of a rotation.
type Stage struct {
	Number  int
	File    string // the vars file's name
	Summary string
	Set     Set
}

// Rotate makes the three stages that move a deployment from current to
// next without a moment in which two members, or a member and a client,
// distrust each other:
//
//  1. every CA bundle holds the current and the next CA; certificates stay;
//  2. the server, client and peer certificates and keys become next's;
//  3. the bundles hold the next CAs only.
//
// etcd reads CA bundles only when it starts, so each stage is a rolling
// deploy, and members of two consecutive stages meet while it rolls: each
// stage is checked against the one before it (every certificate either
// presents must chain to the CAs both accept). Inputs that would break a
// stage are refused with what to fix. CA private keys are left out of the
// stages: deploys need only the CA certificates. notes says what was kept
// as it was.
func Rotate(current, next Set, now time.Time) (stages []Stage, notes []string, err error) {
	if err := checkInputs(current, next, now); err != nil {
		return nil, nil, err
	}
	one, two, three := Set{Certs: map[string]Cert{}}, Set{Certs: map[string]Cert{}}, Set{Certs: map[string]Cert{}}
	for _, f := range Families {
		oldCA, newCA := pemText(current.Certs[f.CA].Certificate), pemText(next.Certs[f.CA].Certificate)
		bundle := oldCA + newCA
		if oldCA == newCA {
			bundle = oldCA
			notes = append(notes, fmt.Sprintf("%s is the same in both sets: only its certificates change", f.CA))
		}
		one.Certs[f.CA] = Cert{CA: bundle, Certificate: bundle}
		two.Certs[f.CA] = Cert{CA: bundle, Certificate: bundle}
		three.Certs[f.CA] = Cert{CA: newCA, Certificate: newCA}
		for _, leaf := range f.Leaves {
			cur, nxt := current.Certs[leaf], next.Certs[leaf]
			one.Certs[leaf] = Cert{CA: bundle, Certificate: cur.Certificate, PrivateKey: cur.PrivateKey}
			two.Certs[leaf] = Cert{CA: bundle, Certificate: nxt.Certificate, PrivateKey: nxt.PrivateKey}
			three.Certs[leaf] = Cert{CA: newCA, Certificate: nxt.Certificate, PrivateKey: nxt.PrivateKey}
		}
	}
	// Gossip keys rotate on their own (consul.encrypt_keys takes several).
	one.EncryptKey, two.EncryptKey, three.EncryptKey = current.EncryptKey, current.EncryptKey, current.EncryptKey
	if next.EncryptKey != "" && next.EncryptKey != current.EncryptKey {
		notes = append(notes, "consul_encrypt_key is kept as it is: gossip keys rotate through consul.encrypt_keys (add the new key second, move it first, remove the old one)")
	}
	stages = []Stage{
		{1, "stage-1.yml", "add the next CAs to every CA bundle; certificates stay", one},
		{2, "stage-2.yml", "swap the server, client and peer certificates and keys for the next ones", two},
		{3, "stage-3.yml", "remove the current CAs from the bundles", three},
	}
	prev := current
	for _, s := range stages {
		if err := Compatible(prev, s.Set, now); err != nil {
			return nil, nil, fmt.Errorf("stage %d would break the cluster while it rolls: %w", s.Number, err)
		}
		prev = s.Set
	}
	return stages, notes, nil
}

// checkInputs refuses sets a rotation cannot start from or go to, with
// messages naming the variable.
func checkInputs(current, next Set, now time.Time) error {
	var errs []error
	for _, f := range Families {
		curCA, err := singleCA("current", f, current)
		errs = append(errs, err)
		nextCA, err := singleCA("next", f, next)
		errs = append(errs, err)
		for _, leaf := range f.Leaves {
			if curCA != nil {
				errs = append(errs, checkLeaf("current", leaf, current.Certs[leaf], curCA, now))
			}
			if nextCA == nil {
				continue
			}
			err := checkLeaf("next", leaf, next.Certs[leaf], nextCA, now)
			if err != nil && curCA != nil && checkLeaf("next", leaf, next.Certs[leaf], curCA, now) == nil {
				err = fmt.Errorf("next %s is signed by the current %s, which stage 3 removes; issue it from the next %s", leaf, f.CA, f.CA)
			}
			errs = append(errs, err, coversSame(leaf, current.Certs[leaf], next.Certs[leaf]))
		}
	}
	return errors.Join(errs...)
}

func singleCA(which string, f Family, s Set) (*x509.Certificate, error) {
	p, err := parse(f.CA, s.Certs[f.CA], false)
	if err != nil {
		return nil, fmt.Errorf("%s %w", which, err)
	}
	if len(p.certs) != 1 {
		return nil, fmt.Errorf("%s %s holds %d certificates: a rotation is under way; finish it (deploy its stage 3) and start from that set", which, f.CA, len(p.certs))
	}
	if !p.certs[0].IsCA {
		return nil, fmt.Errorf("%s %s is not a CA certificate (basic constraints CA:FALSE)", which, f.CA)
	}
	return p.certs[0], nil
}

func checkLeaf(which, name string, c Cert, ca *x509.Certificate, now time.Time) error {
	p, err := parse(name, c, true)
	if err != nil {
		return fmt.Errorf("%s %w", which, err)
	}
	for _, usage := range usages[name] {
		if err := certs.VerifyChain(p.certs, []*x509.Certificate{ca}, usage, now); err != nil {
			return fmt.Errorf("%s %s is not signed for its use by the %s CA: %w", which, name, which, err)
		}
	}
	return nil
}

// coversSame checks that the next certificate covers every DNS name the
// current one does (a wildcard by a name under it): members advertise them.
func coversSame(name string, cur, next Cert) error {
	curCert, err1 := certs.ParseCertificates([]byte(cur.Certificate))
	nextCert, err2 := certs.ParseCertificates([]byte(next.Certificate))
	if err1 != nil || err2 != nil {
		return nil // reported by checkLeaf
	}
	var errs []error
	for _, dns := range curCert[0].DNSNames {
		probe := dns
		if rest, ok := strings.CutPrefix(dns, "*."); ok {
			probe = "member-0." + rest
		}
		if err := certs.CoversName(nextCert[0], probe); err != nil {
			errs = append(errs, fmt.Errorf("next %s does not cover %s, which the current one does: %w", name, dns, err))
		}
	}
	return errors.Join(errs...)
}

// Compatible checks that members deployed with a and members deployed
// with b can talk while a rolling deploy moves from a to b: every leaf of
// either set chains, for its uses, to its family's CA bundle in both sets,
// its key matches, and it is valid at now.
func Compatible(a, b Set, now time.Time) error {
	var errs []error
	for _, f := range Families {
		for _, bundleSet := range []struct {
			which string
			set   Set
		}{{"before", a}, {"after", b}} {
			roots, err := certs.ParseCertificates([]byte(bundleSet.set.Certs[f.CA].Certificate))
			if err != nil {
				errs = append(errs, fmt.Errorf("%s (%s) %s: %w", f.CA, f.Property, bundleSet.which, err))
				continue
			}
			for _, leafSet := range []struct {
				which string
				set   Set
			}{{"before", a}, {"after", b}} {
				for _, leaf := range f.Leaves {
					p, err := parse(leaf, leafSet.set.Certs[leaf], true)
					if err != nil {
						errs = append(errs, fmt.Errorf("%s %w", leafSet.which, err))
						continue
					}
					for _, usage := range usages[leaf] {
						if err := certs.VerifyChain(p.certs, roots, usage, now); err != nil {
							errs = append(errs, fmt.Errorf("%s %s is not trusted by %s %s (%s): %w", leafSet.which, leaf, bundleSet.which, f.CA, f.Property, err))
							break
						}
					}
				}
			}
		}
	}
	return errors.Join(dedupe(errs)...)
}

func dedupe(errs []error) []error {
	seen := map[string]bool{}
	var out []error
	for _, err := range errs {
		if err != nil && !seen[err.Error()] {
			seen[err.Error()] = true
			out = append(out, err)
		}
	}
	return out
}

// pemText ends PEM text with exactly one newline, so bundles concatenate.
func pemText(s string) string { return strings.TrimSpace(s) + "\n" }
