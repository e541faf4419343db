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
		Expect(entries[2]).To(Equal(mountEntry{Point: "/var/lib/lb/ns/vm-1", FSType: "nsfs", Root: "mnt:[4026532290]", Options: "rw"}))
		Expect(entries[4]).To(Equal(mountEntry{Point: "/mnt/with space", FSType: "ext4", Root: "/x", Options: "rw"}))
		Expect(isMountPoint(entries, "/var/lib/lb/ns")).To(BeTrue())
		Expect(isMountPoint(entries, "/var/lib/lb")).To(BeFalse())
	})

	It("lists the mounts under a directory children first, and nothing beside it", func() {
		entries, err := parseMountinfo(strings.NewReader(info + "94 27 254:0 / /var/lib/lb/nsx rw - ext4 /dev/vda rw\n"))
		Expect(err).NotTo(HaveOccurred())
		Expect(mountsUnder(entries, "/var/lib/lb/ns")).To(Equal([]string{"/var/lib/lb/ns/vm-1", "/var/lib/lb/ns"}))
	})

	It("remounts read-only the uppermost mount at each point, keeping its flags, but a VM's own and the writable ones", func() {
		entries, err := parseMountinfo(strings.NewReader(`1 0 0:1 / / rw,relatime - ext4 /dev/vda rw
2 1 0:2 / /sys ro,nosuid,nodev,noexec,relatime - sysfs sysfs rw
3 1 0:3 / /sys rw,nosuid - sysfs sysfs ro
4 1 0:4 / /dev/shm rw,nosuid,nodev - tmpfs tmpfs rw
5 1 0:5 / /dev/shm ro - tmpfs tmpfs ro
6 1 0:6 / /usr/local ro,nosuid - ext4 /dev/vdb ro
7 1 0:1 /s/vms/x/vcap /var/vcap rw,relatime - ext4 /dev/vda rw
8 1 0:1 /s/vms/x/resolv.conf /etc/resolv.conf rw,relatime - ext4 /dev/vda rw
9 1 0:1 /tmp /tmp rw,relatime - ext4 /dev/vda rw
10 9 0:1 /x /tmp/other/ns rw,relatime - ext4 /dev/vda rw
`))
		Expect(err).NotTo(HaveOccurred())
		Expect(readOnlySteps(entries)).To(Equal([][]string{
			{"mount", "-o", "remount,bind,ro,relatime", "/"},
			{"mount", "-o", "remount,bind,ro,nosuid", "/sys"},
		}))
	})

	It("quotes every word of a script of commands", func() {
		script, err := shellScript([][]string{{"mount", "--bind", "/a b", "/it's"}})
		Expect(err).NotTo(HaveOccurred())
		Expect(script).To(HavePrefix(`'mount' '--bind' '/a b' '/it'\''s' || { echo 'failed: mount --bind /a b /it'\''s' >&2; exit 1; }`))
		_, err = shellScript([][]string{{"a\x00b"}})
		Expect(err).To(HaveOccurred())
	})

	It("rejects a line that is not mountinfo", func() {
		_, err := parseMountinfo(strings.NewReader("rootfs / rootfs rw 0 0\n"))
		Expect(err).To(MatchError(ContainSubstring("parsing mountinfo line")))
	})
})
