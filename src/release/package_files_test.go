package release_test

import (
	"os"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/release"
)

var _ = Describe("Package files", func() {
	var f *fixture

	BeforeEach(func() {
		f = newFixture()
	})

	// packageArchive creates a dev release and lists the named package's archive.
	packageArchive := func(name string) map[string]tgzEntry {
		GinkgoHelper()
		m := f.create(release.CreateOptions{}).Manifest
		entries, _ := readTgz(f.devArchive("packages", name, packageRef(m, name).Fingerprint))
		return entries
	}

	It("takes a path found in both src/ and blobs/ from src/", func() {
		f.pkg("etcd", "name: etcd\nfiles: [etcd/*.tar.gz]\n")
		f.write("src/etcd/etcd.tar.gz", "from src")
		f.write("blobs/etcd/etcd.tar.gz", "from blobs")
		f.write("blobs/etcd/etcdctl.tar.gz", "only in blobs")

		entries := packageArchive("etcd")
		Expect(entries["./etcd/etcd.tar.gz"].content).To(Equal("from src"))
		Expect(entries["./etcd/etcdctl.tar.gz"].content).To(Equal("only in blobs"))
	})

	It("matches any depth with **, dot files with *, and alternatives with {a,b}", func() {
		f.pkg("app", "name: app\nfiles: ['app/**/*.go', 'app/.*', 'conf/{a,b}.yml']\n")
		f.write("src/app/main.go", "")
		f.write("src/app/cmd/tool/tool.go", "")
		f.write("src/app/README.md", "")
		f.write("src/app/.env", "")
		f.write("src/conf/a.yml", "")
		f.write("src/conf/b.yml", "")
		f.write("src/conf/c.yml", "")

		entries := packageArchive("app")
		Expect(entries).To(HaveKey("./app/main.go"))
		Expect(entries).To(HaveKey("./app/cmd/tool/tool.go"))
		Expect(entries).To(HaveKey("./app/.env"))
		Expect(entries).To(HaveKey("./conf/a.yml"))
		Expect(entries).To(HaveKey("./conf/b.yml"))
		Expect(entries).NotTo(HaveKey("./app/README.md"))
		Expect(entries).NotTo(HaveKey("./conf/c.yml"))
	})

	It("removes what excluded_files matches, in src/ and blobs/", func() {
		f.pkg("app", "name: app\nfiles: [app/**/*]\nexcluded_files: [app/secrets.yml, 'app/**/*_test.go']\n")
		f.write("src/app/main.go", "")
		f.write("src/app/main_test.go", "")
		f.write("src/app/sub/sub_test.go", "")
		f.write("blobs/app/secrets.yml", "")

		entries := packageArchive("app")
		Expect(entries).To(HaveKey("./app/main.go"))
		Expect(entries).NotTo(HaveKey("./app/main_test.go"))
		Expect(entries).NotTo(HaveKey("./app/sub/sub_test.go"))
		Expect(entries).NotTo(HaveKey("./app/secrets.yml"))
	})

	It("archives packaging and the files with normalised modes, but not the spec", func() {
		f.pkg("app", "name: app\nfiles: [app/*]\n")
		f.writeMode("src/app/run", "#!/bin/sh\n", 0o750)
		f.writeMode("src/app/data", "d", 0o600)

		entries := packageArchive("app")
		Expect(entries["./packaging"].mode).To(Equal(int64(0o644)))
		Expect(entries["./app/run"].mode).To(Equal(int64(0o755)))
		Expect(entries["./app/data"].mode).To(Equal(int64(0o644)))
		Expect(entries).NotTo(HaveKey("./spec"))
	})

	It("fails for a pattern that matches no file, naming the package, the pattern and where it looked", func() {
		f.pkg("etcd", "name: etcd\nfiles: [etcd/etcd-v9.tar.gz]\n")
		f.write("src/etcd/README", "")

		err := f.createErr(release.CreateOptions{})
		Expect(err).To(MatchError(release.ErrNoFilesMatch))
		Expect(err.Error()).To(ContainSubstring("package 'etcd'"))
		Expect(err.Error()).To(ContainSubstring("'etcd/etcd-v9.tar.gz'"))
		Expect(err.Error()).To(ContainSubstring(f.path("src")))
		Expect(err.Error()).To(ContainSubstring(f.path("blobs")))
	})

	It("fails for a pattern that matches only directories", func() {
		f.pkg("app", "name: app\nfiles: [app/*]\n")
		Expect(os.MkdirAll(f.path("src/app/empty"), 0o755)).To(Succeed())
		Expect(f.createErr(release.CreateOptions{})).To(MatchError(release.ErrNoFilesMatch))
	})

	It("refuses a pattern that leaves src/ and blobs/", func() {
		f.pkg("app", "name: app\nfiles: ['../acceptance-tests/**/*']\n")
		f.write("acceptance-tests/suite_test.go", "")
		Expect(f.createErr(release.CreateOptions{})).To(MatchError(ContainSubstring("leaves the directory")))
	})

	Describe("symlinks, tracked literally as bosh-cli does", func() {
		It("does not look through a symlinked directory", func() {
			f.write("acceptance-tests/suite_test.go", "package tests\n")
			f.symlink("src/acceptance-tests", "../acceptance-tests")
			f.pkg("acceptance-tests", "name: acceptance-tests\nfiles: [acceptance-tests/**/*]\n")

			err := f.createErr(release.CreateOptions{})
			Expect(err).To(MatchError(release.ErrNoFilesMatch))
			Expect(err.Error()).To(ContainSubstring("symlinks"))
		})

		It("archives a matched symlink, to a file or a directory, as a symlink", func() {
			f.write("acceptance-tests/suite_test.go", "package tests\n")
			f.symlink("src/acceptance-tests", "../acceptance-tests")
			f.write("src/app/real.txt", "real\n")
			f.symlink("src/app/link.txt", "real.txt")
			f.pkg("app", "name: app\nfiles: [app/*, acceptance-tests]\n")

			entries := packageArchive("app")
			Expect(entries["./app/link.txt"].typeflag).To(Equal(byte('2')))
			Expect(entries["./app/link.txt"].linkname).To(Equal("real.txt"))
			Expect(entries["./acceptance-tests"].linkname).To(Equal("../acceptance-tests"))
			Expect(entries).NotTo(HaveKey("./acceptance-tests/suite_test.go"))
		})

		It("fingerprints a symlink by its target path, not the target's content", func() {
			f.write("src/app/real.txt", "one\n")
			f.symlink("src/app/link.txt", "real.txt")
			f.pkg("app", "name: app\nfiles: [app/link.txt]\n")
			first := packageRef(f.create(release.CreateOptions{}).Manifest, "app").Fingerprint

			f.write("src/app/real.txt", "two\n")
			Expect(packageRef(f.create(release.CreateOptions{}).Manifest, "app").Fingerprint).To(Equal(first))

			Expect(os.Remove(f.path("src/app/link.txt"))).To(Succeed())
			f.symlink("src/app/link.txt", "other.txt")
			Expect(packageRef(f.create(release.CreateOptions{}).Manifest, "app").Fingerprint).NotTo(Equal(first))
		})

		It("follows a symlinked job template and archives its content", func() {
			f.write("shared/ctl.erb", "#!/bin/bash\necho shared\n")
			f.write("jobs/web/spec", "name: web\ntemplates: {ctl.erb: bin/ctl}\n")
			f.symlink("jobs/web/templates/ctl.erb", "../../../shared/ctl.erb")

			m := f.create(release.CreateOptions{}).Manifest
			entries, _ := readTgz(f.devArchive("jobs", "web", jobRef(m, "web").Fingerprint))
			Expect(entries["./templates/ctl.erb"].content).To(Equal("#!/bin/bash\necho shared\n"))
			Expect(entries["./templates/ctl.erb"].typeflag).To(Equal(byte('0')))
		})
	})
})
