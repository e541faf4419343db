package release_test

import (
	"os/exec"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/release"
)

// git runs git in the fixture's directory with a throwaway identity.
func (f *fixture) git(args ...string) string {
	GinkgoHelper()
	cmd := exec.Command("git", args...)
	cmd.Dir = f.dir
	cmd.Env = append(cmd.Environ(),
		"GIT_AUTHOR_NAME=test", "GIT_AUTHOR_EMAIL=test@example.com",
		"GIT_COMMITTER_NAME=test", "GIT_COMMITTER_EMAIL=test@example.com",
		"GIT_CONFIG_NOSYSTEM=1", "HOME="+f.dir)
	out, err := cmd.CombinedOutput()
	Expect(err).NotTo(HaveOccurred(), string(out))
	return strings.TrimSpace(string(out))
}

var _ = Describe("Git state", func() {
	var f *fixture

	BeforeEach(func() {
		if _, err := exec.LookPath("git"); err != nil {
			Skip("git is not installed")
		}
		f = newFixture()
		f.pkg("app", "name: app\nfiles: [app/*]\n")
		f.write("src/app/main.go", "package main\n")
		f.write(".gitignore", "/dev_releases/\n/.dev_builds/\n")
		f.git("init", "-q")
		f.git("add", "-A")
		f.git("commit", "-q", "-m", "initial")
	})

	It("records the short HEAD commit of a clean working copy", func() {
		m := f.create(release.CreateOptions{}).Manifest
		Expect(m.CommitHash).To(Equal(f.git("rev-parse", "--short", "HEAD")))
		Expect(m.UncommittedChanges).To(BeFalse())
	})

	It("refuses uncommitted changes without --force, naming them", func() {
		f.write("src/app/main.go", "package main // edited\n")

		for _, final := range []bool{false, true} {
			err := f.createErr(release.CreateOptions{Final: final})
			Expect(err).To(MatchError(release.ErrUncommittedChanges))
			Expect(err.Error()).To(ContainSubstring("src/app/main.go"))
			Expect(err.Error()).To(ContainSubstring("--force"))
		}
		Expect(f.path("dev_releases")).NotTo(BeADirectory())
	})

	It("builds with --force and records uncommitted_changes", func() {
		f.write("src/app/new.go", "package main\n")
		m := f.create(release.CreateOptions{Force: true}).Manifest
		Expect(m.UncommittedChanges).To(BeTrue())
		Expect(m.CommitHash).To(Equal(f.git("rev-parse", "--short", "HEAD")))
	})
})
