package vm_test

import (
	"net/netip"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/vm"
)

var _ = Describe("Options", func() {
	It("defaults to localbosh's bridge and the bosh-lite network", func() {
		m, err := vm.New(vm.Options{})
		Expect(err).NotTo(HaveOccurred())
		o := m.Options()
		Expect(o.StateDir).To(Equal("/var/lib/localbosh"))
		Expect(o.Prefix).To(Equal("lbosh"))
		Expect(o.Bridge).To(Equal("lbosh0"))
		Expect(o.Subnet).To(Equal(netip.MustParsePrefix("10.244.0.0/16")))
		Expect(o.Gateway).To(Equal(netip.MustParseAddr("10.244.0.1")))
	})

	It("takes the gateway from the subnet it is given", func() {
		m, err := vm.New(vm.Options{Subnet: netip.MustParsePrefix("10.245.3.7/24")})
		Expect(err).NotTo(HaveOccurred())
		Expect(m.Options().Subnet).To(Equal(netip.MustParsePrefix("10.245.3.0/24")))
		Expect(m.Options().Gateway).To(Equal(netip.MustParseAddr("10.245.3.1")))
	})

	DescribeTable("rejects settings that would break names or the network, saying which",
		func(o vm.Options, complaint string) {
			_, err := vm.New(o)
			Expect(err).To(MatchError(ContainSubstring(complaint)))
		},
		Entry("relative state dir", vm.Options{StateDir: "state"}, `state directory "state"`),
		Entry("long prefix", vm.Options{Prefix: "localbosh"}, `name prefix "localbosh"`),
		Entry("prefix with a dash", vm.Options{Prefix: "lb-x"}, `name prefix "lb-x"`),
		Entry("long bridge name", vm.Options{Bridge: "a-bridge-name-too-long"}, `bridge name "a-bridge-name-too-long"`),
		Entry("IPv6 subnet", vm.Options{Subnet: netip.MustParsePrefix("fd00::/64")}, "must be an IPv4 network"),
		Entry("tiny subnet", vm.Options{Subnet: netip.MustParsePrefix("10.0.0.0/31")}, "must be an IPv4 network"),
		Entry("gateway outside the subnet", vm.Options{Gateway: netip.MustParseAddr("10.1.0.1")}, "gateway: address 10.1.0.1 is not an IPv4 address in subnet 10.244.0.0/16"),
		Entry("gateway service out of range", vm.Options{GatewayServices: []int{70000}}, "gateway service port 70000 is not a TCP port"),
		Entry("gateway service on the director's port", vm.Options{GatewayServices: []int{25555}}, "gateway service port 25555 is the director's API or DNS port"),
		Entry("gateway service on DNS", vm.Options{GatewayServices: []int{53}}, "gateway service port 53 is the director's API or DNS port"),
		Entry("gateway service twice", vm.Options{GatewayServices: []int{9000, 9000}}, "gateway service port 9000 is given twice"),
		Entry("gateway on the broadcast address", vm.Options{Gateway: netip.MustParseAddr("10.244.255.255")}, "broadcast"),
	)
})
