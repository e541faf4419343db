package boshname_test

import (
	"errors"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/boshname"
)

var _ = Describe("BOSH's name rules", func() {
	DescribeTable("identifiers (deployments, releases, versions, jobs, packages, stemcells)",
		func(name string, valid bool) {
			err := boshname.Identifier.Check("deployment name", name)
			if valid {
				Expect(err).NotTo(HaveOccurred())
				return
			}
			Expect(err).To(MatchError(ContainSubstring("deployment name")))
			Expect(err).To(MatchError(ContainSubstring("letters, digits")))
			var ne *boshname.Error
			Expect(errors.As(err, &ne)).To(BeTrue())
			Expect(ne.Field).To(Equal("deployment name"))
			Expect(ne.Value).To(Equal(name))
		},
		Entry("a plain name", "etcd", true),
		Entry("dots, dashes, underscores and plus", "etcd_v3.6+dev-1", true),
		Entry("a dev version", "0+dev.12", true),
		Entry("dots inside", "a..b", true),
		Entry("empty", "", false),
		Entry(".", ".", false),
		Entry("..", "..", false),
		Entry("a climb", "../x", false),
		Entry("a slash", "a/b", false),
		Entry("a backslash", `a\b`, false),
		Entry("URL-escaped dots (not decoded here)", "%2e%2e", false),
		Entry("NUL", "a\x00b", false),
		Entry("a newline", "a\nb", false),
		Entry("a trailing newline", "ab\n", false),
		Entry("a space", "a b", false),
		Entry("a variable", "((name))", false),
		Entry("255 characters", strings.Repeat("a", 255), true),
		Entry("256 characters", strings.Repeat("a", 256), false),
	)

	DescribeTable("variable names",
		func(name string, valid bool) {
			Expect(boshname.Variable.Valid(name)).To(Equal(valid))
		},
		Entry("plain", "etcd_ca", true),
		Entry("with slashes", "/director/dep/etcd-ca", true),
		Entry("a dot", "etcd.ca", false),
		Entry("a climb", "../x", false),
		Entry("a double slash", "a//b", false),
		Entry("a trailing slash", "a/", false),
		Entry("a newline", "a\nb", false),
	)

	DescribeTable("task ids",
		func(id string, valid bool) { Expect(boshname.TaskID.Valid(id)).To(Equal(valid)) },
		Entry("1", "1", true),
		Entry("42", "42", true),
		Entry("0", "0", false),
		Entry("negative", "-1", false),
		Entry("leading zero", "01", false),
		Entry("a climb", "../1", false),
		Entry("letters", "abc", false),
	)

	It("quotes the value so that control characters show", func() {
		Expect(boshname.Identifier.Check("release version", "1\n2").Error()).To(HavePrefix(`release version "1\n2" is not valid: `))
	})
})
