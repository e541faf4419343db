package release_test

import (
	"os"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"gopkg.in/yaml.v3"

	"github.com/cloudfoundry-incubator/etcd-release/src/release"
)

// releaseIndexVersions reads dev_releases/<name>/index.yml or releases/<name>/index.yml.
func releaseIndexVersions(path string) []string {
	GinkgoHelper()
	data, err := os.ReadFile(path)
	Expect(err).NotTo(HaveOccurred())
	var ix struct {
		Builds        map[string]struct{ Version string }
		FormatVersion string `yaml:"format-version"`
	}
	Expect(yaml.Unmarshal(data, &ix)).To(Succeed())
	Expect(ix.FormatVersion).To(Equal("2"))
	var versions []string
	for _, b := range ix.Builds {
		versions = append(versions, b.Version)
	}
	return versions
}

func readManifest(path string) release.Manifest {
	GinkgoHelper()
	data, err := os.ReadFile(path)
	Expect(err).NotTo(HaveOccurred())
	var m release.Manifest
	Expect(yaml.Unmarshal(data, &m)).To(Succeed())
	return m
}

var _ = Describe("Dev releases", func() {
	var f *fixture

	BeforeEach(func() {
		f = newFixture()
		f.pkg("app", "name: app\nfiles: [app/*]\n")
		f.write("src/app/main.go", "package main\n")
		f.write("jobs/web/spec", "name: web\npackages: [app]\n")
	})

	It("numbers dev versions 0+dev.1, 0+dev.2, ... and records each, even when nothing changed", func() {
		first := f.create(release.CreateOptions{})
		second := f.create(release.CreateOptions{})

		Expect(first.Manifest.Version).To(Equal("0+dev.1"))
		Expect(second.Manifest.Version).To(Equal("0+dev.2"))
		Expect(first.ManifestPath).To(Equal(f.path("dev_releases/demo/demo-0+dev.1.yml")))
		Expect(readManifest(second.ManifestPath)).To(Equal(second.Manifest))
		Expect(releaseIndexVersions(f.path("dev_releases/demo/index.yml"))).To(ConsistOf("0+dev.1", "0+dev.2"))
	})

	It("records the version given, as create-release --version does, once", func() {
		Expect(f.create(release.CreateOptions{Version: "0"}).Manifest.Version).To(Equal("0"))
		Expect(f.create(release.CreateOptions{}).Manifest.Version).To(Equal("0+dev.1"))
		Expect(f.createErr(release.CreateOptions{Version: "0"})).To(MatchError(ContainSubstring("already")))
		Expect(f.createErr(release.CreateOptions{Version: "x.1"})).To(MatchError(ContainSubstring("not a non-negative integer")))
	})

	It("writes a manifest in bosh-cli's shape", func() {
		m := f.create(release.CreateOptions{}).Manifest
		Expect(m.Name).To(Equal("demo"))
		Expect(m.CommitHash).To(Equal("non-git"))
		Expect(m.UncommittedChanges).To(BeFalse())
		app := packageRef(m, "app")
		Expect(app.Version).To(Equal(app.Fingerprint))
		Expect(app.SHA1).To(Equal(sha256Of(f.devArchive("packages", "app", app.Fingerprint))))
		web := jobRef(m, "web")
		Expect(web.Packages).To(Equal([]string{"app"}))
		Expect(web.SHA1).To(HavePrefix("sha256:"))
	})

	It("reuses cached archives by fingerprint and rebuilds only what changed", func() {
		first := f.create(release.CreateOptions{})
		Expect(first.Built).To(ConsistOf("packages/app", "jobs/web"))
		cached := f.devArchive("packages", "app", packageRef(first.Manifest, "app").Fingerprint)
		before, err := os.Stat(cached)
		Expect(err).NotTo(HaveOccurred())

		Expect(f.create(release.CreateOptions{}).Built).To(BeEmpty())
		after, err := os.Stat(cached)
		Expect(err).NotTo(HaveOccurred())
		Expect(os.SameFile(before, after)).To(BeTrue())
		Expect(after.ModTime()).To(Equal(before.ModTime()))

		f.write("jobs/web/monit", "check process web\n")
		Expect(f.create(release.CreateOptions{}).Built).To(ConsistOf("jobs/web"))
	})

	It("rebuilds a cached archive that was damaged", func() {
		first := f.create(release.CreateOptions{})
		cached := f.devArchive("packages", "app", packageRef(first.Manifest, "app").Fingerprint)
		Expect(os.WriteFile(cached, []byte("garbage"), 0o644)).To(Succeed())

		second := f.create(release.CreateOptions{})
		Expect(second.Built).To(ConsistOf("packages/app"))
		Expect(packageRef(second.Manifest, "app").SHA1).To(Equal(packageRef(first.Manifest, "app").SHA1))
	})

	It("continues dev numbering from the latest final release", func() {
		f.create(release.CreateOptions{})
		final := f.create(release.CreateOptions{Final: true})
		Expect(final.Manifest.Version).To(Equal("1"))

		Expect(f.create(release.CreateOptions{}).Manifest.Version).To(Equal("1+dev.1"))
		Expect(f.create(release.CreateOptions{}).Manifest.Version).To(Equal("1+dev.2"))
	})
})
