package config_test

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/config"
)

var _ = Describe("etcd.snapshots", func() {
	var cfg config.Config
	key := make([]byte, 32)
	_, _ = rand.Read(key)

	BeforeEach(func() {
		cfg = config.Default()
		cfg.Node = config.Node{Name: "etcd", Index: 0, ExternalIP: "10.244.0.2", Bootstrap: true}
		cfg.Etcd.Snapshots.Destination = "s3://backups/etcd"
		cfg.Etcd.Snapshots.EncryptionKey = base64.StdEncoding.EncodeToString(key)
	})

	It("accepts a destination with the defaults, and no destination at all whatever the rest says", func() {
		Expect(cfg.Validate()).To(Succeed())
		Expect(cfg.Etcd.Snapshots.IntervalDuration().String()).To(Equal("1h0m0s"))
		cfg.Etcd.Snapshots = config.Snapshots{Interval: "never", Retention: -1}
		Expect(cfg.Validate()).To(Succeed())
		Expect(cfg.Etcd.Snapshots.Enabled()).To(BeFalse())
	})

	DescribeTable("rejects, naming the property to fix",
		func(mutate func(*config.Snapshots), want string) {
			mutate(&cfg.Etcd.Snapshots)
			Expect(cfg.Validate()).To(MatchError(ContainSubstring(want)))
		},
		Entry("a relative file destination", func(s *config.Snapshots) { s.Destination = "file://backups" }, `etcd.snapshots.destination "file://backups": a file destination is file:///absolute/dir`),
		Entry("an unknown scheme", func(s *config.Snapshots) { s.Destination = "gs://b" }, `etcd.snapshots.destination "gs://b": the scheme must be file:// or s3://`),
		Entry("a plain path", func(s *config.Snapshots) { s.Destination = "/var/backups" }, "the scheme must be file:// or s3://"),
		Entry("no bucket", func(s *config.Snapshots) { s.Destination = "s3:///etcd" }, "s3://bucket[/prefix]"),
		Entry("a bad interval", func(s *config.Snapshots) { s.Interval = "hourly" }, `etcd.snapshots.interval "hourly"`),
		Entry("a retention of 0", func(s *config.Snapshots) { s.Retention = 0 }, "etcd.snapshots.retention is 0"),
		Entry("a short key", func(s *config.Snapshots) { s.EncryptionKey = base64.StdEncoding.EncodeToString(key[:16]) }, "etcd.snapshots.encryption_key: the key is 16 bytes"),
		Entry("a key that is no encoding", func(s *config.Snapshots) { s.EncryptionKey = "my secret!" }, "etcd.snapshots.encryption_key: the key is neither base64 nor 64 hex"),
		Entry("half the credentials", func(s *config.Snapshots) { s.S3.AccessKeyID = "a" }, "etcd.snapshots.s3.access_key_id and etcd.snapshots.s3.secret_access_key"),
		Entry("a CA that is no PEM", func(s *config.Snapshots) { s.S3.CACert = "abc" }, "etcd.snapshots.s3.ca_cert"),
		Entry("an endpoint of another scheme", func(s *config.Snapshots) { s.S3.Endpoint = "ftp://s3.local" }, "etcd.snapshots.s3.endpoint"),
	)

	It("reads keys in base64 or hex", func() {
		for _, s := range []string{base64.StdEncoding.EncodeToString(key), base64.RawURLEncoding.EncodeToString(key), hex.EncodeToString(key), " " + hex.EncodeToString(key) + "\n"} {
			Expect(config.ParseKey(s)).To(Equal(key), s)
		}
		cfg.Etcd.Snapshots.EncryptionKey = ""
		Expect(cfg.Etcd.Snapshots.Key()).To(BeNil())
	})
})
