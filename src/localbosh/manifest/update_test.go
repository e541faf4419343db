package manifest_test

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/manifest"
)

var _ = Describe("update settings", func() {
	DescribeTable("MaxInFlight",
		func(value any, size, expected int) {
			n, err := manifest.MaxInFlight(value, size)
			Expect(err).NotTo(HaveOccurred())
			Expect(n).To(Equal(expected))
		},
		Entry("a number", 4, 10, 4),
		Entry("a number above the size stays", 20, 10, 20),
		Entry("a number as a string", "3", 10, 3),
		Entry("a percentage rounds down", "25%", 10, 2),
		Entry("a percentage of a small group rounds down to 0, then up to 1", "10%", 5, 1),
		Entry("0 becomes 1", 0, 5, 1),
		Entry("100%", "100%", 7, 7),
		Entry("more than 100% is the whole group", "150%", 7, 7),
		Entry("a huge percentage does not overflow", "9999999999999999999999%", 7, 7),
	)

	DescribeTable("Canaries",
		func(value any, size, expected int) {
			n, err := manifest.Canaries(value, size)
			Expect(err).NotTo(HaveOccurred())
			Expect(n).To(Equal(expected))
		},
		Entry("a number", 1, 3, 1),
		Entry("zero canaries", 0, 3, 0),
		Entry("a percentage", "50%", 5, 2),
		Entry("a percentage rounding to 0", "10%", 3, 0),
	)

	DescribeTable("rejects amounts that are neither whole numbers nor percentages",
		func(value any, message string) {
			_, err := manifest.MaxInFlight(value, 3)
			Expect(err).To(MatchError(ContainSubstring(message)))
		},
		Entry("negative", -1, "must be 0 or more"),
		Entry("a fraction", 1.5, "must be a whole number or a percentage"),
		Entry("text", "many", "must be a whole number or a percentage"),
		Entry("a fractional percentage", "2.5%", "must be a whole number or a percentage"),
		Entry("missing", nil, "not null"),
	)

	DescribeTable("WatchTime",
		func(value any, minimum, maximum time.Duration) {
			lo, hi, err := manifest.WatchTime(value)
			Expect(err).NotTo(HaveOccurred())
			Expect([]time.Duration{lo, hi}).To(Equal([]time.Duration{minimum, maximum}))
		},
		Entry("milliseconds", 5000, 5*time.Second, 5*time.Second),
		Entry("milliseconds as text", "5000", 5*time.Second, 5*time.Second),
		Entry("a range", "1000-30000", time.Second, 30*time.Second),
		Entry("a range with spaces", " 1000 - 30000 ", time.Second, 30*time.Second),
	)

	DescribeTable("WatchTime rejects",
		func(value any, message string) {
			_, _, err := manifest.WatchTime(value)
			Expect(err).To(MatchError(ContainSubstring(message)))
		},
		Entry("a reversed range", "3000-1000", "minimum above its maximum"),
		Entry("negative", -5, "must be 0 or more"),
		Entry("words", "a while", "must be milliseconds or a range"),
		Entry("three numbers", "1-2-3", "must be milliseconds or a range"),
	)

	It("resolves each group's settings: its overrides over the deployment's, for its size", func() {
		d := validManifest()
		d["update"] = doc{"canaries": "50%", "max_in_flight": "25%", "canary_watch_time": 1000, "update_watch_time": "2000-60000", "serial": false}
		group(d, 0)["instances"] = 4
		other := etcdGroup(10)
		other["name"] = "other"
		other["update"] = doc{"max_in_flight": 3, "serial": true}
		d["instance_groups"] = append(d["instance_groups"].([]any), other)
		p := planOf(mustManifest(d))

		Expect(p.Groups[0].Update).To(Equal(manifest.UpdateSettings{
			Canaries:    2,
			MaxInFlight: 1,
			CanaryWatch: manifest.WatchWindow{Min: time.Second, Max: time.Second},
			UpdateWatch: manifest.WatchWindow{Min: 2 * time.Second, Max: time.Minute},
			Serial:      false,
		}))
		Expect(p.Groups[1].Update.Canaries).To(Equal(5))
		Expect(p.Groups[1].Update.MaxInFlight).To(Equal(3))
		Expect(p.Groups[1].Update.Serial).To(BeTrue())
	})

	It("makes groups serial unless told otherwise", func() {
		p := planOf(mustManifest(validManifest()))
		Expect(p.Groups[0].Update.Serial).To(BeTrue())
	})
})
