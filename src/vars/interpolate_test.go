package vars_test

import (
	"errors"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/vars"
)

var _ = Describe("Interpolate", func() {
	static := vars.Static{
		"deployment": "etcd",
		"instances":  3,
		"ssl":        true,
		"azs":        []any{"z1", "z2"},
		"etcd_server": map[string]any{
			"certificate": "CERT",
			"private_key": "KEY",
			"nested":      map[string]any{"deep": "value"},
		},
	}
	interpolate := func(text string, opts vars.Options) (any, error) {
		return vars.Interpolate(fromYAML(text), vars.Sources{Static: static}, opts)
	}

	It("takes (( name )) with the one space the bosh CLI allows, and absolute ((/a/b)) names", func() {
		out, err := vars.Interpolate(fromYAML("a: (( deployment ))\nb: x-(( deployment ))\nc: ((/director/dep/secret))\nd: ((  deployment  ))\n"),
			vars.Sources{Static: vars.Static{"deployment": "etcd", "/director/dep/secret": "s3cret"}}, vars.Options{})
		Expect(err).NotTo(HaveOccurred())
		Expect(out).To(Equal(fromYAML("a: etcd\nb: x-etcd\nc: s3cret\nd: ((  deployment  ))\n")), "two spaces are not a variable for the CLI")
	})

	It("replaces nested values, keeping the type of whole values", func() {
		out, err := interpolate(`
name: ((deployment))
instance_groups:
- name: etcd
  instances: ((instances))
  azs: ((azs))
  jobs:
  - name: etcd
    properties:
      etcd:
        require_ssl: ((ssl))
        server: ((etcd_server))
`, vars.Options{ExpectAll: true})
		Expect(err).NotTo(HaveOccurred())
		Expect(out).To(Equal(fromYAML(`
name: etcd
instance_groups:
- name: etcd
  instances: 3
  azs: [z1, z2]
  jobs:
  - name: etcd
    properties:
      etcd:
        require_ssl: true
        server: {certificate: CERT, private_key: KEY, nested: {deep: value}}
`)))
	})

	It("reads keys inside a value with ((name.key))", func() {
		out, err := interpolate("{cert: ((etcd_server.certificate)), deep: ((etcd_server.nested.deep))}", vars.Options{})
		Expect(err).NotTo(HaveOccurred())
		Expect(out).To(Equal(map[string]any{"cert": "CERT", "deep": "value"}))
	})

	It("substitutes strings and integers inside longer strings", func() {
		out, err := interpolate(`url: "https://((deployment))-((instances)).example:2379/((deployment))"`, vars.Options{})
		Expect(err).NotTo(HaveOccurred())
		Expect(out).To(Equal(map[string]any{"url": "https://etcd-3.example:2379/etcd"}))
	})

	It("refuses to place a map or boolean inside a string, naming the variable", func() {
		_, err := interpolate(`x: "cert: ((etcd_server))"`, vars.Options{})
		Expect(err).To(MatchError(ContainSubstring("variable 'etcd_server' is a map, which cannot be placed inside the string 'cert: ((etcd_server))'")))
		_, err = interpolate(`x: "ssl=((ssl))"`, vars.Options{})
		Expect(err).To(MatchError(ContainSubstring("variable 'ssl' is a boolean")))
	})

	It("interpolates map keys", func() {
		out, err := interpolate("((deployment))_key: 1", vars.Options{})
		Expect(err).NotTo(HaveOccurred())
		Expect(out).To(Equal(map[string]any{"etcd_key": 1}))
	})

	It("resolves ((!name)) like ((name)), as the bosh CLI does", func() {
		out, err := interpolate("[((!deployment)), 'a-((!instances))']", vars.Options{})
		Expect(err).NotTo(HaveOccurred())
		Expect(out).To(Equal([]any{"etcd", "a-3"}))
	})

	It("expands dotted -v names into maps", func() {
		src := vars.Sources{Static: vars.Static{"ca.certificate": "C", "ca.private_key": "K"}}
		out, err := vars.Interpolate(fromYAML("((ca))"), src, vars.Options{ExpectAll: true})
		Expect(err).NotTo(HaveOccurred())
		Expect(out).To(Equal(map[string]any{"certificate": "C", "private_key": "K"}))
	})

	It("names the missing key of a ((name.key)) reference", func() {
		_, err := interpolate("x: ((etcd_server.ca))", vars.Options{})
		Expect(err).To(MatchError(ContainSubstring("finding variable 'etcd_server.ca': Expected to find a map key 'ca' for path '/ca' (found map keys: 'certificate', 'nested', 'private_key')")))
	})

	It("leaves unresolved references in place without ExpectAll", func() {
		out, err := interpolate("{a: ((nope)), b: 'x-((nope2))', c: ((deployment))}", vars.Options{})
		Expect(err).NotTo(HaveOccurred())
		Expect(out).To(Equal(map[string]any{"a": "((nope))", "b": "x-((nope2))", "c": "etcd"}))
	})

	It("lists every missing variable, sorted, with ExpectAll", func() {
		_, err := interpolate(`
a: ((zeta))
b: "x-((alpha.key))"
c: [((mid)), ((zeta))]
variables:
- name: declared_password
  type: password
`, vars.Options{ExpectAll: true})
		var missing *vars.MissingError
		Expect(errors.As(err, &missing)).To(BeTrue())
		Expect(missing.Names).To(Equal([]string{"alpha", "declared_password", "mid", "zeta"}))
		Expect(err.Error()).To(HavePrefix("Expected to find variables: alpha, declared_password, mid, zeta"))
	})

	It("does not change the input document", func() {
		doc := fromYAML("{a: ((deployment)), b: [((instances))]}")
		_, err := vars.Interpolate(doc, vars.Sources{Static: static}, vars.Options{})
		Expect(err).NotTo(HaveOccurred())
		Expect(doc).To(Equal(fromYAML("{a: ((deployment)), b: [((instances))]}")))
	})

	It("refuses a malformed variables section, naming the entry", func() {
		_, err := interpolate("variables: [{name: a, type: password}, {type: password}]", vars.Options{})
		Expect(err).To(MatchError(ContainSubstring("manifest variables[1]: 'name' must be a non-empty string")))
		_, err = interpolate("variables: [{name: a}, {name: a}]", vars.Options{})
		Expect(err).To(MatchError(ContainSubstring("variable 'a' is declared twice")))
	})
})

var _ = Describe("Marshal", func() {
	It("prints map keys sorted and PEM strings as literal blocks", func() {
		out, err := vars.Marshal(map[string]any{"zeta": 1, "alpha": map[string]any{"b": 2, "a": "x\ny\n"}})
		Expect(err).NotTo(HaveOccurred())
		Expect(string(out)).To(Equal("alpha:\n  a: |\n    x\n    y\n  b: 2\nzeta: 1\n"))
	})
})
