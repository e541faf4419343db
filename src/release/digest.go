package release

import (
	"crypto/sha1" //nolint:gosec // BOSH still writes legacy SHA-1 digests; reading them is compatibility, not security
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"strings"
)

// ErrDigestMismatch is returned when a file or archive does not have the
// digest its manifest, index or blobs.yml records.
var ErrDigestMismatch = errors.New("digest mismatch")

const sha256Prefix = "sha256:"

// digestString is the BOSH digest string of s: "sha256:<hex>".
func digestString(s string) string {
	sum := sha256.Sum256([]byte(s))
	return sha256Prefix + hex.EncodeToString(sum[:])
}

// fileDigest streams the file at path through SHA-256.
func fileDigest(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("reading %s: %w", path, err)
	}
	return sha256Prefix + hex.EncodeToString(h.Sum(nil)), nil
}

// digester hashes one stream with every algorithm a BOSH digest string may
// name, so a single pass can be checked against whatever was recorded.
type digester struct {
	sha1   hash.Hash
	sha256 hash.Hash
}

func newDigester() *digester {
	return &digester{sha1: sha1.New(), sha256: sha256.New()} //nolint:gosec // see import
}

func (d *digester) Write(p []byte) (int, error) {
	d.sha1.Write(p)
	d.sha256.Write(p)
	return len(p), nil
}

// sha256String is the digest string BOSH writes today.
func (d *digester) sha256String() string {
	return sha256Prefix + hex.EncodeToString(d.sha256.Sum(nil))
}

// check compares the hashed bytes with want: "sha256:<hex>", "sha1:<hex>",
// a bare 40-hex SHA-1 (releases from older CLIs), or several joined by ";".
// Every digest named must match.
func (d *digester) check(want string) error {
	if strings.TrimSpace(want) == "" {
		return fmt.Errorf("no digest recorded")
	}
	for _, one := range strings.Split(want, ";") {
		algo, sum, found := strings.Cut(strings.TrimSpace(one), ":")
		if !found {
			algo, sum = "sha1", algo
		}
		var got string
		switch algo {
		case "sha1":
			got = hex.EncodeToString(d.sha1.Sum(nil))
		case "sha256":
			got = hex.EncodeToString(d.sha256.Sum(nil))
		default:
			return fmt.Errorf("digest %q uses algorithm %q; only sha1 and sha256 are supported", want, algo)
		}
		if !strings.EqualFold(got, sum) {
			return fmt.Errorf("%w: recorded %s, actual %s:%s", ErrDigestMismatch, one, algo, got)
		}
	}
	return nil
}

// checkFileDigest streams path once and compares it with want (see digester.check).
func checkFileDigest(path, want string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	d := newDigester()
	if _, err := io.Copy(d, f); err != nil {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	return d.check(want)
}
