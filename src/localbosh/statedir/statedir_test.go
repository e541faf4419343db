package statedir_test

import (
	"os"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/statedir"
)

var _ = Describe("paths under the state directory", func() {
	var (
		root string
		dir  statedir.Dir
	)

	BeforeEach(func() {
		root = GinkgoT().TempDir()
		var err error
		dir, err = statedir.New(root)
		Expect(err).NotTo(HaveOccurred())
	})

	It("joins plain names under the directory", func() {
		Expect(dir.Path("deployments", "etcd", "deployment.json")).To(Equal(filepath.Join(root, "deployments", "etcd", "deployment.json")))
		Expect(dir.Path("releases", "etcd", "0+dev.3")).To(Equal(filepath.Join(root, "releases", "etcd", "0+dev.3")))
		Expect(dir.Path()).To(Equal(root))
	})

	DescribeTable("refuses an element that is not one plain name",
		func(elem string) {
			_, err := dir.Path("deployments", elem, "deployment.json")
			Expect(err).To(MatchError(statedir.ErrOutside))
		},
		Entry("..", ".."),
		Entry(".", "."),
		Entry("a climb", "../../etc"),
		Entry("a slash", "a/b"),
		Entry("an absolute path", "/etc"),
		Entry("empty", ""),
		Entry("NUL", "a\x00b"),
		Entry("a newline", "a\nb"),
	)

	It("refuses a path through a symlink, which could lead anywhere", func() {
		outside := GinkgoT().TempDir()
		Expect(os.Mkdir(filepath.Join(root, "deployments"), 0o700)).To(Succeed())
		Expect(os.Symlink(outside, filepath.Join(root, "deployments", "etcd"))).To(Succeed())
		_, err := dir.Path("deployments", "etcd", "deployment.json")
		Expect(err).To(MatchError(ContainSubstring("is a symlink")))
	})

	It("needs an absolute state directory", func() {
		_, err := statedir.New("relative/dir")
		Expect(err).To(MatchError(ContainSubstring("absolute")))
	})
})
