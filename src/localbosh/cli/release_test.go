package cli_test

import (
	"os"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// newReleaseDir writes a release directory with one job and one package.
func newReleaseDir() string {
	GinkgoHelper()
	dir := filepath.Join(GinkgoT().TempDir(), "demo-release")
	writeFile(dir, "config/final.yml", "name: demo\n")
	writeFile(dir, "jobs/web/spec", "name: web\ntemplates: {ctl.erb: bin/ctl}\npackages: [app]\n")
	writeFile(dir, "jobs/web/monit", "check process web\n")
	writeFile(dir, "jobs/web/templates/ctl.erb", "#!/bin/bash\n")
	writeFile(dir, "packages/app/spec", "name: app\nfiles: [app/**/*]\n")
	writeFile(dir, "packages/app/packaging", "cp -a . ${BOSH_INSTALL_TARGET}\n")
	writeFile(dir, "src/app/main.sh", "echo hello\n")
	return dir
}

var _ = Describe("create-release and upload-release", func() {
	var (
		d   *testDirector
		dir string
	)

	BeforeEach(func() {
		d = startDirector()
		dir = newReleaseDir()
	})

	It("creates a dev release and prints it as bosh does", func() {
		res := runCLI(map[string]string{}, "--tty", "create-release", dir)
		Expect(res.code).To(Equal(0), res.stderr)
		Expect(filepath.Join(dir, "dev_releases", "demo", "demo-0+dev.1.yml")).To(BeAnExistingFile())
		Expect(res.lines()).To(ContainElement(MatchRegexp(`^Added package 'app/[0-9a-f]{40,}'$`)))
		Expect(res.lines()).To(ContainElement(MatchRegexp(`^Added job 'web/[0-9a-f]{40,}'$`)))
		Expect(res.lines()).To(ContainElement("Added dev release 'demo/0+dev.1'"))
		Expect(res.lines()).To(ContainElement(MatchRegexp(`^Name +demo\s*$`)))
		Expect(res.lines()).To(ContainElement(MatchRegexp(`^Version +0\+dev\.1\s*$`)))
		Expect(res.lines()).To(ContainElement(MatchRegexp(`^Commit Hash +non-git\s*$`)))
		_, jobs := tableRows(res.stdout, "Job")
		Expect(jobs).To(HaveLen(1))
		Expect(jobs[0][0]).To(HavePrefix("web/"))
		Expect(jobs[0][1]).To(HavePrefix("sha256:"))
		Expect(jobs[0][2]).To(Equal("app"))
		Expect(res.lines()).To(ContainElement("1 jobs"))
		Expect(res.lines()).To(ContainElement("1 packages"))
	})

	It("uploads the latest dev release of the release directory when given no tarball", func() {
		Expect(runCLI(map[string]string{}, "create-release", "--dir", dir).code).To(Equal(0))
		Expect(runCLI(map[string]string{}, "create-release", "--dir", dir).code).To(Equal(0))

		res := runCLI(d.env(), "--tty", "upload-release", "--dir", dir)
		Expect(res.code).To(Equal(0), res.stderr)
		uploads := d.Backend.UploadedReleases()
		Expect(uploads).To(HaveLen(1))
		Expect(uploads[0].Name).To(Equal("demo"))
		Expect(uploads[0].Version).To(Equal("0+dev.2"))
		Expect(uploads[0].Jobs).To(HaveLen(1))
		Expect(uploads[0].Packages).To(HaveLen(1))
		Expect(res.lines()).To(ContainElement(MatchRegexp(`^Task \d+\. Done$`))) // the fake reports no events

		res = runCLI(d.env(), "--tty", "releases")
		Expect(res.code).To(Equal(0), res.stderr)
		header, rows := tableRows(res.stdout, "Name")
		Expect(header).To(Equal([]string{"Name", "Version", "Commit Hash"}))
		Expect(rows).To(Equal([][]string{{"demo", "0+dev.2", "non-git"}}))
	})

	It("uploads a tarball made with create-release --tarball", func() {
		tarball := filepath.Join(GinkgoT().TempDir(), "demo.tgz")
		res := runCLI(map[string]string{}, "--tty", "create-release", dir, "--tarball", tarball)
		Expect(res.code).To(Equal(0), res.stderr)
		Expect(res.lines()).To(ContainElement(MatchRegexp(`^Archive +` + tarball + `\s*$`)))

		res = runCLI(d.env(), "upload-release", tarball)
		Expect(res.code).To(Equal(0), res.stderr)
		Expect(d.Backend.UploadedReleases()).To(ConsistOf(HaveField("Version", "0+dev.1")))
	})

	It("says to run create-release first when there is no dev release", func() {
		res := runCLI(d.env(), "upload-release", "--dir", dir)
		Expect(res.code).To(Equal(1))
		Expect(res.stderr).To(ContainSubstring("has no dev release of 'demo' yet: run create-release first"))
	})

	It("refuses to upload a dev release whose cached archive changed", func() {
		Expect(runCLI(map[string]string{}, "create-release", dir).code).To(Equal(0))
		archives, err := filepath.Glob(filepath.Join(dir, ".dev_builds", "jobs", "web", "*.tgz"))
		Expect(err).NotTo(HaveOccurred())
		Expect(archives).To(HaveLen(1))
		Expect(os.WriteFile(archives[0], []byte("tampered"), 0o644)).To(Succeed())

		res := runCLI(d.env(), "upload-release", "--dir", dir)
		Expect(res.code).To(Equal(1))
		Expect(res.stderr).To(ContainSubstring("the release manifest records sha256:"))
		Expect(d.Backend.UploadedReleases()).To(BeEmpty())
	})

	It("fails the upload task when the tarball is not a release", func() {
		bogus := writeFile(GinkgoT().TempDir(), "bogus.tgz", "not a tarball")
		res := runCLI(d.env(), "upload-release", bogus)
		Expect(res.code).To(Equal(1))
		Expect(res.stderr).To(ContainSubstring("ended in state 'error'"))
	})
})
