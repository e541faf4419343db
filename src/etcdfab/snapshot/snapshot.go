// Package snapshot saves etcd snapshots to a destination (file:///dir or
// s3://bucket/prefix, behind the Store interface), lists them, fetches one
// back to a plain etcd snapshot file, and prunes old ones.
//
// Each snapshot is two objects: the data, etcd-snapshot-<time>.db with .gz
// when gzipped and .enc when encrypted (gzip first, then encryption), and
// etcd-snapshot-<time>.json, its metadata: when it was taken, etcd's
// revision and cluster ID, the stored object's size and sha256, and how it
// is encoded. The metadata is written last, so a snapshot whose upload did
// not finish has none and is not listed. Fetch checks the sha256 of what it
// downloaded before it decrypts or decompresses anything; encryption is
// AES-256-GCM in authenticated chunks (see crypt.go), so a wrong key or a
// changed byte is refused, and the plain file keeps etcd's own trailing
// sha256, which restore checks again.
package snapshot

import (
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// Metadata describes one snapshot; it is stored as <Name>.json.
type Metadata struct {
	Name        string    `json:"name"`
	Object      string    `json:"object"`
	Created     time.Time `json:"created"`
	Revision    int64     `json:"revision"`
	ClusterID   string    `json:"cluster_id"`
	Member      string    `json:"member"`
	EtcdVersion string    `json:"etcd_version"`
	// Size and SHA256 are of the stored object, as uploaded.
	Size      int64  `json:"size"`
	SHA256    string `json:"sha256"`
	Gzip      bool   `json:"gzip"`
	Encrypted bool   `json:"encrypted"`
}

// Age is how old the snapshot is at now.
func (m Metadata) Age(now time.Time) time.Duration { return now.Sub(m.Created).Round(time.Second) }

const (
	namePrefix = "etcd-snapshot-"
	metaSuffix = ".json"
	timeLayout = "20060102T150405.000Z"
)

// Source is what Save needs of etcd: its status (revision, cluster ID) and
// the snapshot stream. A *clientv3.Client is one.
type Source interface {
	Status(ctx context.Context, endpoint string) (*clientv3.StatusResponse, error)
	Snapshot(ctx context.Context) (io.ReadCloser, error)
}

// SaveOptions say how to encode a snapshot.
type SaveOptions struct {
	Gzip bool
	// Key, when set (32 bytes, config.ParseKey reads them), encrypts the snapshot.
	Key []byte
	// Member names who took it, for the metadata.
	Member string
	Now    func() time.Time
}

// Save streams a snapshot of the member at endpoint into store. The
// revision recorded is the member's just before the snapshot began (the
// snapshot holds at least that).
func Save(ctx context.Context, src Source, endpoint string, store Store, o SaveOptions) (Metadata, error) {
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	st, err := src.Status(ctx, endpoint)
	if err != nil {
		return Metadata{}, fmt.Errorf("snapshot: status of %s: %w", endpoint, err)
	}
	created := now().UTC()
	m := Metadata{Name: namePrefix + created.Format(timeLayout), Created: created, Revision: st.Header.Revision,
		ClusterID: fmt.Sprintf("%x", st.Header.ClusterId), Member: o.Member, EtcdVersion: st.Version,
		Gzip: o.Gzip, Encrypted: len(o.Key) > 0}
	m.Object = m.Name + ".db"
	if m.Gzip {
		m.Object += ".gz"
	}
	if m.Encrypted {
		m.Object += ".enc"
	}
	stream, err := src.Snapshot(ctx)
	if err != nil {
		return Metadata{}, fmt.Errorf("snapshot: starting the snapshot of %s: %w", endpoint, err)
	}
	defer stream.Close()

	pr, pw := io.Pipe()
	sum := &counter{h: sha256.New()}
	// The sum sees every byte before the store does, and the store sees the
	// end only once encode returned.
	go func() { pw.CloseWithError(encode(io.MultiWriter(sum, pw), stream, o)) }()
	if err := store.Put(ctx, m.Object, pr); err != nil {
		pr.CloseWithError(err)
		return Metadata{}, fmt.Errorf("snapshot of %s: %w", endpoint, err)
	}
	m.Size, m.SHA256 = sum.n, hex.EncodeToString(sum.h.Sum(nil))
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return Metadata{}, err
	}
	if err := store.Put(ctx, m.Name+metaSuffix, strings.NewReader(string(data)+"\n")); err != nil {
		return Metadata{}, fmt.Errorf("snapshot of %s: writing its metadata: %w", endpoint, err)
	}
	return m, nil
}

