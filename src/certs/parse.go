package certs

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
)

var (
	// ErrEmpty is returned for input holding nothing but whitespace.
	ErrEmpty = errors.New("no PEM data: the value is empty")
	// ErrEncryptedKey is returned for passphrase-protected private keys, which etcd cannot use.
	ErrEncryptedKey = errors.New("private key is encrypted")
)

var beginMarker = []byte("-----BEGIN ")

// pemBlock is a decoded block and the line its BEGIN marker is on, for messages.
type pemBlock struct {
	*pem.Block
	line int
}

// decodePEM splits data into PEM blocks. Unlike pem.Decode, which skips any
// text it does not understand, it refuses everything but whitespace outside the
// blocks: stray text there is usually a truncated or mangled block (a bundle
// whose second certificate lost its END line), which Go's TLS stack and etcd
// would silently ignore.
func decodePEM(data []byte) ([]pemBlock, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, ErrEmpty
	}
	var blocks []pemBlock
	line := 1
	rest := data
	for {
		trimmed := bytes.TrimLeft(rest, " \t\r\n")
		line += bytes.Count(rest[:len(rest)-len(trimmed)], []byte("\n"))
		if len(trimmed) == 0 {
			return blocks, nil
		}
		if !bytes.HasPrefix(trimmed, beginMarker) {
			return nil, fmt.Errorf("unexpected text at line %d where a -----BEGIN ...----- line or the end was expected; remove anything outside the PEM blocks", line)
		}
		block, after := pem.Decode(trimmed)
		consumed := len(trimmed) - len(after)
		// pem.Decode skips a broken block and returns the next good one; a
		// block that reaches past the next BEGIN marker means that happened.
		next := bytes.Index(trimmed[len(beginMarker):], beginMarker)
		if block == nil || (next >= 0 && consumed > next+len(beginMarker)) {
			return nil, fmt.Errorf("malformed PEM block at line %d: its -----END ...----- line is missing or does not match, or its base64 is invalid; the value may be truncated", line)
		}
		blocks = append(blocks, pemBlock{Block: block, line: line})
		line += bytes.Count(trimmed[:consumed], []byte("\n"))
		rest = after
	}
}

// ParseCertificates reads one or more CERTIFICATE blocks, such as a CA bundle
// holding the old and new CA during rotation, or a leaf followed by intermediates.
func ParseCertificates(data []byte) ([]*x509.Certificate, error) {
	blocks, err := decodePEM(data)
	if err != nil {
		return nil, err
	}
	certs := make([]*x509.Certificate, 0, len(blocks))
	for i, b := range blocks {
		if b.Type != "CERTIFICATE" {
			hint := ""
			if strings.HasSuffix(b.Type, "PRIVATE KEY") {
				hint = "; a private key belongs in its own property, not among certificates"
			}
			return nil, fmt.Errorf("PEM block %d (line %d) is %q, expected CERTIFICATE%s", i+1, b.line, b.Type, hint)
		}
		cert, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parsing certificate %d (line %d): %w", i+1, b.line, err)
		}
		certs = append(certs, cert)
	}
	return certs, nil
}

// ParseCertificate reads exactly one certificate.
func ParseCertificate(data []byte) (*x509.Certificate, error) {
	certs, err := ParseCertificates(data)
	if err != nil {
		return nil, err
	}
	if len(certs) != 1 {
		return nil, fmt.Errorf("expected exactly one certificate, found %d", len(certs))
	}
	return certs[0], nil
}

// ParsePrivateKey reads one unencrypted private key: PKCS#1 "RSA PRIVATE KEY",
// SEC1 "EC PRIVATE KEY" (an "EC PARAMETERS" block before it, as `openssl
// ecparam -genkey` writes, is allowed) or PKCS#8 "PRIVATE KEY" holding an RSA,
// ECDSA or Ed25519 key. Messages never quote the key material.
func ParsePrivateKey(data []byte) (crypto.Signer, error) {
	blocks, err := decodePEM(data)
	if err != nil {
		return nil, err
	}
	var keys []pemBlock
	for _, b := range blocks {
		if b.Type != "EC PARAMETERS" {
			keys = append(keys, b)
		}
	}
	if len(keys) != 1 {
		return nil, fmt.Errorf("expected exactly one private key PEM block, found %d", len(keys))
	}
	b := keys[0]
	if b.Type == "ENCRYPTED PRIVATE KEY" || strings.Contains(b.Headers["Proc-Type"], "ENCRYPTED") {
		return nil, fmt.Errorf("%w (%q block at line %d): etcd cannot read a passphrase; write it unencrypted, for example with `openssl pkey -in encrypted.pem -out key.pem`", ErrEncryptedKey, b.Type, b.line)
	}
	var key any
	switch b.Type {
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(b.Bytes)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(b.Bytes)
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(b.Bytes)
	default:
		return nil, fmt.Errorf("PEM block at line %d is %q, expected a private key (RSA PRIVATE KEY, EC PRIVATE KEY or PRIVATE KEY)", b.line, b.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("parsing %q block at line %d: %w", b.Type, b.line, err)
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("%q block at line %d holds a %T, which cannot sign; use an RSA, ECDSA or Ed25519 key", b.Type, b.line, key)
	}
	return signer, nil
}
