package release_test

import (
	"archive/tar"
	"os"
	"path/filepath"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"gopkg.in/yaml.v3"

	"github.com/cloudfoundry-incubator/etcd-release/src/release"
	"github.com/cloudfoundry-incubator/etcd-release/src/release/releasetest"
)

func tgzBytes(entries ...releasetest.Entry) []byte {
	GinkgoHelper()
	data, err := releasetest.Tgz(entries...)
	Expect(err).NotTo(HaveOccurred())
	return data
}

// releaseWithPackage writes a release tarball whose one package archive is
// pkg, correctly digested, so only extraction can object to it.
func releaseWithPackage(path string, pkg []byte) {
	GinkgoHelper()
	m := release.Manifest{Name: "demo", Version: "1", Packages: []release.PackageRef{
		{Name: "evil", Version: "fp", Fingerprint: "fp", SHA1: digest(string(pkg)), Dependencies: []string{}},
	}}
	mf, err := yaml.Marshal(m)
	Expect(err).NotTo(HaveOccurred())
	Expect(os.WriteFile(path, tgzBytes(
		releasetest.Entry{Name: "release.MF", Body: string(mf), Type: tar.TypeReg},
		releasetest.Entry{Name: "packages/evil.tgz", Body: string(pkg), Type: tar.TypeReg},
	), 0o644)).To(Succeed())
}

