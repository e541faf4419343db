package release_test

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"gopkg.in/yaml.v3"

	"github.com/cloudfoundry-incubator/etcd-release/src/release"
	"github.com/cloudfoundry-incubator/etcd-release/src/tartest"
)

// writeSampleRelease fills f with two packages (one with a symlink and an
// executable) and a job using them.
func writeSampleRelease(f *fixture) {
	f.pkg("golang", "name: golang\nfiles: [golang/*]\n")
	f.write("blobs/golang/go.tar.gz", "pretend toolchain")
	f.pkg("etcd", "name: etcd\ndependencies: [golang]\nfiles: [etcd/**/*]\n")
	f.writeMode("src/etcd/bin/start", "#!/bin/sh\n", 0o755)
	f.write("src/etcd/main.go", "package main\n")
	f.symlink("src/etcd/current", "main.go")
	f.write("jobs/etcd/spec", "name: etcd\ntemplates: {ctl.erb: bin/ctl, config/etcd.json.erb: config/etcd.json}\npackages: [etcd]\n")
	f.write("jobs/etcd/monit", "check process etcd\n")
	f.write("jobs/etcd/templates/ctl.erb", "#!/bin/bash\n")
	f.write("jobs/etcd/templates/config/etcd.json.erb", "{}\n")
}

// rewriteTarball copies a release tarball, passing each regular entry's
// content through change.
func rewriteTarball(src, dst string, change func(name string, data []byte) []byte) {
	GinkgoHelper()
	in, err := os.Open(src)
	Expect(err).NotTo(HaveOccurred())
	defer in.Close()
	gzIn, err := gzip.NewReader(in)
	Expect(err).NotTo(HaveOccurred())
	var out bytes.Buffer
	gzOut := gzip.NewWriter(&out)
	Expect(tartest.Rewrite(gzIn, gzOut, change)).To(Succeed())
	Expect(gzOut.Close()).To(Succeed())
	Expect(os.WriteFile(dst, out.Bytes(), 0o644)).To(Succeed())
}

