package vm

import (
	"context"
	"net/netip"
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

var _ = Describe("INPUT rules", func() {
	gateway := netip.MustParseAddr("10.246.3.1")
	accepted := func(rules [][]string) []string {
		var ports []string
		for _, r := range rules {
			Expect(r).To(ContainElement("lbt3:input:lbt3br"))
			if r[len(r)-1] == "ACCEPT" && slices.Contains(r, "--dport") {
				Expect(strings.Join(r, " ")).To(ContainSubstring("-i lbt3br -d 10.246.3.1/32 -p "))
				ports = append(ports, r[slices.Index(r, "-p")+1]+"/"+r[slices.Index(r, "--dport")+1])
			}
		}
		return ports
	}

	It("let VMs reach the director's API and DNS on the gateway, and nothing else of the host, by default", func() {
		rules := inputRules("lbt3", "lbt3br", gateway, 25555, nil)
		Expect(accepted(rules)).To(Equal([]string{"tcp/25555", "udp/53", "tcp/53"}))
		Expect(strings.Join(rules[len(rules)-1], " ")).To(HavePrefix("-i lbt3br -m comment"))
		Expect(rules[len(rules)-1][len(rules[len(rules)-1])-1]).To(Equal("DROP"))
	})

	It("accept each gateway service's TCP port on the gateway address only, before the DROP", func() {
		rules := inputRules("lbt3", "lbt3br", gateway, 25555, []int{9000, 9443})
		Expect(accepted(rules)).To(Equal([]string{"tcp/25555", "udp/53", "tcp/53", "tcp/9000", "tcp/9443"}))
		Expect(rules[len(rules)-1][len(rules[len(rules)-1])-1]).To(Equal("DROP"))
	})

	It("are put in again, in order, when the bridge's rules lack a gateway service", func() {
		var listed strings.Builder
		listed.WriteString("-P INPUT ACCEPT\n-A INPUT -i eth0 -j ACCEPT\n")
		for _, r := range inputRules("lbt3", "lbt3br", gateway, 25555, nil) {
			listed.WriteString("-A INPUT " + strings.Join(r, " ") + "\n")
		}
		runner := &fakeRunner{respond: func(argv []string) (string, int) {
			if slices.Contains(argv, "-S") {
				return listed.String(), 0
			}
			return "", 0
		}}
		Expect(ensureInputRules(context.Background(), runner, "lbt3", "lbt3br", gateway, 25555, []int{9000})).To(Succeed())
		var deleted, inserted [][]string
		for _, argv := range runner.calls {
			switch {
			case len(argv) < 5:
			case slices.Equal(argv[:4], []string{"iptables", "-w", "-D", "INPUT"}):
				deleted = append(deleted, argv[4:])
			case slices.Equal(argv[:5], []string{"iptables", "-w", "-I", "INPUT", "1"}):
				inserted = append([][]string{argv[5:]}, inserted...) // each goes on top: the last is first
			}
		}
		Expect(deleted).To(HaveLen(5), "the bridge's old rules are removed, and the host's own left alone")
		Expect(inserted).To(Equal(inputRules("lbt3", "lbt3br", gateway, 25555, []int{9000})))
	})
})
