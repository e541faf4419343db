package release_test

import (
	"os"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/release"
)

var _ = Describe("Fingerprints", func() {
	var f *fixture

	BeforeEach(func() {
		f = newFixture()
	})

	It("gives a job the fingerprint bosh-cli gave it in a published release", func() {
		for _, rel := range []string{"spec", "monit", "templates/handlers.json.erb"} {
			data, err := os.ReadFile(filepath.Join("testdata", "bosh-dns-handlers", rel))
			Expect(err).NotTo(HaveOccurred())
			f.write("jobs/bosh-dns-handlers/"+rel, string(data))
		}
		m := f.create(release.CreateOptions{}).Manifest
		Expect(jobRef(m, "bosh-dns-handlers").Fingerprint).To(Equal("e19410d5afbd770824cd28d0eec056b0a70177594297ae04862087f64603fcc6"))
	})

	It("fingerprints a package from its files' paths, digests and modes, packaging without a mode, and its sorted dependencies", func() {
		f.pkg("b", "name: b\n")
		f.pkg("z", "name: z\n")
		f.write("packages/a/spec", "name: a\ndependencies: [z, b]\nfiles: [a/**/*]\n")
		f.writeMode("packages/a/packaging", "make install\n", 0o755)
		f.writeMode("src/a/run.sh", "#!/bin/sh\n", 0o755)
		f.write("src/a/x.txt", "x\n")

		m := f.create(release.CreateOptions{}).Manifest
		want := sha256Hex("v2" +
			"a/run.sh" + digest("#!/bin/sh\n") + "100755" +
			"a/x.txt" + digest("x\n") + "100644" +
			"packaging" + digest("make install\n") +
			"b,z")
		Expect(packageRef(m, "a").Fingerprint).To(Equal(want))
		Expect(packageRef(m, "a").Version).To(Equal(want))
	})

	Describe("stability and sensitivity", func() {
		BeforeEach(func() {
			f.pkg("dep", "name: dep\n")
			f.pkg("app", "name: app\ndependencies: [dep]\nfiles: [app/**/*]\nexcluded_files: [app/*.log]\n")
			f.write("src/app/main.go", "package main\n")
			f.write("src/app/debug.log", "noise\n")
			f.write("jobs/web/spec", "name: web\ntemplates: {ctl.erb: bin/ctl}\npackages: [app]\n")
			f.write("jobs/web/monit", "check process web\n")
			f.write("jobs/web/templates/ctl.erb", "#!/bin/bash\n")
		})

		fingerprints := func() (app, dep, web string) {
			m := f.create(release.CreateOptions{}).Manifest
			return packageRef(m, "app").Fingerprint, packageRef(m, "dep").Fingerprint, jobRef(m, "web").Fingerprint
		}

		It("does not change when nothing changes, or when only an excluded file or the packaging script's mode does", func() {
			app, dep, web := fingerprints()
			f.write("src/app/debug.log", "other noise\n")
			Expect(os.Chmod(f.path("packages/app/packaging"), 0o755)).To(Succeed())
			app2, dep2, web2 := fingerprints()
			Expect([]string{app2, dep2, web2}).To(Equal([]string{app, dep, web}))
		})

		It("changes with a file's content, mode or name", func() {
			app, _, _ := fingerprints()

			f.write("src/app/main.go", "package main // changed\n")
			changedContent, _, _ := fingerprints()
			Expect(changedContent).NotTo(Equal(app))

			Expect(os.Chmod(f.path("src/app/main.go"), 0o755)).To(Succeed())
			changedMode, _, _ := fingerprints()
			Expect(changedMode).NotTo(Equal(changedContent))

			Expect(os.Rename(f.path("src/app/main.go"), f.path("src/app/app.go"))).To(Succeed())
			renamed, _, _ := fingerprints()
			Expect(renamed).NotTo(Equal(changedMode))
		})

		It("changes a package's fingerprint with its dependencies, but not its dependencies' content", func() {
			app, dep, _ := fingerprints()

			f.write("packages/dep/packaging", "echo changed\n")
			app2, dep2, _ := fingerprints()
			Expect(dep2).NotTo(Equal(dep))
			Expect(app2).To(Equal(app))

			f.pkg("extra", "name: extra\n")
			f.write("packages/app/spec", "name: app\ndependencies: [dep, extra]\nfiles: [app/**/*]\nexcluded_files: [app/*.log]\n")
			app3, _, _ := fingerprints()
			Expect(app3).NotTo(Equal(app))
		})

		It("changes a job's fingerprint with its spec, monit or templates", func() {
			_, _, web := fingerprints()

			f.write("jobs/web/monit", "check process web2\n")
			_, _, web2 := fingerprints()
			Expect(web2).NotTo(Equal(web))

			f.write("jobs/web/templates/ctl.erb", "#!/bin/bash\nexit 0\n")
			_, _, web3 := fingerprints()
			Expect(web3).NotTo(Equal(web2))

			f.write("jobs/web/spec", "name: web\ntemplates: {ctl.erb: bin/ctl}\npackages: [app]\nproperties: {port: {default: 1}}\n")
			_, _, web4 := fingerprints()
			Expect(web4).NotTo(Equal(web3))
		})

		It("ignores files under a job's templates/ that the spec does not list", func() {
			_, _, web := fingerprints()
			f.write("jobs/web/templates/unused.erb", "not a template\n")
			_, _, web2 := fingerprints()
			Expect(web2).To(Equal(web))
		})
	})
})