var _ = Describe("Unpacking untrusted tarballs", func() {
	var root, tarball, dest string

	BeforeEach(func() {
		root = GinkgoT().TempDir()
		tarball = filepath.Join(root, "release.tgz")
		dest = filepath.Join(root, "unpacked")
	})

	It("refuses an entry that climbs out of the package directory", func() {
		releaseWithPackage(tarball, tgzBytes(releasetest.Entry{Name: "./../../outside", Body: "x", Type: tar.TypeReg}))
		_, err := release.OpenTarball(tarball, dest)
		Expect(err).To(MatchError(ContainSubstring("outside the archive")))
		Expect(filepath.Join(root, "outside")).NotTo(BeAnExistingFile())
	})

	It("refuses an entry written through a symlink the archive made", func() {
		releaseWithPackage(tarball, tgzBytes(
			releasetest.Entry{Name: "./sub/", Type: tar.TypeDir},
			releasetest.Entry{Name: "./link", Link: "sub", Type: tar.TypeSymlink},
			releasetest.Entry{Name: "./link/planted", Body: "x", Type: tar.TypeReg},
		))
		_, err := release.OpenTarball(tarball, dest)
		Expect(err).To(MatchError(ContainSubstring("through the symlink")))
	})

	DescribeTable("refuses, before writing anything, a package link that points out of it",
		func(link releasetest.Entry) {
			outside := filepath.Join(root, "elsewhere")
			Expect(os.Mkdir(outside, 0o755)).To(Succeed())
			link.Link = strings.ReplaceAll(link.Link, "OUTSIDE", outside)
			releaseWithPackage(tarball, tgzBytes(releasetest.Entry{Name: "./packaging", Body: "true\n", Type: tar.TypeReg}, link))
			_, err := release.OpenTarball(tarball, dest)
			Expect(err).To(MatchError(ContainSubstring("points outside the archive")))
			Expect(os.ReadDir(dest)).To(BeEmpty())
		},
		Entry("an absolute symlink", releasetest.Entry{Name: "./creds", Link: "OUTSIDE", Type: tar.TypeSymlink}),
		Entry("a symlink climbing out", releasetest.Entry{Name: "./bin/creds", Link: "../../../../etc/shadow", Type: tar.TypeSymlink}),
		Entry("a hard link to a host file", releasetest.Entry{Name: "./shadow", Link: "/etc/shadow", Type: tar.TypeLink}),
		Entry("a hard link climbing out", releasetest.Entry{Name: "./shadow", Link: "../../etc/shadow", Type: tar.TypeLink}),
	)

	It("keeps a package's symlinks that stay inside it or point into /var/vcap", func() {
		releaseWithPackage(tarball, tgzBytes(
			releasetest.Entry{Name: "./bin/tool", Body: "#!/bin/sh\n", Type: tar.TypeReg},
			releasetest.Entry{Name: "./tool", Link: "bin/tool", Type: tar.TypeSymlink},
			releasetest.Entry{Name: "./java", Link: "/var/vcap/packages/jdk/bin/java", Type: tar.TypeSymlink},
		))
		t, err := release.OpenTarball(tarball, dest)
		Expect(err).NotTo(HaveOccurred())
		Expect(os.Readlink(filepath.Join(t.PackageDir("evil"), "java"))).To(Equal("/var/vcap/packages/jdk/bin/java"))
	})

	It("refuses a package with an entry twice", func() {
		releaseWithPackage(tarball, tgzBytes(
			releasetest.Entry{Name: "./packaging", Body: "true\n", Type: tar.TypeReg},
			releasetest.Entry{Name: "packaging", Body: "rm -rf /\n", Type: tar.TypeReg},
		))
		_, err := release.OpenTarball(tarball, dest)
		Expect(err).To(MatchError(ContainSubstring(`"packaging" appears twice`)))
		Expect(os.ReadDir(dest)).To(BeEmpty())
	})

	Describe("the release tarball itself", func() {
		manifestEntry := func(m release.Manifest) releasetest.Entry {
			mf, err := yaml.Marshal(m)
			Expect(err).NotTo(HaveOccurred())
			return releasetest.Entry{Name: "release.MF", Body: string(mf), Type: tar.TypeReg}
		}
		demo := release.Manifest{Name: "demo", Version: "1", Jobs: []release.JobRef{}, Packages: []release.PackageRef{}}

		DescribeTable("is refused, with nothing written, when an entry leaves it",
			func(entry releasetest.Entry, complaint string) {
				Expect(os.WriteFile(tarball, tgzBytes(manifestEntry(demo), entry), 0o644)).To(Succeed())
				_, err := release.OpenTarball(tarball, dest)
				Expect(err).To(MatchError(ContainSubstring(complaint)))
				Expect(os.ReadDir(dest)).To(BeEmpty())
			},
			Entry("climbing out", releasetest.Entry{Name: "../../planted", Body: "x", Type: tar.TypeReg}, "outside the archive"),
			Entry("absolute", releasetest.Entry{Name: "/tmp/planted", Body: "x", Type: tar.TypeReg}, "outside the archive"),
			Entry("a symlink out", releasetest.Entry{Name: "jobs/x.tgz", Link: "/etc/shadow", Type: tar.TypeSymlink}, "points outside the archive"),
			Entry("a hard link out", releasetest.Entry{Name: "license", Link: "../../etc/shadow", Type: tar.TypeLink}, "points outside the archive"),
			Entry("a device", releasetest.Entry{Name: "dev", Type: tar.TypeChar}, "unsupported type"),
		)

		It("is refused when it holds release.MF twice", func() {
			evil := demo
			evil.Name = "other"
			Expect(os.WriteFile(tarball, tgzBytes(manifestEntry(demo), manifestEntry(evil)), 0o644)).To(Succeed())
			_, err := release.OpenTarball(tarball, dest)
			Expect(err).To(MatchError(ContainSubstring(`"release.MF" appears twice`)))
		})

		It("is refused, with nothing written, when its names climb out", func() {
			evil := demo
			evil.Version = "../../planted"
			Expect(os.WriteFile(tarball, tgzBytes(manifestEntry(evil)), 0o644)).To(Succeed())
			_, err := release.OpenTarball(tarball, dest)
			Expect(err).To(MatchError(ContainSubstring(`release version "../../planted" is not valid`)))
			Expect(os.ReadDir(dest)).To(BeEmpty())
		})

		It("is refused beyond the limits, before anything is written", func() {
			pkg := tgzBytes(releasetest.Entry{Name: "./packaging", Body: strings.Repeat("x", 2000), Type: tar.TypeReg})
			releaseWithPackage(tarball, pkg)
			_, err := release.OpenTarballWithLimits(tarball, dest, release.Limits{Bytes: 1000, Entries: 100})
			Expect(err).To(MatchError(ContainSubstring("more than 1000 bytes")))
			Expect(os.ReadDir(dest)).To(BeEmpty())
			_, err = release.OpenTarballWithLimits(tarball, dest, release.Limits{Bytes: 1 << 20, Entries: 1})
			Expect(err).To(MatchError(ContainSubstring("more than 1 entries")))
			Expect(os.ReadDir(dest)).To(BeEmpty())
		})
	})

	It("refuses a manifest whose names are not plain file names", func() {
		m := release.Manifest{Name: "demo", Version: "1", Jobs: []release.JobRef{{Name: "../etc", SHA1: "sha256:00"}}}
		mf, err := yaml.Marshal(m)
		Expect(err).NotTo(HaveOccurred())
		Expect(os.WriteFile(tarball, tgzBytes(releasetest.Entry{Name: "release.MF", Body: string(mf), Type: tar.TypeReg}), 0o644)).To(Succeed())
		_, err = release.OpenTarball(tarball, dest)
		Expect(err).To(MatchError(ContainSubstring(`job name "../etc"`)))
	})

	It("accepts legacy SHA-1 digests", func() {
		pkg := tgzBytes(releasetest.Entry{Name: "./packaging", Body: "true\n", Type: tar.TypeReg})
		releaseWithPackage(tarball, pkg)
		// Rewrite the manifest digest as a bare SHA-1, as pre-2017 CLIs wrote it.
		rewriteTarball(tarball, tarball+".sha1", func(name string, data []byte) []byte {
			if name != "release.MF" {
				return data
			}
			var m release.Manifest
			Expect(yaml.Unmarshal(data, &m)).To(Succeed())
			m.Packages[0].SHA1 = sha1Hex(pkg)
			out, err := yaml.Marshal(m)
			Expect(err).NotTo(HaveOccurred())
			return out
		})
		t, err := release.OpenTarball(tarball+".sha1", dest)
		Expect(err).NotTo(HaveOccurred())
		Expect(filepath.Join(t.PackageDir("evil"), "packaging")).To(BeARegularFile())
	})
})
