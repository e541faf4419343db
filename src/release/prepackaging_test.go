package release_test

import (
	"bytes"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/release"
)

var _ = Describe("pre_packaging", func() {
	var f *fixture

	BeforeEach(func() {
		f = newFixture()
		f.pkg("app", "name: app\nfiles: [app/*]\n")
		f.write("src/app/main.go", "package main\n")
		f.write("src/app/generate.txt", "from src\n")
	})

	It("runs with bash -x in a staging copy with BUILD_DIR and RELEASE_DIR, and is left out of the archive", func() {
		f.write("packages/app/pre_packaging", `set -e
test "$PWD" = "$BUILD_DIR"
echo "$RELEASE_DIR" > release_dir.txt
cat app/generate.txt > app/generated.txt
rm app/generate.txt
`)
		var output bytes.Buffer
		created := f.create(release.CreateOptions{ScriptOutput: &output})

		entries, _ := readTgz(f.devArchive("packages", "app", packageRef(created.Manifest, "app").Fingerprint))
		Expect(entries["./release_dir.txt"].content).To(Equal(f.dir + "\n"))
		Expect(entries["./app/generated.txt"].content).To(Equal("from src\n"))
		Expect(entries).NotTo(HaveKey("./app/generate.txt"))
		Expect(entries).To(HaveKey("./app/main.go"))
		Expect(entries).To(HaveKey("./packaging"))
		Expect(entries).NotTo(HaveKey("./pre_packaging"))
		Expect(output.String()).To(ContainSubstring("+ cat app/generate.txt"))
		Expect(f.path("src/app/generate.txt")).To(BeARegularFile(), "the script must not touch the sources")
	})

	It("is part of the fingerprint", func() {
		f.write("packages/app/pre_packaging", "true\n")
		first := packageRef(f.create(release.CreateOptions{}).Manifest, "app").Fingerprint
		f.write("packages/app/pre_packaging", "true # changed\n")
		Expect(packageRef(f.create(release.CreateOptions{}).Manifest, "app").Fingerprint).NotTo(Equal(first))
	})

	It("fails the build when the script fails, showing its output", func() {
		f.write("packages/app/pre_packaging", "echo about to fail\nexit 3\n")
		err := f.createErr(release.CreateOptions{})
		Expect(err).To(MatchError(ContainSubstring("package 'app'")))
		Expect(err.Error()).To(ContainSubstring("about to fail"))
		Expect(err.Error()).To(ContainSubstring("exit status 3"))
	})
})
