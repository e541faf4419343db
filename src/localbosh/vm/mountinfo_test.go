package vm

import (
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("mountinfo", func() {
	const info = `27 1 254:0 / / rw,relatime - ext4 /dev/vda rw
90 27 254:0 /var/lib/lb/ns /var/lib/lb/ns rw,relatime - ext4 /dev/vda rw
91 90 0:4 mnt:[4026532290] /var/lib/lb/ns/vm-1 rw - nsfs nsfs rw
92 27 0:4 net:[4026532200] /run/netns/lbosh-1a2b3c4d rw - nsfs nsfs rw
93 27 254:0 /x /mnt/with\040space rw shared:5 master:1 - ext4 /dev/vda rw
`

	It("reads mount points, unescaping them, and filesystem types", func() {
		entries, err := parseMountinfo(strings.NewReader(info))
		Expect(err).NotTo(HaveOccurred())
		Expect(entries).To(HaveLen(5))
		Expect(entries[2]).To(Equal(mountEntry{Point: "/var/lib/lb/ns/vm-1", FSType: "nsfs"}))
		Expect(entries[4]).To(Equal(mountEntry{Point: "/mnt/with space", FSType: "ext4"}))
		Expect(isMountPoint(entries, "/var/lib/lb/ns")).To(BeTrue())
		Expect(isMountPoint(entries, "/var/lib/lb")).To(BeFalse())
	})

	It("lists the mounts under a directory children first, and nothing beside it", func() {
		entries, err := parseMountinfo(strings.NewReader(info + "94 27 254:0 / /var/lib/lb/nsx rw - ext4 /dev/vda rw\n"))
		Expect(err).NotTo(HaveOccurred())
		Expect(mountsUnder(entries, "/var/lib/lb/ns")).To(Equal([]string{"/var/lib/lb/ns/vm-1", "/var/lib/lb/ns"}))
	})

	It("rejects a line that is not mountinfo", func() {
		_, err := parseMountinfo(strings.NewReader("rootfs / rootfs rw 0 0\n"))
		Expect(err).To(MatchError(ContainSubstring("parsing mountinfo line")))
	})
})
