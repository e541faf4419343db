package opsfile_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/opsfile"
)

var _ = Describe("ParsePointer", func() {
	DescribeTable("parses each token kind",
		func(path string, expected []opsfile.Token) {
			p, err := opsfile.ParsePointer(path)
			Expect(err).NotTo(HaveOccurred())
			if len(expected) == 0 {
				Expect(p.IsRoot()).To(BeTrue())
				Expect(p.Tokens()).To(BeEmpty())
			} else {
				Expect(p.Tokens()).To(Equal(expected))
			}
			Expect(p.String()).To(Equal(path), "renders back to the same path")
		},
		Entry("root", "", []opsfile.Token{}),
		Entry("slash alone is the empty key, as in go-patch", "/", []opsfile.Token{opsfile.KeyToken{Key: ""}}),
		Entry("key", "/name", []opsfile.Token{opsfile.KeyToken{Key: "name"}}),
		Entry("nested keys", "/a/b", []opsfile.Token{opsfile.KeyToken{Key: "a"}, opsfile.KeyToken{Key: "b"}}),
		Entry("index", "/0", []opsfile.Token{opsfile.IndexToken{Index: 0}}),
		Entry("negative index", "/-1", []opsfile.Token{opsfile.IndexToken{Index: -1}}),
		Entry("after last index", "/array/-", []opsfile.Token{opsfile.KeyToken{Key: "array"}, opsfile.AfterLastIndexToken{}}),
		Entry("matching index", "/name=etcd", []opsfile.Token{opsfile.MatchingIndexToken{Key: "name", Value: "etcd"}}),
		Entry("optional carries to the right", "/a?/b/name=c",
			[]opsfile.Token{
				opsfile.KeyToken{Key: "a", Optional: true},
				opsfile.KeyToken{Key: "b", Optional: true},
				opsfile.MatchingIndexToken{Key: "name", Value: "c", Optional: true},
			}),
		Entry("optional matching index", "/name=c?", []opsfile.Token{opsfile.MatchingIndexToken{Key: "name", Value: "c", Optional: true}}),
		Entry("index modifiers", "/0:prev:next", []opsfile.Token{opsfile.IndexToken{Index: 0, Modifiers: []opsfile.Modifier{opsfile.Prev, opsfile.Next}}}),
		Entry("insertion modifiers", "/name=a:before", []opsfile.Token{opsfile.MatchingIndexToken{Key: "name", Value: "a", Modifiers: []opsfile.Modifier{opsfile.Before}}}),
		Entry("after modifier", "/1:after", []opsfile.Token{opsfile.IndexToken{Index: 1, Modifiers: []opsfile.Modifier{opsfile.After}}}),
		Entry("escapes ~0 ~1 ~7", "/a~0b~1c~7d", []opsfile.Token{opsfile.KeyToken{Key: "a~b/c:d"}}),
		Entry("escaped = and ? stay literal", "/k~3v~2", []opsfile.Token{opsfile.KeyToken{Key: "k=v?"}}),
		Entry("dash not last is a key", "/-/a", []opsfile.Token{opsfile.KeyToken{Key: "-"}, opsfile.KeyToken{Key: "a"}}),
	)

	DescribeTable("rejects malformed paths, naming the path and token",
		func(path, message string) {
			_, err := opsfile.ParsePointer(path)
			Expect(err).To(MatchError(ContainSubstring(message)))
		},
		Entry("no leading slash", "name", "Expected path 'name' to start with '/'"),
		Entry("unknown modifier", "/0:later", "path '/0:later', token '0:later': Expected to find one of the following modifiers: 'prev', 'next', 'before', or 'after' but found 'later'"),
		Entry("modifier on a key", "/name:prev", "token 'name:prev': Expected not to find any modifiers with key token"),
		Entry("modifier on after last index", "/a/-:after", "token '-:after': Expected not to find any modifiers with after last index token"),
	)
})
