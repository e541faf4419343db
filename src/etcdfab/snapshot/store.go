package snapshot

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// Store holds snapshot objects under flat names.
type Store interface {
	// Put writes the object name from r, replacing it only once r is read
	// to its end without error.
	Put(ctx context.Context, name string, r io.Reader) error
	Get(ctx context.Context, name string) (io.ReadCloser, error)
	// List names the objects, sorted.
	List(ctx context.Context) ([]string, error)
	Delete(ctx context.Context, name string) error
	// String is the destination, without credentials, for messages.
	String() string
}

// S3Options configure an s3:// destination.
type S3Options struct {
	// Endpoint is the S3 server, as host[:port] (HTTPS) or an http:// or
	// https:// URL; empty is AWS S3 (s3.amazonaws.com).
	Endpoint        string
	Region          string
	AccessKeyID     string
	SecretAccessKey string
	// CACert is a PEM bundle trusted for the endpoint, added to the
	// system's roots.
	CACert string
	// PathStyle addresses buckets as endpoint/bucket rather than
	// bucket.endpoint (most S3-compatible servers need it).
	PathStyle bool
}

// Open returns the store for a destination: file:///absolute/dir or
// s3://bucket[/prefix].
func Open(destination string, s3 S3Options) (Store, error) {
	u, err := url.Parse(destination)
	if err != nil {
		return nil, fmt.Errorf("snapshot destination %q: %w", destination, err)
	}
	switch u.Scheme {
	case "file":
		if u.Host != "" || !filepath.IsAbs(u.Path) {
			return nil, fmt.Errorf("snapshot destination %q: a file destination is file:///absolute/dir (three slashes)", destination)
		}
		return &fileStore{dir: filepath.Clean(u.Path)}, nil
	case "s3":
		return openS3(u, s3)
	default:
		return nil, fmt.Errorf("snapshot destination %q: the scheme must be file:// or s3://", destination)
	}
}

type fileStore struct{ dir string }

func (f *fileStore) String() string { return "file://" + f.dir }

func (f *fileStore) path(name string) (string, error) {
	if name == "" || strings.ContainsAny(name, "/\\") || strings.HasPrefix(name, ".") {
		return "", fmt.Errorf("snapshot object name %q is not a plain file name", name)
	}
	return filepath.Join(f.dir, name), nil
}

func (f *fileStore) Put(ctx context.Context, name string, r io.Reader) error {
	dst, err := f.path(name)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(f.dir, 0o700); err != nil {
		return fmt.Errorf("snapshot destination %s: %w", f, err)
	}
	nonce := make([]byte, 6)
	_, _ = rand.Read(nonce)
	tmp := filepath.Join(f.dir, "."+name+".partial-"+hex.EncodeToString(nonce))
	out, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("snapshot destination %s: %w", f, err)
	}
	_, err = io.Copy(out, r)
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, dst)
	}
	if err != nil {
		_ = os.Remove(tmp) // the unfinished copy written here
		return fmt.Errorf("writing %s to %s: %w", name, f, err)
	}
	return nil
}

func (f *fileStore) Get(_ context.Context, name string) (io.ReadCloser, error) {
	p, err := f.path(name)
	if err != nil {
		return nil, err
	}
	return os.Open(p)
}

func (f *fileStore) List(context.Context) ([]string, error) {
	entries, err := os.ReadDir(f.dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("listing snapshot destination %s: %w", f, err)
	}
	var names []string
	for _, e := range entries {
		if e.Type().IsRegular() && !strings.HasPrefix(e.Name(), ".") {
			names = append(names, e.Name())
		}
	}
	return names, nil
}

func (f *fileStore) Delete(_ context.Context, name string) error {
	p, err := f.path(name)
	if err != nil {
		return err
	}
	return os.Remove(p)
}

type s3Store struct {
	client         *minio.Client
	bucket, prefix string
	endpoint       string
}

func openS3(u *url.URL, o S3Options) (Store, error) {
	if u.Host == "" {
		return nil, fmt.Errorf("snapshot destination %q: an s3 destination is s3://bucket[/prefix]", u.String())
	}
	endpoint, secure := "s3.amazonaws.com", true
	if o.Endpoint != "" {
		endpoint = o.Endpoint
		if e, err := url.Parse(o.Endpoint); err == nil && (e.Scheme == "http" || e.Scheme == "https") {
			endpoint, secure = e.Host, e.Scheme == "https"
		}
	}
	transport, err := minio.DefaultTransport(secure)
	if err != nil {
		return nil, err
	}
	if o.CACert != "" {
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM([]byte(o.CACert)) {
			return nil, errors.New("the S3 CA certificate (etcd.snapshots.s3.ca_cert) holds no PEM certificate")
		}
		transport.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	lookup := minio.BucketLookupAuto
	if o.PathStyle {
		lookup = minio.BucketLookupPath
	}
	client, err := minio.New(endpoint, &minio.Options{
		Creds:        credentials.NewStaticV4(o.AccessKeyID, o.SecretAccessKey, ""),
		Secure:       secure,
		Region:       o.Region,
		BucketLookup: lookup,
		Transport:    http.RoundTripper(transport),
	})
	if err != nil {
		return nil, fmt.Errorf("S3 endpoint %q (etcd.snapshots.s3.endpoint): %w", o.Endpoint, err)
	}
	prefix := strings.Trim(u.Path, "/")
	if prefix != "" {
		prefix += "/"
	}
	scheme := "https://"
	if !secure {
		scheme = "http://"
	}
	return &s3Store{client: client, bucket: u.Host, prefix: prefix, endpoint: scheme + endpoint}, nil
}

func (s *s3Store) String() string {
	return "s3://" + path.Join(s.bucket, s.prefix) + " at " + s.endpoint
}

func (s *s3Store) Put(ctx context.Context, name string, r io.Reader) error {
	// Unknown size: a multipart upload that S3 completes only when every
	// part arrived, so an interrupted upload leaves no object.
	_, err := s.client.PutObject(ctx, s.bucket, s.prefix+name, r, -1, minio.PutObjectOptions{PartSize: 16 << 20, ContentType: "application/octet-stream"})
	if err != nil {
		return fmt.Errorf("uploading %s to %s: %w", name, s, err)
	}
	return nil
}

func (s *s3Store) Get(ctx context.Context, name string) (io.ReadCloser, error) {
	obj, err := s.client.GetObject(ctx, s.bucket, s.prefix+name, minio.GetObjectOptions{})
	if err != nil {
		return nil, fmt.Errorf("downloading %s from %s: %w", name, s, err)
	}
	if _, err := obj.Stat(); err != nil {
		obj.Close()
		return nil, fmt.Errorf("downloading %s from %s: %w", name, s, err)
	}
	return obj, nil
}

func (s *s3Store) List(ctx context.Context) ([]string, error) {
	var names []string
	for obj := range s.client.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: s.prefix}) {
		if obj.Err != nil {
			return nil, fmt.Errorf("listing %s: %w", s, obj.Err)
		}
		name := strings.TrimPrefix(obj.Key, s.prefix)
		if name != "" && !strings.Contains(name, "/") {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names, nil
}

func (s *s3Store) Delete(ctx context.Context, name string) error {
	if err := s.client.RemoveObject(ctx, s.bucket, s.prefix+name, minio.RemoveObjectOptions{}); err != nil {
		return fmt.Errorf("deleting %s from %s: %w", name, s, err)
	}
	return nil
}
