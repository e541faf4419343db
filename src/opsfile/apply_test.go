package opsfile_test

import (
	"errors"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/opsfile"
)

// docsBase is the base document of docs-bosh cli-ops-files.md.
const docsBase = `
key: 1
key2:
  nested:
    super_nested: 2
  other: 3
array: [4, 5, 6]
items:
- name: item7
- name: item8
- name: item8
`

func applyOps(base, opsYAML string) (any, error) {
	ops, err := opsfile.Parse("ops.yml", []byte(opsYAML))
	ExpectWithOffset(1, err).NotTo(HaveOccurred())
	return ops.Apply(fromYAML(base))
}

var _ = Describe("Ops.Apply", func() {
	DescribeTable("the examples of cli-ops-files.md and the other token kinds",
		func(opsYAML, path string, expected any) {
			result, err := applyOps(docsBase, opsYAML)
			Expect(err).NotTo(HaveOccurred())
			found, err := opsfile.Find(result, opsfile.MustParsePointer(path))
			Expect(err).NotTo(HaveOccurred())
			Expect(found).To(Equal(expected))
		},
		Entry("replace a key", "- {type: replace, path: /key, value: 10}", "/key", 10),
		Entry("create an optional key", "- {type: replace, path: '/new_key?', value: 10}", "/new_key", 10),
		Entry("replace a nested key", "- {type: replace, path: /key2/nested/super_nested, value: 10}",
			"/key2/nested", map[string]any{"super_nested": 10}),
		Entry("create nested maps rightward of ?", "- {type: replace, path: '/key2/nested?/another_nested/super_nested', value: 10}",
			"/key2", map[string]any{
				"nested": map[string]any{"super_nested": 2, "another_nested": map[string]any{"super_nested": 10}},
				"other":  3,
			}),
		Entry("replace an array item", "- {type: replace, path: /array/0, value: 10}", "/array", []any{10, 5, 6}),
		Entry("replace from the end", "- {type: replace, path: /array/-1, value: 10}", "/array", []any{4, 5, 10}),
		Entry("append", "- {type: replace, path: /array/-, value: 10}", "/array", []any{4, 5, 6, 10}),
		Entry("create an array to append to", "- {type: replace, path: '/array2?/-', value: 10}", "/array2", []any{10}),
		Entry(":prev", "- {type: replace, path: /array/1:prev, value: 10}", "/array", []any{10, 5, 6}),
		Entry(":next", "- {type: replace, path: /array/0:next, value: 10}", "/array", []any{4, 10, 6}),
		Entry(":after", "- {type: replace, path: /array/0:after, value: 10}", "/array", []any{4, 10, 5, 6}),
		Entry(":after the last item", "- {type: replace, path: /array/-1:after, value: 10}", "/array", []any{4, 5, 6, 10}),
		Entry(":before", "- {type: replace, path: /array/0:before, value: 10}", "/array", []any{10, 4, 5, 6}),
		Entry(":next:before", "- {type: replace, path: /array/0:next:before, value: 10}", "/array", []any{4, 10, 5, 6}),
		Entry("replace inside a matched item", "- {type: replace, path: /items/name=item7/name, value: item6}",
			"/items/0", map[string]any{"name": "item6"}),
		Entry("append an optional matched item with its key", "- {type: replace, path: '/items/name=item9?/count', value: 10}",
			"/items/3", map[string]any{"name": "item9", "count": 10}),
		Entry("insert before a matched item", "- {type: replace, path: /items/name=item7:before, value: {name: item6}}",
			"/items/0", map[string]any{"name": "item6"}),
		Entry("replace the item after a matched item", "- {type: replace, path: /items/name=item7:next, value: {name: x}}",
			"/items", []any{map[string]any{"name": "item7"}, map[string]any{"name": "x"}, map[string]any{"name": "item8"}}),
		Entry("remove a key", "- {type: remove, path: /key2/nested/super_nested}", "/key2/nested", map[string]any{}),
		Entry("remove an array item", "- {type: remove, path: /array/0}", "/array", []any{5, 6}),
		Entry("remove the last item", "- {type: remove, path: /array/-1}", "/array", []any{4, 5}),
		Entry("remove with :prev", "- {type: remove, path: /array/2:prev}", "/array", []any{4, 6}),
		Entry("remove a matched item", "- {type: remove, path: /items/name=item7}", "/items",
			[]any{map[string]any{"name": "item8"}, map[string]any{"name": "item8"}}),
		Entry("remove a missing optional key is a no-op", "- {type: remove, path: '/key2/missing?/deeper'}", "/key2/other", 3),
		Entry("remove a missing optional match is a no-op", "- {type: remove, path: '/items/name=nope?'}", "/items/0/name", "item7"),
		Entry("test a value", "- {type: test, path: /key2/nested/super_nested, value: 2}", "/key", 1),
		Entry("test absence", "- {type: test, path: /key2/absent_key, absent: true}", "/key", 1),
		Entry("escaped key", "- {type: replace, path: '/a~1b?', value: x}", "/a~1b", "x"),
	)

	It("replaces the whole document at the root path", func() {
		result, err := applyOps(docsBase, "- {type: replace, path: '', value: {only: this}}")
		Expect(err).NotTo(HaveOccurred())
		Expect(result).To(Equal(map[string]any{"only": "this"}))
	})

	It("removes a key entirely", func() {
		result, err := applyOps(docsBase, "- {type: remove, path: /key}")
		Expect(err).NotTo(HaveOccurred())
		Expect(result).NotTo(HaveKey("key"))
		Expect(result).To(HaveKey("key2"))
	})

	It("refuses a replace whose value is null, as the bosh CLI's go-patch reads it as no value", func() {
		_, err := opsfile.Parse("ops.yml", []byte("- {type: replace, path: /key, value: null}"))
		Expect(err).To(MatchError(ContainSubstring("missing 'value'")))
		_, err = opsfile.Parse("ops.yml", []byte("- {type: replace, path: /key, value: ~}"))
		Expect(err).To(MatchError(ContainSubstring("missing 'value'")))
	})

	It("applies operations in order, each seeing the previous one's result", func() {
		result, err := applyOps(docsBase, `
- {type: replace, path: /items/-, value: {name: etcd}}
- {type: replace, path: '/items/name=etcd/instances?', value: 3}
- {type: test, path: /items/name=etcd/instances, value: 3}
`)
		Expect(err).NotTo(HaveOccurred())
		Expect(opsfile.Find(result, opsfile.MustParsePointer("/items/3"))).To(Equal(map[string]any{"name": "etcd", "instances": 3}))
	})

	It("does not change the input document or the operation's value", func() {
		base := fromYAML(docsBase)
		ops, err := opsfile.Parse("ops.yml", []byte(`
- {type: replace, path: /key2/nested/super_nested, value: {list: [1]}}
- {type: replace, path: /key2/nested/super_nested/list/-, value: 2}
- {type: remove, path: /items/0}
`))
		Expect(err).NotTo(HaveOccurred())
		result, err := ops.Apply(base)
		Expect(err).NotTo(HaveOccurred())
		Expect(base).To(Equal(fromYAML(docsBase)))
		Expect(ops[0].Value).To(Equal(map[string]any{"list": []any{1}}))
		Expect(opsfile.Find(result, opsfile.MustParsePointer("/key2/nested/super_nested/list"))).To(Equal([]any{1, 2}))

		again, err := ops.Apply(base)
		Expect(err).NotTo(HaveOccurred())
		Expect(again).To(Equal(result), "applying twice gives the same result")
	})

	It("accepts maps with non-string keys and treats their keys as strings", func() {
		doc := map[any]any{1: "one", "list": []any{map[any]any{"name": "a"}}}
		ops := opsfile.Ops{{Type: opsfile.Replace, Path: opsfile.MustParsePointer("/list/name=a/v?"), Value: true}}
		result, err := ops.Apply(doc)
		Expect(err).NotTo(HaveOccurred())
		Expect(result).To(Equal(map[string]any{"1": "one", "list": []any{map[string]any{"name": "a", "v": true}}}))
	})

	DescribeTable("failures name the path up to the failing token, the op and the file",
		func(opsYAML string, errType any, messages ...string) {
			_, err := applyOps(docsBase, opsYAML)
			Expect(err).To(HaveOccurred())
			var opErr *opsfile.OpError
			Expect(errors.As(err, &opErr)).To(BeTrue())
			Expect(opErr.Source).To(Equal("ops.yml"))
			if errType != nil {
				Expect(errors.As(err, errType)).To(BeTrue(), "error %v has type %T", err, errType)
			}
			for _, m := range messages {
				Expect(err.Error()).To(ContainSubstring(m))
			}
		},
		Entry("missing key (cli-ops-files: key_not_there)", "- {type: replace, path: /key_not_there, value: 10}",
			new(*opsfile.MissingKeyError),
			"ops file 'ops.yml' operation [0] (replace '/key_not_there')",
			"Expected to find a map key 'key_not_there' for path '/key_not_there' (found map keys: 'array', 'items', 'key', 'key2')"),
		Entry("remove of a missing key", "- {type: remove, path: /key_not_there}",
			new(*opsfile.MissingKeyError), "Expected to find a map key 'key_not_there' for path '/key_not_there'"),
		Entry("missing key inside a matched item", "- {type: replace, path: /items/name=item7/foo/bar, value: 1}",
			new(*opsfile.MissingKeyError),
			"(replace '/items/name=item7/foo/bar')",
			"Expected to find a map key 'foo' for path '/items/name=item7/foo' (found map keys: 'name')"),
		Entry("two matches (cli-ops-files: item8)", "- {type: replace, path: /items/name=item8/count, value: 10}",
			new(*opsfile.MatchCountError),
			"Expected to find exactly one matching array item for path '/items/name=item8' but found 2"),
		Entry("no match", "- {type: remove, path: /items/name=nope}",
			new(*opsfile.MatchCountError),
			"Expected to find exactly one matching array item for path '/items/name=nope' but found 0"),
		Entry("index out of range", "- {type: replace, path: /array/3, value: 1}",
			new(*opsfile.MissingIndexError),
			"Expected to find array index '3' but found array of length '3' for path '/array/3'"),
		Entry("negative index out of range", "- {type: remove, path: /array/-4}",
			new(*opsfile.MissingIndexError),
			"Expected to find array index '-4' but found array of length '3' for path '/array/-4'"),
		Entry(":prev before the first item", "- {type: replace, path: /array/-3:prev/x, value: 1}",
			new(*opsfile.MissingIndexError), "Expected to find array index '-4'", "for path '/array/-3:prev'"),
		Entry("map expected", "- {type: replace, path: /array/key, value: 1}",
			new(*opsfile.TypeMismatchError), "Expected to find a map at path '/array/key' but found an array"),
		Entry("array expected", "- {type: replace, path: /key2/0, value: 1}",
			new(*opsfile.TypeMismatchError), "Expected to find an array at path '/key2/0' but found a map"),
		Entry("array expected for append", "- {type: replace, path: /key/-, value: 1}",
			new(*opsfile.TypeMismatchError), "Expected to find an array at path '/key/-' but found an integer"),
		Entry("optional key followed by an index", "- {type: replace, path: '/new?/0', value: 1}",
			nil, "Expected to find key, matching index or after last index token at path '/new?/0'"),
		Entry("modifier after :before", "- {type: replace, path: /array/0:before:next, value: 1}",
			nil, "Expected to not find any modifiers after 'before' modifier"),
		Entry("insertion modifier in remove", "- {type: remove, path: /array/0:after}",
			nil, "Expected to find one of the following modifiers: 'prev', 'next', but found modifier 'after'"),
		Entry("append in remove", "- {type: remove, path: /array/-}",
			nil, "not supported in remove operations"),
		Entry("remove the whole document", "- {type: remove, path: ''}", nil, "Cannot remove entire document"),
		Entry("test value mismatch", "- {type: test, path: /key, value: 2}",
			new(*opsfile.TestFailedError), "(test '/key'): Found value does not match expected value"),
		Entry("test absence of a present key", "- {type: test, path: /key, absent: true}",
			new(*opsfile.TestFailedError), "Expected to not find '/key'"),
		Entry("test absence below a missing parent", "- {type: test, path: /nope/key, absent: true}",
			new(*opsfile.MissingKeyError), "Expected to find a map key 'nope' for path '/nope'"),
		Entry("custom error message", "- {type: replace, path: /nope/x, value: 1, error: etcd needs a nope section}",
			new(*opsfile.MissingKeyError), "operation [0] (replace '/nope/x'): Error 'etcd needs a nope section': Expected to find a map key 'nope'"),
		Entry("second operation", "- {type: replace, path: /key, value: 2}\n- {type: remove, path: /key/x}",
			new(*opsfile.TypeMismatchError), "operation [1] (remove '/key/x')"),
	)

	It("lets callers detect a failed test operation", func() {
		_, err := applyOps(docsBase, "- {type: test, path: /key, value: 2}")
		Expect(errors.Is(err, opsfile.ErrTestFailed)).To(BeTrue())
		_, err = applyOps(docsBase, "- {type: remove, path: /nope}")
		Expect(errors.Is(err, opsfile.ErrTestFailed)).To(BeFalse())
	})
})