var _ = Describe("Release tarballs", func() {
	var (
		f       *fixture
		tarball string
	)

	BeforeEach(func() {
		f = newFixture()
		writeSampleRelease(f)
		tarball = filepath.Join(GinkgoT().TempDir(), "out", "demo.tgz")
	})

	It("holds release.MF, jobs/<name>.tgz and packages/<name>.tgz", func() {
		created := f.create(release.CreateOptions{Tarball: tarball})
		Expect(created.TarballPath).To(Equal(tarball))

		entries, order := readTgz(tarball)
		Expect(order[0]).To(Equal("release.MF"))
		Expect(entries).To(HaveKey("jobs/etcd.tgz"))
		Expect(entries).To(HaveKey("packages/etcd.tgz"))
		Expect(entries).To(HaveKey("packages/golang.tgz"))
		job, _ := readTgz(f.devArchive("jobs", "etcd", jobRef(created.Manifest, "etcd").Fingerprint))
		Expect(job).To(HaveKey("./job.MF"))
		Expect(job).To(HaveKey("./monit"))
		Expect(job).To(HaveKey("./templates/ctl.erb"))
		Expect(job).To(HaveKey("./templates/config/etcd.json.erb"))
	})

	It("round-trips through OpenTarball", func() {
		created := f.create(release.CreateOptions{Tarball: tarball})
		dest := filepath.Join(GinkgoT().TempDir(), "unpacked")

		t, err := release.OpenTarball(tarball, dest)
		Expect(err).NotTo(HaveOccurred())
		Expect(t.Manifest).To(Equal(created.Manifest))

		spec, err := t.JobSpec("etcd")
		Expect(err).NotTo(HaveOccurred())
		Expect(spec.Templates).To(HaveKeyWithValue("ctl.erb", "bin/ctl"))
		Expect(spec.Packages).To(Equal([]string{"etcd"}))
		Expect(filepath.Join(t.JobDir("etcd"), "templates", "config", "etcd.json.erb")).To(BeARegularFile())

		Expect(filepath.Join(t.PackageDir("etcd"), "packaging")).To(BeARegularFile())
		start, err := os.Stat(filepath.Join(t.PackageDir("etcd"), "etcd", "bin", "start"))
		Expect(err).NotTo(HaveOccurred())
		Expect(start.Mode().Perm()).To(Equal(os.FileMode(0o755)))
		link, err := os.Readlink(filepath.Join(t.PackageDir("etcd"), "etcd", "current"))
		Expect(err).NotTo(HaveOccurred())
		Expect(link).To(Equal("main.go"))
		Expect(sha256Of(t.PackageArchive("golang"))).To(Equal(packageRef(created.Manifest, "golang").SHA1))
		blob, err := os.ReadFile(filepath.Join(t.PackageDir("golang"), "golang", "go.tar.gz"))
		Expect(err).NotTo(HaveOccurred())
		Expect(string(blob)).To(Equal("pretend toolchain"))
	})

	It("detects a tampered archive and names it, leaving the destination empty", func() {
		f.create(release.CreateOptions{Tarball: tarball})
		replacement := f.path("other.tgz")
		f.write("jobs/etcd/monit", "check process something-else\n")
		other := f.create(release.CreateOptions{Tarball: replacement})
		replacementJob, err := os.ReadFile(f.devArchive("jobs", "etcd", jobRef(other.Manifest, "etcd").Fingerprint))
		Expect(err).NotTo(HaveOccurred())

		tampered := filepath.Join(filepath.Dir(tarball), "tampered.tgz")
		rewriteTarball(tarball, tampered, func(name string, data []byte) []byte {
			if name == "jobs/etcd.tgz" {
				return replacementJob
			}
			return data
		})
		dest := filepath.Join(GinkgoT().TempDir(), "unpacked")
		_, err = release.OpenTarball(tampered, dest)
		Expect(err).To(MatchError(release.ErrDigestMismatch))
		Expect(err.Error()).To(ContainSubstring("jobs/etcd.tgz"))
		Expect(os.ReadDir(dest)).To(BeEmpty())
	})

	It("refuses a tarball missing an archive its manifest lists", func() {
		f.create(release.CreateOptions{Tarball: tarball})
		broken := filepath.Join(filepath.Dir(tarball), "broken.tgz")
		rewriteTarball(tarball, broken, func(name string, data []byte) []byte {
			if name == "release.MF" {
				var m release.Manifest
				Expect(yaml.Unmarshal(data, &m)).To(Succeed())
				m.Packages = append(m.Packages, release.PackageRef{Name: "extra", Version: "x", Fingerprint: "x", SHA1: "sha256:00"})
				out, err := yaml.Marshal(m)
				Expect(err).NotTo(HaveOccurred())
				return out
			}
			return data
		})
		_, err := release.OpenTarball(broken, filepath.Join(GinkgoT().TempDir(), "unpacked"))
		Expect(err).To(MatchError(ContainSubstring("packages/extra.tgz")))
	})

	It("refuses a destination that is not empty", func() {
		f.create(release.CreateOptions{Tarball: tarball})
		dest := GinkgoT().TempDir()
		Expect(os.WriteFile(filepath.Join(dest, "x"), nil, 0o644)).To(Succeed())
		_, err := release.OpenTarball(tarball, dest)
		Expect(err).To(MatchError(ContainSubstring("not empty")))
	})

	It("is deterministic: the same sources give byte-identical archives and tarballs", func() {
		other := newFixture()
		writeSampleRelease(other)
		otherTarball := filepath.Join(GinkgoT().TempDir(), "demo.tgz")

		a := f.create(release.CreateOptions{Tarball: tarball})
		b := other.create(release.CreateOptions{Tarball: otherTarball})

		Expect(b.Manifest).To(Equal(a.Manifest))
		Expect(sha256Of(otherTarball)).To(Equal(sha256Of(tarball)))
	})

	It("rebuilds an archive byte for byte after the cache is cleared", func() {
		first := f.create(release.CreateOptions{})
		Expect(os.RemoveAll(f.path(".dev_builds"))).To(Succeed())
		second := f.create(release.CreateOptions{})

		Expect(second.Built).To(ConsistOf("jobs/etcd", "packages/etcd", "packages/golang"))
		for _, p := range first.Manifest.Packages {
			Expect(packageRef(second.Manifest, p.Name).SHA1).To(Equal(p.SHA1))
		}
		Expect(jobRef(second.Manifest, "etcd").SHA1).To(Equal(jobRef(first.Manifest, "etcd").SHA1))
	})
})
