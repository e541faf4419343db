package testdirector

import (
	"net/netip"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/manifest"
)

var _ = Describe("slots", func() {
	It("gives every claim in a process its own slot until it is released", func() {
		a, err := claimSlot()
		Expect(err).NotTo(HaveOccurred())
		b, err := claimSlot()
		Expect(err).NotTo(HaveOccurred())
		Expect(b.n).NotTo(Equal(a.n))

		Expect(a.release()).To(Succeed())
		c, err := claimSlot()
		Expect(err).NotTo(HaveOccurred())
		Expect(c.n).To(Equal(a.n), "a released slot is free again")
		Expect(b.release()).To(Succeed())
		Expect(c.release()).To(Succeed())
	})
})

var _ = Describe("the network of a slot", func() {
	It("is a cloud config the director accepts, with static addresses in its static range", func() {
		nw := networkFor(7)
		Expect(nw.Subnet).To(Equal(netip.MustParsePrefix("10.246.7.0/24")))
		Expect(nw.Gateway).To(Equal(netip.MustParseAddr("10.246.7.1")))

		cc, err := manifest.ParseCloudConfig(nw.CloudConfig())
		Expect(err).NotTo(HaveOccurred())
		network, ok := cc.Network("default")
		Expect(ok).To(BeTrue())
		Expect(network.Subnets).To(HaveLen(1))
		Expect(network.Subnets[0].Range).To(Equal(nw.Subnet))
		Expect(network.Subnets[0].Gateway).To(Equal(nw.Gateway))
		for _, ip := range []netip.Addr{nw.StaticIP(0), nw.Static[len(nw.Static)-1]} {
			Expect(network.Subnets[0].Static.Contains(ip)).To(BeTrue(), "%s", ip)
		}
		Expect(network.Subnets[0].Static.Contains(nw.Outside())).To(BeFalse())
		Expect(nw.Subnet.Contains(nw.Outside())).To(BeTrue())
	})
})