// encode copies the snapshot stream to w, gzipped and encrypted as o says.
func encode(w io.Writer, stream io.Reader, o SaveOptions) error {
	var closers []io.Closer
	if len(o.Key) > 0 {
		e, err := newEncrypter(w, o.Key)
		if err != nil {
			return err
		}
		w = e
		closers = append(closers, e)
	}
	if o.Gzip {
		g := gzip.NewWriter(w)
		w = g
		closers = append(closers, g)
	}
	if _, err := io.Copy(w, stream); err != nil {
		return fmt.Errorf("reading the snapshot stream: %w", err)
	}
	for _, c := range slices.Backward(closers) {
		if err := c.Close(); err != nil {
			return err
		}
	}
	return nil
}

type counter struct {
	h hash.Hash
	n int64
}

func (c *counter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return c.h.Write(p)
}

// Listing is what a destination holds.
type Listing struct {
	// Snapshots whose metadata parses, newest first.
	Snapshots []Metadata
	// Broken names the metadata objects that do not parse or whose data
	// object is missing, with why.
	Broken []error
}

// List reads the metadata of every snapshot in store.
func List(ctx context.Context, store Store) (Listing, error) {
	names, err := store.List(ctx)
	if err != nil {
		return Listing{}, err
	}
	var l Listing
	for _, name := range names {
		if !strings.HasPrefix(name, namePrefix) || !strings.HasSuffix(name, metaSuffix) {
			continue
		}
		m, err := readMetadata(ctx, store, name)
		switch {
		case err != nil:
			l.Broken = append(l.Broken, fmt.Errorf("snapshot metadata %s in %s: %w", name, store, err))
		case !slices.Contains(names, m.Object):
			l.Broken = append(l.Broken, fmt.Errorf("snapshot %s in %s: its data object %s is missing", m.Name, store, m.Object))
		default:
			l.Snapshots = append(l.Snapshots, m)
		}
	}
	slices.SortFunc(l.Snapshots, func(a, b Metadata) int { return b.Created.Compare(a.Created) })
	return l, nil
}

func readMetadata(ctx context.Context, store Store, name string) (Metadata, error) {
	r, err := store.Get(ctx, name)
	if err != nil {
		return Metadata{}, err
	}
	defer r.Close()
	var m Metadata
	if err := json.NewDecoder(io.LimitReader(r, 1<<20)).Decode(&m); err != nil {
		return Metadata{}, fmt.Errorf("parsing: %w", err)
	}
	if m.Name+metaSuffix != name || !strings.HasPrefix(m.Object, m.Name+".db") || len(m.SHA256) != 64 || m.Created.IsZero() {
		return Metadata{}, errors.New("it does not describe a snapshot of this name (name, object, sha256 or created missing)")
	}
	return m, nil
}

// Latest is the newest snapshot whose metadata parses; ok false if none.
func Latest(ctx context.Context, store Store) (m Metadata, ok bool, err error) {
	l, err := List(ctx, store)
	if err != nil || len(l.Snapshots) == 0 {
		return Metadata{}, false, err
	}
	return l.Snapshots[0], true, nil
}

// ErrChecksum: the downloaded object is not what its metadata recorded.
var ErrChecksum = errors.New("checksum mismatch")

// ErrUndecodable: the object matches its checksum but does not decrypt or
// decompress as its metadata says.
var ErrUndecodable = errors.New("the snapshot does not decode")

// Invalid tells whether err from Fetch says the snapshot itself is bad (its
// checksum, authentication or encoding), rather than that fetching it
// failed for a reason that may pass (the destination out of reach, a full
// disk).
func Invalid(err error) bool {
	return errors.Is(err, ErrChecksum) || errors.Is(err, ErrAuthentication) || errors.Is(err, ErrUndecodable)
}

