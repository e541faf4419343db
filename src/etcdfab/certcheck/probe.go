// Package certcheck asks every member of a cluster which certificates it
// serves and which CAs it accepts, on etcd's client and peer ports and on
// consul's server RPC port, and tells whether the cluster runs what a
// rotation stage (or this instance's rendered templates) holds, so that an
// operator knows a stage took effect everywhere before starting the next.
//
// A TLS server that asks for a client certificate names the CAs it
// accepts (the certificate_authorities of its CertificateRequest); that is
// what etcd loaded from its CA bundle when it started, which is the point:
// etcd reads CA bundles only at start.
package certcheck

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"fmt"
	"net"
	"time"
)

// Port kinds.
const (
	Client = "client" // etcd's client port: the server certificate, CAs of clients
	Peer   = "peer"   // etcd's peer port: the peer certificate, CAs of peers
	Consul = "consul" // consul's server RPC port: its server certificate, CAs of agents
)

// consulRPCTLS is the first byte of a consul RPC connection that continues
// in TLS (consul's pool.RPCTLS).
const consulRPCTLS = 3

// Target is one port of one member to ask.
type Target struct {
	Kind    string
	Address string // host:port
	// Identity is presented when the server asks for a certificate; nil
	// presents none (the server's certificate and its acceptable CAs are
	// still seen before it refuses).
	Identity *tls.Certificate
}

// Served is what one port of a member showed.
type Served struct {
	Kind    string `json:"kind"`
	Address string `json:"address"`
	Error   string `json:"error,omitempty"`
	// The certificate served: its subject's common name, SHA-256
	// fingerprint, the CA that signed it (a label, see Label) and its expiry.
	Subject     string    `json:"subject,omitempty"`
	Fingerprint string    `json:"fingerprint,omitempty"`
	SignedBy    string    `json:"signed_by,omitempty"`
	NotAfter    time.Time `json:"not_after,omitzero"`
	// Accepts labels the CAs the server names in its certificate request.
	Accepts []string `json:"accepts"`
}

// Probe connects to t and reports what it serves and accepts; known are
// the CA certificates to recognise signers by.
func Probe(ctx context.Context, t Target, known []*x509.Certificate, timeout time.Duration) Served {
	out := Served{Kind: t.Kind, Address: t.Address, Accepts: []string{}}
	var served []*x509.Certificate
	var accepts [][]byte
	cfg := &tls.Config{
		// Nothing is trusted here: the point is to see what is served,
		// whoever signed it; the signer is found below.
		InsecureSkipVerify: true, //nolint:gosec
		MinVersion:         tls.VersionTLS12,
		VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
			for _, der := range raw {
				if c, err := x509.ParseCertificate(der); err == nil {
					served = append(served, c)
				}
			}
			return nil
		},
		GetClientCertificate: func(cri *tls.CertificateRequestInfo) (*tls.Certificate, error) {
			accepts = cri.AcceptableCAs
			if t.Identity != nil {
				return t.Identity, nil
			}
			return &tls.Certificate{}, nil
		},
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", t.Address)
	if err != nil {
		out.Error = err.Error()
		return out
	}
	defer conn.Close()
	if deadline, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(deadline)
	}
	if t.Kind == Consul {
		if _, err := conn.Write([]byte{consulRPCTLS}); err != nil {
			out.Error = err.Error()
			return out
		}
	}
	hsErr := tls.Client(conn, cfg).HandshakeContext(ctx)
	if len(served) == 0 {
		out.Error = fmt.Sprintf("no certificate served: %v", hsErr)
		return out
	}
	leaf := served[0]
	sum := sha256.Sum256(leaf.Raw)
	out.Subject = dnName(leaf.RawSubject)
	out.Fingerprint = hex.EncodeToString(sum[:])
	out.NotAfter = leaf.NotAfter
	out.SignedBy = signer(leaf, served[1:], known)
	for _, dn := range accepts {
		out.Accepts = append(out.Accepts, DNLabel(dn))
	}
	return out
}

// signer labels the CA among known (or the intermediates served) whose
// key signed leaf; one not known is labelled by the issuer's name and
// "(not known)".
func signer(leaf *x509.Certificate, chain, known []*x509.Certificate) string {
	for _, ca := range append(append([]*x509.Certificate{}, known...), chain...) {
		if leaf.CheckSignatureFrom(ca) == nil {
			return Label(ca)
		}
	}
	return DNLabel(leaf.RawIssuer) + " (not known)"
}

// Label names a CA certificate as its subject would be named in a list of
// acceptable CAs: the common name and a short hash of the whole subject,
// so two CAs called etcdCA are told apart (scripts/generate-certs puts a
// random serial number in each CA's subject).
func Label(cert *x509.Certificate) string { return DNLabel(cert.RawSubject) }

// DNLabel is Label for a DER-encoded distinguished name.
func DNLabel(der []byte) string {
	sum := sha256.Sum256(der)
	return fmt.Sprintf("%s [%s]", dnName(der), hex.EncodeToString(sum[:4]))
}

// dnName is a distinguished name's common name, or the whole name if it
// has none.
func dnName(der []byte) string {
	var rdn pkix.RDNSequence
	if rest, err := asn1.Unmarshal(der, &rdn); err != nil || len(rest) != 0 {
		return "(unreadable name)"
	}
	var n pkix.Name
	n.FillFromRDNSequence(&rdn)
	if n.CommonName != "" {
		return n.CommonName
	}
	return n.String()
}
