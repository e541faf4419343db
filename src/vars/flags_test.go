package vars_test

import (
	"os"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/vars"
)

var _ = Describe("variable flags", func() {
	DescribeTable("-v decodes YAML values but keeps strings verbatim, as the bosh CLI does",
		func(arg, name string, value any) {
			n, v, err := vars.ParseVarFlag(arg)
			Expect(err).NotTo(HaveOccurred())
			Expect(n).To(Equal(name))
			Expect(v).To(Equal(value))
		},
		Entry("string", "deployment=etcd", "deployment", "etcd"),
		Entry("integer", "instances=3", "instances", 3),
		Entry("boolean", "require_ssl=true", "require_ssl", true),
		Entry("IP address stays a string", "ip=10.244.0.2", "ip", "10.244.0.2"),
		Entry("value containing =", "url=http://a/?b=c", "url", "http://a/?b=c"),
		Entry("quoted string keeps its quotes", `name="etcd"`, "name", `"etcd"`),
		Entry("list", "azs=[z1, z2]", "azs", []any{"z1", "z2"}),
	)

	DescribeTable("-v and --var-file refuse malformed arguments, naming them",
		func(parse func(string) (string, any, error), arg, message string) {
			_, _, err := parse(arg)
			Expect(err).To(MatchError(ContainSubstring(message)))
		},
		Entry("-v without =", vars.ParseVarFlag, "name", "-v 'name': expected the form name=value"),
		Entry("-v without name", vars.ParseVarFlag, "=x", "-v '=x': the variable name before '=' is empty"),
		Entry("-v without value", vars.ParseVarFlag, "name=", "-v 'name=': the value after '=' is empty"),
		Entry("--var-file without path", vars.ReadVarFileFlag, "name=", "--var-file 'name=': the path after '=' is empty"),
		Entry("--var-file with a missing file", vars.ReadVarFileFlag, "name=/nonexistent/file", "--var-file name=/nonexistent/file"),
	)

	It("reads --var-file contents as a string, newlines included", func() {
		path := filepath.Join(GinkgoT().TempDir(), "ca.pem")
		Expect(os.WriteFile(path, []byte("line1\nline2\n"), 0o644)).To(Succeed())
		name, value, err := vars.ReadVarFileFlag("etcd_ca=" + path)
		Expect(err).NotTo(HaveOccurred())
		Expect(name).To(Equal("etcd_ca"))
		Expect(value).To(Equal("line1\nline2\n"))
	})

	Describe("Flags.Load", func() {
		var dir string
		write := func(name, content string) string {
			path := filepath.Join(dir, name)
			Expect(os.WriteFile(path, []byte(content), 0o644)).To(Succeed())
			return path
		}
		BeforeEach(func() { dir = GinkgoT().TempDir() })

		It("gives -v precedence over --var-file over later -l over earlier -l over the store", func() {
			first := write("first.yml", "a: first\nb: first\nc: first\nd: first\ne: first\n")
			second := write("second.yml", "a: second\nb: second\nc: second\n")
			file := write("value.txt", "from-file")
			store := write("store.yml", "a: store\nf: store\n")
			src, err := vars.Flags{
				Vars:      []string{"a=cli"},
				VarFiles:  []string{"b=" + file},
				VarsFiles: []string{first, second},
				VarsStore: store,
			}.Load()
			Expect(err).NotTo(HaveOccurred())

			doc := fromYAML("[((a)), ((b)), ((c)), ((d)), ((f))]")
			out, err := vars.Interpolate(doc, src, vars.Options{ExpectAll: true})
			Expect(err).NotTo(HaveOccurred())
			Expect(out).To(Equal([]any{"cli", "from-file", "second", "first", "store"}))
		})

		It("resolves keys of a certificate given in a -l file", func() {
			file := write("certs.yml", "etcd_ca:\n  certificate: the-ca\n  private_key: the-key\n")
			src, err := vars.Flags{VarsFiles: []string{file}}.Load()
			Expect(err).NotTo(HaveOccurred())
			out, err := vars.Interpolate(fromYAML("[((etcd_ca.certificate)), ((etcd_ca.private_key))]"), src, vars.Options{ExpectAll: true})
			Expect(err).NotTo(HaveOccurred())
			Expect(out).To(Equal([]any{"the-ca", "the-key"}))
		})

		It("names a -l file that is not a map", func() {
			bad := write("bad.yml", "- a\n- b\n")
			_, err := vars.Flags{VarsFiles: []string{bad}}.Load()
			Expect(err).To(MatchError(ContainSubstring("variables file (-l) '" + bad + "' must be a YAML map")))
		})

		It("names a vars store that is not a map", func() {
			bad := write("store.yml", "just text\n")
			_, err := vars.Flags{VarsStore: bad}.Load()
			Expect(err).To(MatchError(ContainSubstring("vars store (--vars-store) '" + bad + "' must be a YAML map")))
		})
	})
})
