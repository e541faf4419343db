package etcdversion_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/etcdversion"
)

func TestEtcdversion(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "etcdversion Suite")
}

var _ = Describe("versions", func() {
	DescribeTable("Parse", func(in string, want etcdversion.Version) {
		Expect(etcdversion.Parse(in)).To(Equal(want))
	},
		Entry("full", "3.6.16", etcdversion.Version{Major: 3, Minor: 6, Patch: 16}),
		Entry("v prefix and spaces", " v3.7.3\n", etcdversion.Version{Major: 3, Minor: 7, Patch: 3}),
		Entry("major.minor", "3.6", etcdversion.Version{Major: 3, Minor: 6}),
		Entry("pre-release", "3.7.0-rc.0", etcdversion.Version{Major: 3, Minor: 7}),
	)

	It("refuses what is not a version", func() {
		_, err := etcdversion.Parse("not-a-version")
		Expect(err).To(MatchError(ContainSubstring("not an etcd version")))
	})

	It("orders versions", func() {
		Expect(etcdversion.MustParse("3.6.10").Less(etcdversion.MustParse("3.6.11"))).To(BeTrue())
		Expect(etcdversion.MustParse("3.6.16").Less(etcdversion.MustParse("3.7.0"))).To(BeTrue())
		Expect(etcdversion.MustParse("3.7.0").Less(etcdversion.MustParse("3.6.16"))).To(BeFalse())
	})

	It("knows that 3.7 needs every member on 3.6.11 first, and other minors the previous one", func() {
		Expect(etcdversion.UpgradeFloor(etcdversion.MustParse("3.7.3"))).To(Equal(etcdversion.MustParse("3.6.11")))
		Expect(etcdversion.UpgradeFloor(etcdversion.MustParse("3.8.0"))).To(Equal(etcdversion.MustParse("3.7.0")))
	})
})
