package snapshot_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"os"
	"path/filepath"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/restore"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/snapshot"
)

// backend is a destination and where its objects sit on disk, for the
// specs that damage them.
type backend struct {
	store snapshot.Store
	path  func(object string) string
}

var backends = map[string]func() backend{
	"file://": func() backend {
		dir := filepath.Join(GinkgoT().TempDir(), "snapshots")
		store, err := snapshot.Open("file://"+dir, snapshot.S3Options{})
		Expect(err).NotTo(HaveOccurred())
		return backend{store, func(o string) string { return filepath.Join(dir, o) }}
	},
	"s3:// over TLS": func() backend {
		prefix := "etcd/" + filepath.Base(GinkgoT().TempDir())
		store, err := snapshot.Open("s3://backups/"+prefix, snapshot.S3Options{Endpoint: s3.Endpoint, Region: "us-east-1",
			AccessKeyID: s3.AccessKey, SecretAccessKey: s3.Secret, CACert: s3.CACert, PathStyle: true})
		Expect(err).NotTo(HaveOccurred())
		return backend{store, func(o string) string { return filepath.Join(s3.Root, "backups", prefix, o) }}
	},
}

var _ = Describe("snapshots", func() {
	for name, makeBackend := range backends {
		Context("at "+name, func() {
			var (
				b     backend
				ctx   context.Context
				key   []byte
				clock time.Time
				dir   string
			)
			BeforeEach(func() {
				ctx = context.Background()
				b = makeBackend()
				key = make([]byte, 32)
				_, _ = rand.Read(key)
				clock = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
				dir = GinkgoT().TempDir()
			})
			save := func(o snapshot.SaveOptions) snapshot.Metadata {
				clock = clock.Add(time.Minute)
				now := clock
				o.Now, o.Member = func() time.Time { return now }, "etcd-0"
				m, err := snapshot.Save(ctx, client, member.ClientURL(), b.store, o)
				Expect(err).NotTo(HaveOccurred())
				return m
			}
			// restorable: the fetched file is an etcd snapshot whose own
			// sha256 checks out and that holds the keys.
			restorable := func(dbFile string) {
				_, err := restore.FromSnapshot(ctx, restore.Options{Etcdutl: restore.EtcdutlBeside(etcdBin), DBFile: dbFile,
					DataDir: filepath.Join(dir, "restored"), Name: "r", PeerURL: "http://127.14.1.9:2380"})
				Expect(err).NotTo(HaveOccurred())
			}

			DescribeTable("saves, lists and fetches back a snapshot etcd restores",
				func(gz, encrypt bool, object string) {
					o := snapshot.SaveOptions{Gzip: gz}
					if encrypt {
						o.Key = key
					}
					m := save(o)
					Expect(m).To(And(HaveField("Object", "etcd-snapshot-20261201T100100.000Z"+object), HaveField("Gzip", gz), HaveField("Encrypted", encrypt),
						HaveField("Member", "etcd-0"), HaveField("Revision", BeNumerically(">=", 300)), HaveField("SHA256", HaveLen(64))))
					st, err := os.Stat(b.path(m.Object))
					Expect(err).NotTo(HaveOccurred())
					Expect(st.Size()).To(Equal(m.Size))

					latest, ok, err := snapshot.Latest(ctx, b.store)
					Expect(err).NotTo(HaveOccurred())
					Expect(ok).To(BeTrue())
					Expect(latest).To(Equal(m))

					dbFile := filepath.Join(dir, "fetched.db")
					Expect(snapshot.Fetch(ctx, b.store, latest, o.Key, dbFile)).To(Succeed())
					restorable(dbFile)
					Expect(os.ReadDir(dir)).To(HaveLen(2), "fetched.db and restored, no download left")
				},
				Entry("plain", false, false, ".db"),
				Entry("gzipped", true, false, ".db.gz"),
				Entry("encrypted", false, true, ".db.enc"),
				Entry("gzipped and encrypted", true, true, ".db.gz.enc"),
			)

			It("refuses an object whose sha256 does not match its metadata, before decoding it", func() {
				m := save(snapshot.SaveOptions{Gzip: true, Key: key})
				data, err := os.ReadFile(b.path(m.Object))
				Expect(err).NotTo(HaveOccurred())
				data[len(data)/2] ^= 1
				Expect(os.WriteFile(b.path(m.Object), data, 0o600)).To(Succeed())
				dbFile := filepath.Join(dir, "fetched.db")
				err = snapshot.Fetch(ctx, b.store, m, key, dbFile)
				Expect(err).To(MatchError(snapshot.ErrChecksum))
				Expect(err).To(MatchError(ContainSubstring(m.Object)))
				Expect(os.ReadDir(dir)).To(BeEmpty())
			})

			It("calls an object that passes its checksum but does not decode as its metadata says invalid", func() {
				m := save(snapshot.SaveOptions{})
				m.Gzip = true // the object is plain
				err := snapshot.Fetch(ctx, b.store, m, nil, filepath.Join(dir, "fetched.db"))
				Expect(err).To(MatchError(snapshot.ErrUndecodable))
				Expect(snapshot.Invalid(err)).To(BeTrue())
				Expect(os.ReadDir(dir)).To(BeEmpty())
			})

			It("refuses a changed object whose metadata was changed to match, and a wrong key, by authentication", func() {
				m := save(snapshot.SaveOptions{Key: key})
				dbFile := filepath.Join(dir, "fetched.db")
				wrong := make([]byte, 32)
				Expect(snapshot.Fetch(ctx, b.store, m, wrong, dbFile)).To(MatchError(snapshot.ErrAuthentication))
				Expect(snapshot.Fetch(ctx, b.store, m, nil, dbFile)).To(MatchError(ContainSubstring("etcd.snapshots.encryption_key")))

				data, err := os.ReadFile(b.path(m.Object))
				Expect(err).NotTo(HaveOccurred())
				data[len(data)-40] ^= 1
				Expect(os.WriteFile(b.path(m.Object), data, 0o600)).To(Succeed())
				forged := m
				forged.SHA256 = sha256Hex(data)
				Expect(snapshot.Fetch(ctx, b.store, forged, key, dbFile)).To(MatchError(snapshot.ErrAuthentication))
				Expect(dbFile).NotTo(BeAnExistingFile())

				// Through gzip too: the authentication failure stays in the
				// error chain beside "does not decode".
				zipped := save(snapshot.SaveOptions{Gzip: true, Key: key})
				err = snapshot.Fetch(ctx, b.store, zipped, wrong, dbFile)
				Expect(err).To(And(MatchError(snapshot.ErrAuthentication), MatchError(snapshot.ErrUndecodable)))
				Expect(dbFile).NotTo(BeAnExistingFile())
			})

			It("lists newest first, reports broken metadata, and prunes to the retention", func() {
				var saved []snapshot.Metadata
				for range 4 {
					saved = append(saved, save(snapshot.SaveOptions{Gzip: true}))
				}
				Expect(os.WriteFile(b.path("etcd-snapshot-20261201T120000.000Z.json"), []byte("{not json"), 0o600)).To(Succeed())
				meta, err := json.Marshal(snapshot.Metadata{Name: "etcd-snapshot-20261201T130000.000Z", Object: "etcd-snapshot-20261201T130000.000Z.db",
					Created: clock, SHA256: sha256Hex(nil)})
				Expect(err).NotTo(HaveOccurred())
				Expect(os.WriteFile(b.path("etcd-snapshot-20261201T130000.000Z.json"), meta, 0o600)).To(Succeed())
				// A save that never finished: data and no metadata.
				Expect(os.WriteFile(b.path("etcd-snapshot-20261201T095900.000Z.db"), []byte("partial"), 0o600)).To(Succeed())

				l, err := snapshot.List(ctx, b.store)
				Expect(err).NotTo(HaveOccurred())
				Expect(l.Snapshots).To(Equal([]snapshot.Metadata{saved[3], saved[2], saved[1], saved[0]}))
				Expect(l.Broken).To(ConsistOf(MatchError(ContainSubstring("parsing")), MatchError(ContainSubstring("is missing"))))

				deleted, err := snapshot.Prune(ctx, b.store, 2)
				Expect(err).NotTo(HaveOccurred())
				Expect(deleted).To(Equal([]string{saved[1].Name, saved[0].Name}))
				l, err = snapshot.List(ctx, b.store)
				Expect(err).NotTo(HaveOccurred())
				Expect(l.Snapshots).To(Equal([]snapshot.Metadata{saved[3], saved[2]}))
				for _, gone := range []string{saved[0].Object, saved[1].Object, saved[0].Name + ".json", "etcd-snapshot-20261201T095900.000Z.db"} {
					Expect(b.path(gone)).NotTo(BeAnExistingFile())
				}
				Expect(b.path(saved[2].Object)).To(BeAnExistingFile())
			})
		})
	}

	It("trusts only the given CA for an HTTPS endpoint", func() {
		store, err := snapshot.Open("s3://backups/etcd", snapshot.S3Options{Endpoint: s3.Endpoint, Region: "us-east-1",
			AccessKeyID: s3.AccessKey, SecretAccessKey: s3.Secret, PathStyle: true})
		Expect(err).NotTo(HaveOccurred())
		_, err = snapshot.List(context.Background(), store)
		Expect(err).To(MatchError(And(ContainSubstring("listing s3://backups/etcd at "+s3.Endpoint), ContainSubstring("certificate"))))
		_, err = snapshot.Open("s3://backups/etcd", snapshot.S3Options{Endpoint: s3.Endpoint, CACert: "not a PEM"})
		Expect(err).To(MatchError(ContainSubstring("etcd.snapshots.s3.ca_cert")))
	})

	It("names the destination it cannot use", func() {
		for dest, msg := range map[string]string{
			"file://relative/dir": "file:///absolute/dir",
			"/just/a/path":        "file:// or s3://",
			"ftp://host/x":        "file:// or s3://",
			"s3:///prefix":        "s3://bucket",
		} {
			_, err := snapshot.Open(dest, snapshot.S3Options{})
			Expect(err).To(MatchError(And(ContainSubstring(dest), ContainSubstring(msg))), dest)
		}
	})
})
