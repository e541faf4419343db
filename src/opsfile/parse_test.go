package opsfile_test

import (
	"os"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/opsfile"
)

var _ = Describe("Parse", func() {
	It("reads type, path, value, absent and error", func() {
		ops, err := opsfile.Parse("ops.yml", []byte(`
- type: replace
  path: /instance_groups/name=etcd/instances
  value: 3
  error: cannot scale etcd
- type: remove
  path: /tags?
- type: test
  path: /name
  absent: true
`))
		Expect(err).NotTo(HaveOccurred())
		Expect(ops).To(HaveLen(3))
		Expect(ops[0].Type).To(Equal(opsfile.Replace))
		Expect(ops[0].Path.String()).To(Equal("/instance_groups/name=etcd/instances"))
		Expect(ops[0].Value).To(Equal(3))
		Expect(ops[0].Error).To(Equal("cannot scale etcd"))
		Expect(ops[1].Type).To(Equal(opsfile.Remove))
		Expect(ops[2].Absent).To(BeTrue())
		Expect(ops[2].Index).To(Equal(2))
		Expect(ops[2].Source).To(Equal("ops.yml"))
	})

	It("has no operations for an empty file", func() {
		ops, err := opsfile.Parse("empty.yml", []byte("# nothing yet\n"))
		Expect(err).NotTo(HaveOccurred())
		Expect(ops).To(BeEmpty())
	})

	DescribeTable("rejects bad operations, naming the file and the operation's index",
		func(content string, messages ...string) {
			_, err := opsfile.Parse("ops.yml", []byte(content))
			Expect(err).To(HaveOccurred())
			for _, m := range messages {
				Expect(err.Error()).To(ContainSubstring(m))
			}
		},
		Entry("unknown type", "- {type: replace, path: /a, value: 1}\n- {type: move, path: /a}",
			"ops file 'ops.yml' operation [1] (type 'move'): unknown operation type 'move'"),
		Entry("no type", "- {path: /a}", "operation [0] (type ''): unknown operation type ''"),
		Entry("missing path", "- {type: replace, value: 1}", "ops file 'ops.yml' operation [0] (type 'replace'): missing 'path'"),
		Entry("replace without value", "- {type: replace, path: /a}", "operation [0]", "missing 'value'"),
		Entry("remove with value", "- {type: remove, path: /a, value: 1}", "a remove operation cannot specify 'value'"),
		Entry("test without value or absent", "- {type: test, path: /a}", "missing 'value' or 'absent'"),
		Entry("invalid path", "- {type: remove, path: a}", "operation [0] (type 'remove'): invalid path: Expected path 'a' to start with '/'"),
		Entry("not a list", "type: replace\npath: /a\n", "ops file 'ops.yml' must be a YAML list of operations"),
	)

	It("loads a file and names it in errors", func() {
		dir := GinkgoT().TempDir()
		good := filepath.Join(dir, "good.yml")
		Expect(os.WriteFile(good, []byte("- {type: replace, path: /name, value: etcd}\n"), 0o644)).To(Succeed())
		ops, err := opsfile.Load(good)
		Expect(err).NotTo(HaveOccurred())
		Expect(ops[0].Source).To(Equal(good))

		bad := filepath.Join(dir, "bad.yml")
		Expect(os.WriteFile(bad, []byte("- {type: nope, path: /name}\n"), 0o644)).To(Succeed())
		_, err = opsfile.Load(bad)
		Expect(err).To(MatchError(ContainSubstring("ops file '" + bad + "' operation [0]")))

		_, err = opsfile.Load(filepath.Join(dir, "missing.yml"))
		Expect(err).To(MatchError(ContainSubstring("missing.yml")))
	})

	It("concatenates several ops files in order, as repeated -o flags do", func() {
		dir := GinkgoT().TempDir()
		first := filepath.Join(dir, "first.yml")
		second := filepath.Join(dir, "second.yml")
		Expect(os.WriteFile(first, []byte("- {type: replace, path: '/tags?/-', value: a}\n"), 0o644)).To(Succeed())
		Expect(os.WriteFile(second, []byte("- {type: replace, path: /tags/-, value: b}\n"), 0o644)).To(Succeed())
		ops, err := opsfile.LoadFiles([]string{first, second})
		Expect(err).NotTo(HaveOccurred())
		Expect(ops).To(HaveLen(2))
		Expect(ops[1].Source).To(Equal(second))
		result, err := ops.Apply(map[string]any{})
		Expect(err).NotTo(HaveOccurred())
		Expect(result).To(Equal(map[string]any{"tags": []any{"a", "b"}}))
	})
})
