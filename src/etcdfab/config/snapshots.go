package config

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	neturl "net/url"
	"path/filepath"
	"strings"
	"time"
)

// Snapshots are the etcd.snapshots.* properties: periodic snapshots taken
// by the leader to a destination, and the automatic restore from them
// after a total loss. An empty Destination turns both off.
type Snapshots struct {
	Destination   string `json:"destination"`
	Interval      string `json:"interval"`
	Retention     int    `json:"retention"`
	Gzip          bool   `json:"gzip"`
	EncryptionKey string `json:"encryption_key"`
	S3            S3     `json:"s3"`
}

// S3 are the etcd.snapshots.s3.* properties.
type S3 struct {
	Endpoint        string `json:"endpoint"`
	Region          string `json:"region"`
	AccessKeyID     string `json:"access_key_id"`
	SecretAccessKey string `json:"secret_access_key"`
	CACert          string `json:"ca_cert"`
	PathStyle       bool   `json:"path_style"`
}

// Enabled: a destination is configured.
func (s Snapshots) Enabled() bool { return s.Destination != "" }

// IntervalDuration is etcd.snapshots.interval, parsed (0 when invalid,
// which validation reports).
func (s Snapshots) IntervalDuration() time.Duration {
	d, _ := time.ParseDuration(s.Interval)
	return d
}

// Key is etcd.snapshots.encryption_key decoded, nil when it is empty.
func (s Snapshots) Key() ([]byte, error) {
	if strings.TrimSpace(s.EncryptionKey) == "" {
		return nil, nil
	}
	return ParseKey(s.EncryptionKey)
}

// keySize: AES-256.
const keySize = 32

// ParseKey reads an encryption key: 32 bytes, base64 (standard or URL
// alphabet, padded or not) or 64 hexadecimal characters.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if len(s) == 2*keySize {
		if k, err := hex.DecodeString(s); err == nil {
			return k, nil
		}
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if k, err := enc.DecodeString(s); err == nil {
			if len(k) != keySize {
				return nil, fmt.Errorf("the key is %d bytes; it must be 32 bytes, base64 or hex encoded (make one with `openssl rand -base64 32`)", len(k))
			}
			return k, nil
		}
	}
	return nil, errors.New("the key is neither base64 nor 64 hex characters; it must be 32 bytes, base64 or hex encoded (make one with `openssl rand -base64 32`)")
}

// validate reports what is wrong with the etcd.snapshots.* properties.
func (s Snapshots) validate() []error {
	if !s.Enabled() {
		return nil
	}
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	u, err := neturl.Parse(s.Destination)
	switch {
	case err != nil:
		add("etcd.snapshots.destination %q does not parse: %v; give file:///absolute/dir or s3://bucket/prefix", s.Destination, err)
	case u.Scheme == "file":
		if u.Host != "" || !filepath.IsAbs(u.Path) {
			add("etcd.snapshots.destination %q: a file destination is file:///absolute/dir (three slashes)", s.Destination)
		}
	case u.Scheme == "s3":
		if u.Host == "" {
			add("etcd.snapshots.destination %q: an s3 destination is s3://bucket[/prefix]", s.Destination)
		}
		if (s.S3.AccessKeyID == "") != (s.S3.SecretAccessKey == "") {
			add("etcd.snapshots.s3.access_key_id and etcd.snapshots.s3.secret_access_key must be set together")
		}
		if s.S3.Endpoint != "" {
			if e, err := neturl.Parse(s.S3.Endpoint); err == nil && e.Scheme != "" && e.Scheme != "http" && e.Scheme != "https" && e.Opaque == "" {
				add("etcd.snapshots.s3.endpoint %q: give host[:port] or an http:// or https:// URL", s.S3.Endpoint)
			}
		}
		if s.S3.CACert != "" && !strings.Contains(s.S3.CACert, "-----BEGIN CERTIFICATE-----") {
			add("etcd.snapshots.s3.ca_cert holds no PEM certificate")
		}
	default:
		add("etcd.snapshots.destination %q: the scheme must be file:// or s3://", s.Destination)
	}
	if d, err := time.ParseDuration(s.Interval); err != nil || d < time.Second {
		add("etcd.snapshots.interval %q must be a duration of at least 1s, such as 1h or 30m", s.Interval)
	}
	if s.Retention < 1 {
		add("etcd.snapshots.retention is %d; keep at least 1 snapshot", s.Retention)
	}
	if _, err := s.Key(); err != nil {
		add("etcd.snapshots.encryption_key: %v", err)
	}
	return errs
}
