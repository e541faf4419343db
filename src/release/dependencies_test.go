package release_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/release"
)

var _ = Describe("Dependencies", func() {
	var f *fixture

	BeforeEach(func() {
		f = newFixture()
	})

	It("fails when a package depends on a package that does not exist, naming both", func() {
		f.pkg("etcd", "name: etcd\ndependencies: [golang-1-linux]\n")

		err := f.createErr(release.CreateOptions{})
		Expect(err).To(MatchError(release.ErrMissingPackage))
		Expect(err.Error()).To(ContainSubstring("package 'etcd' depends on package 'golang-1-linux'"))
	})

	It("fails when a job uses a package that does not exist, naming both", func() {
		f.write("jobs/etcd/spec", "name: etcd\npackages: [etcdfab]\n")

		err := f.createErr(release.CreateOptions{})
		Expect(err).To(MatchError(release.ErrMissingPackage))
		Expect(err.Error()).To(ContainSubstring("job 'etcd' uses package 'etcdfab'"))
	})

	It("detects a dependency cycle and shows it", func() {
		f.pkg("a", "name: a\ndependencies: [b]\n")
		f.pkg("b", "name: b\ndependencies: [c]\n")
		f.pkg("c", "name: c\ndependencies: [a]\n")
		f.pkg("d", "name: d\ndependencies: [a]\n")

		err := f.createErr(release.CreateOptions{})
		Expect(err).To(MatchError(release.ErrDependencyCycle))
		Expect(err.Error()).To(ContainSubstring("a -> b -> c -> a"))
	})

	It("detects a package depending on itself", func() {
		f.pkg("a", "name: a\ndependencies: [a]\n")
		Expect(f.createErr(release.CreateOptions{})).To(MatchError(ContainSubstring("a -> a")))
	})

	It("accepts a diamond of dependencies", func() {
		f.pkg("base", "name: base\n")
		f.pkg("left", "name: left\ndependencies: [base]\n")
		f.pkg("right", "name: right\ndependencies: [base]\n")
		f.pkg("top", "name: top\ndependencies: [left, right]\n")

		m := f.create(release.CreateOptions{}).Manifest
		Expect(packageRef(m, "top").Dependencies).To(Equal([]string{"left", "right"}))
		Expect(packageRef(m, "base").Dependencies).To(BeEmpty())
	})

	It("refuses a package whose spec names another directory", func() {
		f.pkg("etcd", "name: consul\n")
		Expect(f.createErr(release.CreateOptions{})).To(MatchError(ContainSubstring(`package name "consul" does not match its directory "etcd"`)))
	})

	It("refuses a job whose spec lists a template that does not exist", func() {
		f.write("jobs/etcd/spec", "name: etcd\ntemplates: {ctl.erb: bin/ctl}\n")
		Expect(f.createErr(release.CreateOptions{})).To(MatchError(ContainSubstring(`lists template "ctl.erb"`)))
	})
})
