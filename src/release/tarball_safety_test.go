package release_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"gopkg.in/yaml.v3"

	"github.com/cloudfoundry-incubator/etcd-release/src/release"
)

type rawEntry struct {
	name, linkname, content string
	typeflag                byte
}

func tgzBytes(entries ...rawEntry) []byte {
	GinkgoHelper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, e := range entries {
		hdr := &tar.Header{Name: e.name, Typeflag: e.typeflag, Linkname: e.linkname, Mode: 0o644, Size: int64(len(e.content))}
		if e.typeflag != tar.TypeReg {
			hdr.Size = 0
		}
		Expect(tw.WriteHeader(hdr)).To(Succeed())
		_, err := tw.Write([]byte(e.content))
		Expect(err).NotTo(HaveOccurred())
	}
	Expect(tw.Close()).To(Succeed())
	Expect(gz.Close()).To(Succeed())
	return buf.Bytes()
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
		rawEntry{name: "release.MF", content: string(mf), typeflag: tar.TypeReg},
		rawEntry{name: "packages/evil.tgz", content: string(pkg), typeflag: tar.TypeReg},
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
		releaseWithPackage(tarball, tgzBytes(rawEntry{name: "./../../outside", content: "x", typeflag: tar.TypeReg}))
		_, err := release.OpenTarball(tarball, dest)
		Expect(err).To(MatchError(ContainSubstring("outside the archive")))
		Expect(filepath.Join(root, "outside")).NotTo(BeAnExistingFile())
	})

	It("refuses an entry written through a symlink the archive made", func() {
		outside := filepath.Join(root, "elsewhere")
		Expect(os.Mkdir(outside, 0o755)).To(Succeed())
		releaseWithPackage(tarball, tgzBytes(
			rawEntry{name: "./link", linkname: outside, typeflag: tar.TypeSymlink},
			rawEntry{name: "./link/planted", content: "x", typeflag: tar.TypeReg},
		))
		_, err := release.OpenTarball(tarball, dest)
		Expect(err).To(MatchError(ContainSubstring("through the symlink")))
		Expect(filepath.Join(outside, "planted")).NotTo(BeAnExistingFile())
	})

	It("refuses a manifest whose names are not plain file names", func() {
		m := release.Manifest{Name: "demo", Version: "1", Jobs: []release.JobRef{{Name: "../etc", SHA1: "sha256:00"}}}
		mf, err := yaml.Marshal(m)
		Expect(err).NotTo(HaveOccurred())
		Expect(os.WriteFile(tarball, tgzBytes(rawEntry{name: "release.MF", content: string(mf), typeflag: tar.TypeReg}), 0o644)).To(Succeed())
		_, err = release.OpenTarball(tarball, dest)
		Expect(err).To(MatchError(ContainSubstring(`job name "../etc"`)))
	})

	It("accepts legacy SHA-1 digests", func() {
		pkg := tgzBytes(rawEntry{name: "./packaging", content: "true\n", typeflag: tar.TypeReg})
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
