package cli

import (
	"bytes"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("Table", func() {
	table := Table{
		Title:   "Deployment 'etcd'",
		Content: "releases",
		Header:  []string{"Name", "Version", "Commit Hash"},
		Rows: [][]string{
			{"etcd", "2*", "abc+"},
			{"etcd", "1", ""},
			{"consul", "10\n11", "def"},
		},
		Notes: []string{"(*) Currently deployed"},
	}

	It("aligns columns, marks repeated first cells and empty cells, spreads multi-line cells over blank-padded lines, and counts rows", func() {
		var out bytes.Buffer
		Expect(table.printTTY(&out)).To(Succeed())
		Expect(out.String()).To(Equal("Deployment 'etcd'\n\n" +
			"Name    Version  Commit Hash  \n" +
			"etcd    2*       abc+         \n" +
			"~       1        -            \n" +
			"consul  10       def          \n" +
			"        11                    \n" +
			"\n(*) Currently deployed\n" +
			"\n3 releases\n"))
	})

	It("prints only the rows, tab separated and first cells filled, when piped", func() {
		var out bytes.Buffer
		Expect(table.printPiped(&out)).To(Succeed())
		Expect(out.String()).To(Equal("" +
			"etcd  \t2*\tabc+\t\n" +
			"etcd  \t1 \t-   \t\n" +
			"consul\t10\tdef \t\n" +
			"      \t11\t    \t\n"))
	})

	It("keys JSON by the snake_case header", func() {
		doc := table.asJSON()
		Expect(doc.Header).To(Equal(map[string]string{"name": "Name", "version": "Version", "commit_hash": "Commit Hash"}))
		Expect(doc.Rows[1]).To(Equal(map[string]string{"name": "etcd", "version": "1", "commit_hash": ""}))
		Expect(doc.Rows[2]["version"]).To(Equal("10\n11"))
		Expect(doc.Notes).To(Equal([]string{"(*) Currently deployed"}))
	})

	It("turns header titles into the bosh CLI's JSON keys", func() {
		Expect(headerKey("Process State")).To(Equal("process_state"))
		Expect(headerKey("Release(s)")).To(Equal("release_s"))
		Expect(headerKey("VM CID")).To(Equal("vm_cid"))
		Expect(headerKey("Load\n(1m, 5m, 15m)")).To(Equal("load_1m_5m_15m"))
	})
})