// Fetch downloads snapshot m from store and writes the plain etcd snapshot
// to dbFile. It verifies the object's size and sha256 against the metadata
// before decrypting (key, required when m.Encrypted) or decompressing
// anything. dbFile is written only when everything checks out; the
// download is kept beside it until then and removed after.
func Fetch(ctx context.Context, store Store, m Metadata, key []byte, dbFile string) error {
	if m.Encrypted && len(key) == 0 {
		return fmt.Errorf("snapshot %s in %s is encrypted and no key is set (etcd.snapshots.encryption_key)", m.Name, store)
	}
	download := dbFile + ".download"
	if err := fetchVerified(ctx, store, m, download); err != nil {
		return err
	}
	defer os.Remove(download)
	if err := decode(download, dbFile, m, key); err != nil {
		return fmt.Errorf("snapshot %s in %s: %w", m.Name, store, err)
	}
	return nil
}

func fetchVerified(ctx context.Context, store Store, m Metadata, path string) error {
	r, err := store.Get(ctx, m.Object)
	if err != nil {
		return fmt.Errorf("snapshot %s: %w", m.Name, err)
	}
	defer r.Close()
	out, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	sum := &counter{h: sha256.New()}
	_, err = io.Copy(io.MultiWriter(out, sum), r)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return fmt.Errorf("downloading snapshot %s from %s: %w", m.Object, store, err)
	}
	if got := hex.EncodeToString(sum.h.Sum(nil)); got != m.SHA256 || sum.n != m.Size {
		os.Remove(path)
		return fmt.Errorf("snapshot %s in %s: %w: the object is %d bytes with sha256 %s, its metadata says %d bytes with sha256 %s; it is corrupt or was changed, and is not restored",
			m.Object, store, ErrChecksum, sum.n, got, m.Size, m.SHA256)
	}
	return nil
}

func decode(src, dbFile string, m Metadata, key []byte) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	var r io.Reader = in
	if m.Encrypted {
		d, err := newDecrypter(r, key)
		if err != nil {
			return fmt.Errorf("%w: %w", ErrUndecodable, err)
		}
		r = d
	}
	if m.Gzip {
		g, err := gzip.NewReader(r)
		if err != nil {
			return fmt.Errorf("%w: decompressing: %w", ErrUndecodable, err)
		}
		defer g.Close()
		r = g
	}
	r = decodeErrors{r}
	tmp := dbFile + ".partial"
	out, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, r)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, dbFile)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

// Prune deletes all but the newest keep snapshots (data and metadata), and
// data objects left without metadata by an unfinished save older than the
// newest snapshot kept. It returns the names of the snapshots deleted.
func Prune(ctx context.Context, store Store, keep int) ([]string, error) {
	if keep < 1 {
		return nil, fmt.Errorf("snapshot retention %d: keep at least 1", keep)
	}
	names, err := store.List(ctx)
	if err != nil {
		return nil, err
	}
	l, err := List(ctx, store)
	if err != nil {
		return nil, err
	}
	if len(l.Snapshots) <= keep {
		return nil, nil
	}
	skip := map[string]bool{}
	for _, m := range l.Snapshots[:keep] {
		skip[m.Object], skip[m.Name+metaSuffix] = true, true
	}
	oldestKept := l.Snapshots[keep-1].Name
	var deleted []string
	var errs []error
	for _, m := range l.Snapshots[keep:] {
		for _, obj := range []string{m.Name + metaSuffix, m.Object} {
			skip[obj] = true
			if err := store.Delete(ctx, obj); err != nil {
				errs = append(errs, err)
			}
		}
		deleted = append(deleted, m.Name)
	}
	for _, name := range names {
		// etcd-snapshot-<time>.db*: a data object; older than what is kept
		// and neither kept nor deleted above, it belongs to no metadata.
		if strings.HasPrefix(name, namePrefix) && !strings.HasSuffix(name, metaSuffix) && !skip[name] && name < oldestKept {
			if err := store.Delete(ctx, name); err != nil && !errors.Is(err, os.ErrNotExist) {
				errs = append(errs, err)
			}
		}
	}
	return deleted, errors.Join(errs...)
}

// decodeErrors marks what fails while reading the decoded stream (a gzip
// stream that ends early, a chunk that fails authentication) as the
// snapshot's fault.
type decodeErrors struct{ r io.Reader }

func (d decodeErrors) Read(p []byte) (int, error) {
	n, err := d.r.Read(p)
	if err != nil && err != io.EOF && !errors.Is(err, ErrAuthentication) {
		err = fmt.Errorf("%w: %w", ErrUndecodable, err)
	}
	return n, err
}
