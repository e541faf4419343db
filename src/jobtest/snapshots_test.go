package jobtest_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/config"
)

var _ = Describe("the etcd job's etcd.snapshots properties", func() {
	withSnapshots := func(s map[string]any) map[string]any {
		props := plainProps()
		props["etcd"].(map[string]any)["snapshots"] = s
		return props
	}

	It("renders them off by default", func() {
		cfg := etcdfabConfig(mustRender("etcd", plainProps(), instance(0, "10.244.0.2"), etcdLink(1)))
		Expect(cfg.Etcd.Snapshots).To(Equal(config.Snapshots{Interval: "1h", Retention: 24, S3: config.S3{Region: "us-east-1"}}))
		Expect(cfg.Etcd.Snapshots.Enabled()).To(BeFalse())
	})

	It("renders an s3 destination with its options, which etcdfab accepts", func() {
		key := "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
		cfg := etcdfabConfig(mustRender("etcd", withSnapshots(map[string]any{
			"destination": "s3://backups/etcd", "interval": "30m", "retention": 5, "gzip": true, "encryption_key": key,
			"s3": map[string]any{"endpoint": "https://s3.example.com:9000", "region": "eu-west-1", "access_key_id": "AK",
				"secret_access_key": "SK", "path_style": true},
		}), instance(0, "10.244.0.2"), etcdLink(1)))
		Expect(cfg.Etcd.Snapshots).To(Equal(config.Snapshots{Destination: "s3://backups/etcd", Interval: "30m", Retention: 5, Gzip: true,
			EncryptionKey: key, S3: config.S3{Endpoint: "https://s3.example.com:9000", Region: "eu-west-1", AccessKeyID: "AK", SecretAccessKey: "SK", PathStyle: true}}))
	})

	DescribeTable("refuses bad values at render time, naming the property",
		func(s map[string]any, want string) {
			_, err := renderJob("etcd", withSnapshots(s), instance(0, "10.244.0.2"), etcdLink(1))
			Expect(err).To(MatchError(ContainSubstring(want)))
		},
		Entry("a destination that is no URL of a known scheme", map[string]any{"destination": "/var/backups"},
			`etcd.snapshots.destination is "/var/backups"; give file:///absolute/dir or s3://bucket/prefix`),
		Entry("a retention of 0", map[string]any{"destination": "file:///var/backups", "retention": 0},
			"etcd.snapshots.retention is 0; it must be an integer of 1 or more"),
		Entry("gzip that is not a boolean", map[string]any{"gzip": "yes"}, `etcd.snapshots.gzip is "yes"; it must be true or false`),
	)
})
