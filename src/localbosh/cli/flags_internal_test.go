package cli

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("flagParser", func() {
	var (
		list    []string
		skip    []string
		recent  *int
		name    string
		verbose bool
		fs      *flagSet
	)

	BeforeEach(func() {
		list, skip, recent, name, verbose = nil, nil, nil, "", false
		fs = &flagSet{}
		fs.listFlag(&list, "ops-file", "o", "PATH", "")
		fs.optionalListFlag(&skip, "skip-drain", "GROUP", "*", "")
		fs.optionalIntFlag(&recent, "recent", "r", "N", 30, "")
		fs.stringFlag(&name, "deployment", "d", "NAME", "").env = "BOSH_DEPLOYMENT"
		fs.boolFlag(&verbose, "non-interactive", "n", "")
	})

	It("takes flags among the positional arguments in every form", func() {
		args, err := newFlagParser(fs).parse([]string{"a", "-o", "1", "--ops-file=2", "b", "-o3", "--ops-file", "4", "-nd", "dep"}, false)
		Expect(err).NotTo(HaveOccurred())
		Expect(args).To(Equal([]string{"a", "b"}))
		Expect(list).To(Equal([]string{"1", "2", "3", "4"}))
		Expect(verbose).To(BeTrue())
		Expect(name).To(Equal("dep"))
	})

	It("gives an optional value only after '=', its default otherwise", func() {
		args, err := newFlagParser(fs).parse([]string{"--skip-drain", "x", "--skip-drain=web", "--recent"}, false)
		Expect(err).NotTo(HaveOccurred())
		Expect(args).To(Equal([]string{"x"}))
		Expect(skip).To(Equal([]string{"*", "web"}))
		Expect(*recent).To(Equal(30))

		_, err = newFlagParser(fs).parse([]string{"-r=5"}, false)
		Expect(err).NotTo(HaveOccurred())
		Expect(*recent).To(Equal(5))
	})

	It("stops at the first positional argument when asked, to find the command", func() {
		rest, err := newFlagParser(fs).parse([]string{"-n", "deploy", "-o", "x"}, true)
		Expect(err).NotTo(HaveOccurred())
		Expect(rest).To(Equal([]string{"deploy", "-o", "x"}))
		Expect(list).To(BeEmpty())
	})

	It("reads the environment only for flags the command line did not give", func() {
		env := map[string]string{"BOSH_DEPLOYMENT": "from-env"}
		p := newFlagParser(fs)
		Expect(p.applyEnv(func(k string) string { return env[k] })).To(Succeed())
		Expect(name).To(Equal("from-env"))

		p = newFlagParser(fs)
		_, err := p.parse([]string{"-d", "from-flag"}, false)
		Expect(err).NotTo(HaveOccurred())
		Expect(p.applyEnv(func(k string) string { return env[k] })).To(Succeed())
		Expect(name).To(Equal("from-flag"))
	})

	It("reports errors as usage errors", func() {
		_, err := newFlagParser(fs).parse([]string{"--nope"}, false)
		Expect(err).To(BeAssignableToTypeOf(&UsageError{}))
		Expect(err).To(MatchError("unknown flag `nope'"))
	})
})
