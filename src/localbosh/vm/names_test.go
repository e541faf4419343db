package vm

import (
	"net/netip"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("host names of a VM", func() {
	It("derives the same names from the same cid, and different names for different cids", func() {
		a := namesFor("lbosh", "0b7e5a1c-9d7c-4c47-8e0c-3f2d8d9b6a11")
		Expect(namesFor("lbosh", "0b7e5a1c-9d7c-4c47-8e0c-3f2d8d9b6a11")).To(Equal(a))
		Expect(namesFor("lbosh", "0b7e5a1c-9d7c-4c47-8e0c-3f2d8d9b6a12")).NotTo(Equal(a))
		Expect(a.NetNS).To(MatchRegexp(`^lbosh-[0-9a-f]{8}$`))
		Expect(a.Veth).To(MatchRegexp(`^lbosh[0-9a-f]{8}$`))
	})

	It("keeps veth names within Linux's 15 characters for the longest prefix", func() {
		Expect(len(namesFor("abcdefg", "some-very-long-cid-that-would-not-fit").Veth)).To(BeNumerically("<=", 15))
	})

	DescribeTable("cid checks",
		func(cid string, ok bool) {
			err := checkCID("VM", cid)
			if ok {
				Expect(err).NotTo(HaveOccurred())
			} else {
				Expect(err).To(MatchError(ContainSubstring("VM id")))
			}
		},
		Entry("uuid", "0b7e5a1c-9d7c-4c47-8e0c-3f2d8d9b6a11", true),
		Entry("dots and underscores", "vm_1.etcd", true),
		Entry("empty", "", false),
		Entry("path traversal", "../etc", false),
		Entry("slash", "a/b", false),
		Entry("leading dot", ".hidden", false),
		Entry("space", "a b", false),
	)
})

var _ = Describe("a VM's hardware address", func() {
	It("follows its IP, so a VM that reuses an address is reached at once by peers that knew the last one", func() {
		Expect(macFor(netip.MustParseAddr("10.244.0.2"))).To(Equal("02:b0:0a:f4:00:02"))
		Expect(macFor(netip.MustParseAddr("10.244.1.255"))).To(Equal("02:b0:0a:f4:01:ff"))
	})
})
