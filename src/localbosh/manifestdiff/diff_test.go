package manifestdiff_test

import (
	"encoding/json"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/manifestdiff"
)

func parse(doc string) *manifestdiff.Map {
	GinkgoHelper()
	m, err := manifestdiff.Parse([]byte(doc))
	Expect(err).NotTo(HaveOccurred())
	return m
}

// pairs is the diff as the director sends it: [[text, status], ...].
func pairs(lines []manifestdiff.Line) [][]any {
	GinkgoHelper()
	data, err := json.Marshal(lines)
	Expect(err).NotTo(HaveOccurred())
	var out [][]any
	Expect(json.Unmarshal(data, &out)).To(Succeed())
	return out
}

const before = `
name: d
releases:
- name: r
  version: "1"
instance_groups:
- name: web
  instances: 1
  jobs:
  - name: a
    properties:
      secret: old
      list: [x]
`

var _ = Describe("Diff", func() {
	It("shows a changed element of a named list under its name, redacting properties, sections in the director's order", func() {
		after := `
name: d
instance_groups:
- name: web
  instances: 2
  jobs:
  - name: a
    properties:
      secret: new
      list: [x]
releases:
- name: r
  version: "2"
- name: extra
  version: "1"
  url: https://user:pass@example.com/r.tgz
`
		Expect(pairs(manifestdiff.Diff(parse(before), parse(after), true))).To(Equal([][]any{
			{"releases:", nil},
			{"- name: r", nil},
			{`  version: "1"`, "removed"},
			{`  version: "2"`, "added"},
			{"- name: extra", "added"},
			{`  version: "1"`, "added"},
			{"  url: https://<redacted>:<redacted>@example.com/r.tgz", "added"},
			{"", nil},
			{"instance_groups:", nil},
			{"- name: web", nil},
			{"  instances: 1", "removed"},
			{"  instances: 2", "added"},
			{"  jobs:", nil},
			{"  - name: a", nil},
			{"    properties:", nil},
			{"      secret: <redacted>", "removed"},
			{"      secret: <redacted>", "added"},
		}))
	})

	It("shows the values with redact false", func() {
		after := `
name: d
releases:
- name: r
  version: "1"
instance_groups:
- name: web
  instances: 1
  jobs:
  - name: a
    properties:
      secret: new
      list: [x]
`
		Expect(pairs(manifestdiff.Diff(parse(before), parse(after), false))).To(Equal([][]any{
			{"instance_groups:", nil},
			{"- name: web", nil},
			{"  jobs:", nil},
			{"  - name: a", nil},
			{"    properties:", nil},
			{"      secret: old", "removed"},
			{"      secret: new", "added"},
		}))
	})

	It("shows everything added for a new deployment, and nothing for the same manifest", func() {
		lines := pairs(manifestdiff.Diff(manifestdiff.NewMap(), parse("name: d\nupdate: {canaries: 1}\ntags: {a: b}\n"), true))
		// Sections go in the director's order by their line: "name: d" is
		// not the section "name:", so it comes after the ordered ones.
		Expect(lines).To(Equal([][]any{
			{"update:", "added"}, {"  canaries: 1", "added"}, {"", nil},
			{"name: d", "added"}, {"", nil},
			{"tags:", "added"}, {"  a: b", "added"},
		}))
		Expect(manifestdiff.Diff(parse(before), parse(before), true)).To(BeEmpty())
	})

	It("merges cloud configs' keys and the runtime configs' releases and addons into the manifest", func() {
		merged := manifestdiff.Merge(parse("name: d\nreleases: [{name: r, version: '1'}]\n"),
			[]*manifestdiff.Map{parse("azs: [{name: z1}]\n"), parse("azs: [{name: z2}]\n")},
			[]*manifestdiff.Map{parse("releases: [{name: r, version: '1'}, {name: os-conf, version: '2'}]\naddons: [{name: a}]\n")})
		Expect(pairs(manifestdiff.Diff(manifestdiff.NewMap(), merged, true))).To(Equal([][]any{
			{"azs:", "added"}, {"- name: z1", "added"}, {"- name: z2", "added"}, {"", nil},
			{"releases:", "added"}, {"- name: r", "added"}, {`  version: "1"`, "added"}, {"- name: os-conf", "added"}, {`  version: "2"`, "added"}, {"", nil},
			{"addons:", "added"}, {"- name: a", "added"}, {"", nil},
			{"name: d", "added"},
		}))
	})

	It("writes multi-line strings as literal blocks", func() {
		lines := pairs(manifestdiff.Diff(parse("a: x\n"), parse("a: |\n  one\n  two\n"), false))
		Expect(lines).To(Equal([][]any{{"a: x", "removed"}, {"", nil}, {"a: |", "added"}, {"  one", "added"}, {"  two", "added"}}))
	})
})
