package release_test

import (
	"os"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/release"
)

var _ = Describe("WriteDevReleaseTarball", func() {
	var (
		f       *fixture
		tarball string
	)

	BeforeEach(func() {
		f = newFixture()
		writeSampleRelease(f)
		tarball = filepath.Join(GinkgoT().TempDir(), "out", "demo.tgz")
	})

	It("writes the latest dev release byte for byte as create-release --tarball does", func() {
		f.create(release.CreateOptions{})
		f.write("jobs/etcd/monit", "check process etcd-changed\n")
		createdTarball := filepath.Join(GinkgoT().TempDir(), "created.tgz")
		created := f.create(release.CreateOptions{Tarball: createdTarball})

		m, err := release.WriteDevReleaseTarball(f.dir, "", tarball)
		Expect(err).NotTo(HaveOccurred())
		Expect(m).To(Equal(created.Manifest))
		Expect(m.Version).To(Equal("0+dev.2"))
		Expect(sha256Of(tarball)).To(Equal(sha256Of(createdTarball)))
	})

	It("writes an earlier dev release by version, which OpenTarball accepts", func() {
		first := f.create(release.CreateOptions{})
		f.write("jobs/etcd/monit", "check process etcd-changed\n")
		f.create(release.CreateOptions{})

		m, err := release.WriteDevReleaseTarball(f.dir, "0+dev.1", tarball)
		Expect(err).NotTo(HaveOccurred())
		Expect(m).To(Equal(first.Manifest))

		opened, err := release.OpenTarball(tarball, filepath.Join(GinkgoT().TempDir(), "unpacked"))
		Expect(err).NotTo(HaveOccurred())
		Expect(opened.Manifest).To(Equal(first.Manifest))
		monit, err := os.ReadFile(filepath.Join(opened.JobDir("etcd"), "monit"))
		Expect(err).NotTo(HaveOccurred())
		Expect(string(monit)).To(Equal("check process etcd\n"))
	})

	It("says to run create-release first when there is no dev release", func() {
		_, err := release.WriteDevReleaseTarball(f.dir, "", tarball)
		Expect(err).To(MatchError(ContainSubstring("no dev release of 'demo' yet: run create-release first")))
		Expect(tarball).NotTo(BeAnExistingFile())
	})

	It("names a version that was never created", func() {
		f.create(release.CreateOptions{})
		_, err := release.WriteDevReleaseTarball(f.dir, "0+dev.7", tarball)
		Expect(err).To(MatchError(ContainSubstring("release 'demo' has no version '0+dev.7'")))
		Expect(tarball).NotTo(BeAnExistingFile())
	})

	It("refuses a cached archive that no longer has the recorded digest, and names it", func() {
		created := f.create(release.CreateOptions{})
		archive := f.devArchive("packages", "golang", packageRef(created.Manifest, "golang").Fingerprint)
		Expect(os.WriteFile(archive, []byte("tampered"), 0o644)).To(Succeed())

		_, err := release.WriteDevReleaseTarball(f.dir, "", tarball)
		Expect(err).To(MatchError(release.ErrDigestMismatch))
		Expect(err.Error()).To(ContainSubstring(archive))
		Expect(tarball).NotTo(BeAnExistingFile())
	})

	It("refuses a dev release whose cached archive is gone", func() {
		created := f.create(release.CreateOptions{})
		Expect(os.Remove(f.devArchive("jobs", "etcd", jobRef(created.Manifest, "etcd").Fingerprint))).To(Succeed())

		_, err := release.WriteDevReleaseTarball(f.dir, "", tarball)
		Expect(err).To(MatchError(os.ErrNotExist))
		Expect(err.Error()).To(ContainSubstring("job 'etcd'"))
		Expect(tarball).NotTo(BeAnExistingFile())
	})
})
