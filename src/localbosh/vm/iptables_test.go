package vm

import (
	"context"
	"slices"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("bridge isolation rules", func() {
	It("accepts traffic within the bridge and drops traffic between the bridge and anything else", func() {
		rules := isolationRules("lbosh", "lbosh0")
		Expect(rules).To(HaveLen(3))
		targets := map[string]string{}
		for _, r := range rules {
			Expect(r).To(ContainElement("lbosh:isolate:lbosh0"))
			match := strings.Join(r[:slices.Index(r, "-m")], " ")
			targets[match] = r[len(r)-1]
		}
		Expect(targets).To(Equal(map[string]string{
			"-i lbosh0 -o lbosh0":   "ACCEPT",
			"-i lbosh0 ! -o lbosh0": "DROP",
			"! -i lbosh0 -o lbosh0": "DROP",
		}))
	})

	It("inserts only the rules iptables does not have", func() {
		runner := &fakeRunner{respond: func(argv []string) (string, int) {
			if slices.Contains(argv, "-C") && slices.Contains(argv, "ACCEPT") {
				return "", 0 // present already
			}
			if slices.Contains(argv, "-C") {
				return "", 1
			}
			return "", 0
		}}
		Expect(ensureIsolation(context.Background(), runner, "lbosh", "lbosh0")).To(Succeed())
		var inserted []string
		for _, line := range runner.commandLines() {
			if strings.HasPrefix(line, "iptables -w -I FORWARD 1 ") {
				inserted = append(inserted, line)
			}
		}
		Expect(inserted).To(HaveLen(2))
		for _, line := range inserted {
			Expect(line).To(HaveSuffix("-j DROP"))
		}
	})

	It("reports an iptables that cannot answer, instead of inserting blindly", func() {
		runner := &fakeRunner{respond: func([]string) (string, int) { return "", 2 }}
		err := ensureIsolation(context.Background(), runner, "lbosh", "lbosh0")
		Expect(err).To(MatchError(ContainSubstring("scripts/setup")))
		Expect(runner.commandLines()).To(HaveLen(1))
	})

	It("finds the bridges of a prefix's rules in iptables -S output, and no others", func() {
		out := `-P FORWARD ACCEPT
-A FORWARD -i lbosh0 -o lbosh0 -m comment --comment "lbosh:isolate:lbosh0" -j ACCEPT
-A FORWARD -i lbosh0 ! -o lbosh0 -m comment --comment "lbosh:isolate:lbosh0" -j DROP
-A FORWARD ! -i old1 -o old1 -m comment --comment lbosh:isolate:old1 -j DROP
-A FORWARD -i lbvt1 ! -o lbvt1 -m comment --comment "lbvt1:isolate:lbvt1" -j DROP
-A FORWARD -i docker0 -j ACCEPT
`
		Expect(taggedBridges(out, "lbosh")).To(Equal([]string{"lbosh0", "old1"}))
		Expect(taggedBridges(out, "lbvt1")).To(Equal([]string{"lbvt1"}))
		Expect(taggedBridges(out, "lbx")).To(BeEmpty())
	})
})
