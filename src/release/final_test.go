package release_test

import (
	"os"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"gopkg.in/yaml.v3"

	"github.com/cloudfoundry-incubator/etcd-release/src/release"
)

type finalBuild struct {
	Version     string `yaml:"version"`
	BlobstoreID string `yaml:"blobstore_id"`
	SHA1        string `yaml:"sha1"`
}

// finalBuilds reads .final_builds/<kind>/<name>/index.yml.
func (f *fixture) finalBuilds(kind, name string) map[string]finalBuild {
	GinkgoHelper()
	data, err := os.ReadFile(f.path(".final_builds/" + kind + "/" + name + "/index.yml"))
	Expect(err).NotTo(HaveOccurred())
	var ix struct {
		Builds        map[string]finalBuild `yaml:"builds"`
		FormatVersion string                `yaml:"format-version"`
	}
	Expect(yaml.Unmarshal(data, &ix)).To(Succeed())
	Expect(ix.FormatVersion).To(Equal("2"))
	return ix.Builds
}

var _ = Describe("Final releases", func() {
	var f *fixture

	BeforeEach(func() {
		f = newFixture()
		f.pkg("app", "name: app\nfiles: [app/*]\n")
		f.write("src/app/main.go", "package main\n")
		f.write("jobs/web/spec", "name: web\npackages: [app]\n")
	})

	It("records version 1 in releases/ and every archive in .final_builds/ and the blobstore", func() {
		created := f.create(release.CreateOptions{Final: true})

		Expect(created.Manifest.Version).To(Equal("1"))
		Expect(created.ManifestPath).To(Equal(f.path("releases/demo/demo-1.yml")))
		Expect(readManifest(created.ManifestPath)).To(Equal(created.Manifest))
		Expect(releaseIndexVersions(f.path("releases/demo/index.yml"))).To(ConsistOf("1"))

		for _, ref := range []struct{ kind, name, fp, sha string }{
			{"packages", "app", packageRef(created.Manifest, "app").Fingerprint, packageRef(created.Manifest, "app").SHA1},
			{"jobs", "web", jobRef(created.Manifest, "web").Fingerprint, jobRef(created.Manifest, "web").SHA1},
		} {
			builds := f.finalBuilds(ref.kind, ref.name)
			Expect(builds).To(HaveKey(ref.fp))
			build := builds[ref.fp]
			Expect(build.Version).To(Equal(ref.fp))
			Expect(build.SHA1).To(Equal(ref.sha))
			Expect(sha256Of(filepath.Join(f.blobstore, build.BlobstoreID))).To(Equal(ref.sha))
		}
	})

	It("records a dev release first, as bosh-cli does", func() {
		f.create(release.CreateOptions{Final: true})
		Expect(releaseIndexVersions(f.path("dev_releases/demo/index.yml"))).To(ConsistOf("0+dev.1"))
	})

	It("numbers the next final release 2 and uploads only what changed", func() {
		first := f.create(release.CreateOptions{Final: true})
		appBlob := f.finalBuilds("packages", "app")[packageRef(first.Manifest, "app").Fingerprint].BlobstoreID

		f.write("jobs/web/monit", "check process web\n")
		second := f.create(release.CreateOptions{Final: true})

		Expect(second.Manifest.Version).To(Equal("2"))
		Expect(f.finalBuilds("packages", "app")).To(HaveLen(1))
		Expect(f.finalBuilds("packages", "app")[packageRef(second.Manifest, "app").Fingerprint].BlobstoreID).To(Equal(appBlob))
		Expect(f.finalBuilds("jobs", "web")).To(HaveLen(2))
		blobs, err := os.ReadDir(f.blobstore)
		Expect(err).NotTo(HaveOccurred())
		Expect(blobs).To(HaveLen(3))
	})

	It("uses final builds when the dev cache is gone", func() {
		first := f.create(release.CreateOptions{Final: true})
		Expect(os.RemoveAll(f.path(".dev_builds"))).To(Succeed())

		again := f.create(release.CreateOptions{})
		Expect(again.Built).To(BeEmpty())
		Expect(packageRef(again.Manifest, "app").SHA1).To(Equal(packageRef(first.Manifest, "app").SHA1))
	})

	It("refuses a final release without a blobstore", func() {
		f.write("config/final.yml", "name: demo\n")
		Expect(f.createErr(release.CreateOptions{Final: true})).To(MatchError(ContainSubstring("blobstore_path")))
	})

	It("fetches a blob that config/blobs.yml records as uploaded but blobs/ lacks", func() {
		f.pkg("etcd", "name: etcd\nfiles: [etcd/etcd.tgz]\n")
		Expect(os.MkdirAll(f.blobstore, 0o755)).To(Succeed())
		Expect(os.WriteFile(filepath.Join(f.blobstore, "0b1d0b1d-0000-4000-8000-000000000001"), []byte("etcd binaries"), 0o644)).To(Succeed())
		f.write("config/blobs.yml", "etcd/etcd.tgz:\n  size: 13\n  object_id: 0b1d0b1d-0000-4000-8000-000000000001\n  sha: "+digest("etcd binaries")+"\n")

		f.create(release.CreateOptions{})
		data, err := os.ReadFile(f.path("blobs/etcd/etcd.tgz"))
		Expect(err).NotTo(HaveOccurred())
		Expect(string(data)).To(Equal("etcd binaries"))
	})

	It("refuses a blob from the blobstore whose digest differs from config/blobs.yml", func() {
		f.pkg("etcd", "name: etcd\nfiles: [etcd/etcd.tgz]\n")
		Expect(os.MkdirAll(f.blobstore, 0o755)).To(Succeed())
		Expect(os.WriteFile(filepath.Join(f.blobstore, "0b1d0b1d-0000-4000-8000-000000000001"), []byte("tampered"), 0o644)).To(Succeed())
		f.write("config/blobs.yml", "etcd/etcd.tgz:\n  size: 13\n  object_id: 0b1d0b1d-0000-4000-8000-000000000001\n  sha: "+digest("etcd binaries")+"\n")

		err := f.createErr(release.CreateOptions{})
		Expect(err).To(MatchError(release.ErrDigestMismatch))
		Expect(err.Error()).To(ContainSubstring("etcd/etcd.tgz"))
		Expect(f.path("blobs/etcd/etcd.tgz")).NotTo(BeAnExistingFile())
	})
})
