package identity_test

import (
	"os"
	"path/filepath"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/identity"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/identity/identitytest"
)

var _ = Describe("Read", func() {
	var dir string
	BeforeEach(func() { dir = GinkgoT().TempDir() })

	It("finds no data in an empty directory", func() {
		Expect(identity.Read(dir)).To(Equal(identity.Local{}))
	})

	It("reads the member and cluster IDs from the WAL", func() {
		Expect(identitytest.WriteWAL(dir, 0x8e9e05c52164694d, 0xcdf818194e3a8c32)).To(Succeed())
		Expect(identity.Read(dir)).To(Equal(identity.Local{HasData: true, MemberID: 0x8e9e05c52164694d, ClusterID: 0xcdf818194e3a8c32}))
	})

	It("calls a member directory without a WAL partial", func() {
		Expect(os.MkdirAll(filepath.Join(dir, "member", "snap"), 0o700)).To(Succeed())
		Expect(identity.Read(dir)).To(Equal(identity.Local{Partial: true}))
	})

	It("refuses a WAL it cannot read, keeping it", func() {
		Expect(os.MkdirAll(filepath.Join(dir, "member", "wal"), 0o700)).To(Succeed())
		Expect(os.WriteFile(filepath.Join(dir, "member", "wal", "0000000000000000-0000000000000000.wal"), []byte("garbage!"), 0o600)).To(Succeed())
		_, err := identity.Read(dir)
		Expect(err).To(MatchError(ContainSubstring("the data is kept")))
	})
})

var _ = Describe("MoveAside", func() {
	var dir string
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	BeforeEach(func() { dir = GinkgoT().TempDir() })

	It("moves the member directory and the record aside with a reason, once", func() {
		Expect(identitytest.WriteWAL(dir, 1, 2)).To(Succeed())
		Expect(identity.WriteRecord(dir, identity.Record{ClusterID: 2, MemberID: 1})).To(Succeed())
		aside, err := identity.MoveAside(dir, "removed from cluster 2", now)
		Expect(err).NotTo(HaveOccurred())
		Expect(identity.Read(dir)).To(Equal(identity.Local{}))
		Expect(identity.Read(aside)).To(HaveField("ClusterID", identity.ID(2)))
		Expect(os.ReadFile(filepath.Join(aside, "REASON"))).To(ContainSubstring("removed from cluster 2"))
		Expect(filepath.Join(aside, "etcdfab-identity.json")).To(BeAnExistingFile())

		By("keeping the first copy when a later start's leftovers are cleared")
		Expect(identitytest.WriteWAL(dir, 3, 2)).To(Succeed())
		_, err = identity.MoveAside(dir, "again", now)
		Expect(err).NotTo(HaveOccurred())
		Expect(identity.Read(aside)).To(HaveField("MemberID", identity.ID(1)))
		Expect(identity.Read(dir)).To(Equal(identity.Local{}))

		By("dropping the copy after a healthy start")
		Expect(identity.ClearAside(dir)).To(BeTrue())
		Expect(aside).NotTo(BeADirectory())
	})
})

var _ = Describe("ID", func() {
	It("reads and prints in hex", func() {
		var id identity.ID
		Expect(id.UnmarshalText([]byte("8e9e05c52164694d"))).To(Succeed())
		Expect(id).To(Equal(identity.ID(0x8e9e05c52164694d)))
		Expect(id.String()).To(Equal("8e9e05c52164694d"))
	})
})
