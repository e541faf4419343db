package manifest_test

import (
	"errors"
	"net/netip"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/manifest"
)

var _ = Describe("Plan: IP allocation", func() {
	var (
		d       doc // manifest
		cc      doc // cloud config
		planner *planSeries
	)

	BeforeEach(func() {
		d = validManifest()
		cc = validCloudConfig()
		planner = &planSeries{}
	})

	plan := func(prev manifest.DeploymentState, elsewhere map[netip.Addr]string) (manifest.DeploymentPlan, error) {
		return planner.plan(mustManifest(d), cc, prev, elsewhere)
	}

	It("gives dynamic IPs from the lowest free address, skipping network, gateway, reserved and static ranges", func() {
		p, err := plan(manifest.DeploymentState{}, nil)
		Expect(err).NotTo(HaveOccurred())
		Expect(ipsOf(p.Groups[0].Instances)).To(Equal([]string{"10.244.0.30", "10.244.0.31", "10.244.0.32"}))
	})

	It("skips reserved IPs inside the dynamic range and IPs other deployments use", func() {
		subnet(cc, 0, 0)["reserved"] = []any{"10.244.0.2 - 10.244.0.9", "10.244.0.31"}
		p, err := plan(manifest.DeploymentState{}, map[netip.Addr]string{ip("10.244.0.30"): "instance 'db/x' of deployment 'other'"})
		Expect(err).NotTo(HaveOccurred())
		Expect(ipsOf(p.Groups[0].Instances)).To(Equal([]string{"10.244.0.32", "10.244.0.33", "10.244.0.34"}))
	})

	It("gives each instance the settings of its subnet for spec.networks", func() {
		p, err := plan(manifest.DeploymentState{}, nil)
		Expect(err).NotTo(HaveOccurred())
		inst := p.Groups[0].Instances[0]
		Expect(inst.Networks).To(Equal([]manifest.NetworkSettings{{
			Name:            "default",
			Type:            "manual",
			IP:              ip("10.244.0.30"),
			Netmask:         "255.255.255.0",
			Gateway:         ip("10.244.0.1"),
			DNS:             []netip.Addr{ip("10.244.0.2")},
			Default:         []string{"dns", "gateway"},
			CloudProperties: map[string]any{"bridge": "lbosh0"},
		}}))
		Expect(inst.Address()).To(Equal(ip("10.244.0.30")))
	})

	It("takes the address from the addressable network, else the gateway one", func() {
		cc["networks"] = append(cc["networks"].([]any), doc{"name": "other", "subnets": []any{doc{
			"range": "10.245.0.0/24", "gateway": "10.245.0.1", "azs": []any{"z1"},
		}}})
		group(d, 0)["networks"] = []any{doc{"name": "default", "default": []any{"dns", "gateway"}}, doc{"name": "other"}}
		p, err := plan(manifest.DeploymentState{}, nil)
		Expect(err).NotTo(HaveOccurred())
		inst := p.Groups[0].Instances[0]
		Expect(inst.Address()).To(Equal(ip("10.244.0.30")))
		other, ok := inst.Network("other")
		Expect(ok).To(BeTrue())
		Expect(other.IP).To(Equal(ip("10.245.0.2")))
		Expect(other.Default).To(BeEmpty())

		group(d, 0)["networks"] = []any{doc{"name": "default", "default": []any{"dns", "gateway"}}, doc{"name": "other", "default": []any{"addressable"}}}
		p, err = plan(manifest.DeploymentState{}, nil)
		Expect(err).NotTo(HaveOccurred())
		Expect(p.Groups[0].Instances[0].Address()).To(Equal(ip("10.245.0.2")))
	})

	It("allocates from the subnet of each instance's AZ", func() {
		ccNetwork(cc, 0)["subnets"] = []any{
			doc{"range": "10.244.1.0/24", "gateway": "10.244.1.1", "az": "z1"},
			doc{"range": "10.244.2.0/24", "gateway": "10.244.2.1", "az": "z2"},
		}
		group(d, 0)["azs"] = []any{"z1", "z2"}
		p, err := plan(manifest.DeploymentState{}, nil)
		Expect(err).NotTo(HaveOccurred())
		Expect(summarize(p.Groups[0].Instances)).To(Equal([]summary{
			{Index: 0, ID: "p1-1", AZ: "z1", IP: "10.244.1.2", Bootstrap: true},
			{Index: 1, ID: "p1-2", AZ: "z2", IP: "10.244.2.2"},
			{Index: 2, ID: "p1-3", AZ: "z1", IP: "10.244.1.3"},
		}))
		Expect(p.Groups[0].Instances[1].Networks[0].Gateway).To(Equal(ip("10.244.2.1")))
	})

	It("fails naming the group, network and instance when the subnet runs out", func() {
		subnet(cc, 0, 0)["range"] = "10.244.0.0/27"
		subnet(cc, 0, 0)["static"] = []any{"10.244.0.10 - 10.244.0.28"}
		group(d, 0)["instances"] = 3 // only .29 and .30 are dynamic
		_, err := plan(manifest.DeploymentState{}, nil)
		Expect(err).To(MatchError(manifest.ErrIPAllocation))
		Expect(err).To(MatchError(ContainSubstring("instance group 'etcd', network 'default': no IP left for instance 'etcd/p1-3' (index 2 in az 'z1')")))
	})

	Describe("static IPs", func() {
		BeforeEach(func() {
			network(group(d, 0), 0)["static_ips"] = []any{"10.244.0.12", "10.244.0.10 - 10.244.0.11"}
		})

		It("gives instances the static IPs in the order listed", func() {
			p, err := plan(manifest.DeploymentState{}, nil)
			Expect(err).NotTo(HaveOccurred())
			Expect(ipsOf(p.Groups[0].Instances)).To(Equal([]string{"10.244.0.12", "10.244.0.10", "10.244.0.11"}))
			Expect(p.Groups[0].Instances[0].Networks[0].Static).To(BeTrue())
		})

		DescribeTable("refuses static IPs it cannot give",
			func(change func(), elsewhere map[netip.Addr]string, message string) {
				change()
				_, err := plan(manifest.DeploymentState{}, elsewhere)
				Expect(err).To(MatchError(manifest.ErrIPAllocation))
				Expect(err).To(MatchError(ContainSubstring(message)))
			},
			Entry("outside the subnet's static range",
				func() { network(group(d, 0), 0)["static_ips"] = []any{"10.244.0.10", "10.244.0.11", "10.244.0.50"} }, nil,
				"instance group 'etcd', network 'default': static IP 10.244.0.50 is not in the 'static' range of any subnet of network 'default'"),
			Entry("outside every subnet",
				func() { network(group(d, 0), 0)["static_ips"] = []any{"10.244.0.10", "10.244.0.11", "192.168.0.1"} }, nil,
				"static IP 192.168.0.1 is not in the 'static' range"),
			Entry("used by another deployment", func() {},
				map[netip.Addr]string{ip("10.244.0.10"): "instance 'db/abc' of deployment 'other'"},
				"static IP 10.244.0.10 is already used by instance 'db/abc' of deployment 'other'; pick another IP"),
			Entry("in a subnet of an AZ the group does not use", func() {
				ccNetwork(cc, 0)["subnets"] = []any{
					doc{"range": "10.244.0.0/24", "gateway": "10.244.0.1", "az": "z1", "static": []any{"10.244.0.10 - 10.244.0.11"}},
					doc{"range": "10.244.1.0/24", "gateway": "10.244.1.1", "az": "z2", "static": []any{"10.244.1.10"}},
				}
				network(group(d, 0), 0)["static_ips"] = []any{"10.244.0.10", "10.244.0.11", "10.244.1.10"}
			}, nil, "static IP 10.244.1.10 is in a subnet of azs [z2], none of which the instance group uses (its 'azs' are [z1])"),
		)

		It("refuses a static IP another instance of the deployment holds", func() {
			other := etcdGroup(1)
			other["name"] = "other"
			d["instance_groups"] = []any{other}
			first, err := plan(manifest.DeploymentState{}, nil)
			Expect(err).NotTo(HaveOccurred())
			Expect(ipsOf(first.Groups[0].Instances)).To(Equal([]string{"10.244.0.30"}))

			subnet(cc, 0, 0)["static"] = []any{"10.244.0.10 - 10.244.0.30"}
			moved := etcdGroup(1)
			network(moved, 0)["static_ips"] = []any{"10.244.0.30"}
			d["instance_groups"] = []any{other, moved}
			_, err = plan(stateOf(first), nil)
			Expect(err).To(MatchError(ContainSubstring("static IP 10.244.0.30 is held by instance 'other/p1-1' of this deployment")))
		})

		It("places instances in the AZs of their static IPs' subnets", func() {
			ccNetwork(cc, 0)["subnets"] = []any{
				doc{"range": "10.244.1.0/24", "gateway": "10.244.1.1", "az": "z1", "static": []any{"10.244.1.10 - 10.244.1.11"}},
				doc{"range": "10.244.2.0/24", "gateway": "10.244.2.1", "az": "z2", "static": []any{"10.244.2.10"}},
			}
			group(d, 0)["azs"] = []any{"z1", "z2"}
			network(group(d, 0), 0)["static_ips"] = []any{"10.244.1.10", "10.244.1.11", "10.244.2.10"}
			p, err := plan(manifest.DeploymentState{}, nil)
			Expect(err).NotTo(HaveOccurred())
			Expect(summarize(p.Groups[0].Instances)).To(Equal([]summary{
				{Index: 0, ID: "p1-1", AZ: "z1", IP: "10.244.1.10", Bootstrap: true},
				{Index: 1, ID: "p1-2", AZ: "z2", IP: "10.244.2.10"},
				{Index: 2, ID: "p1-3", AZ: "z1", IP: "10.244.1.11"},
			}))
		})
	})

	Describe("across updates", func() {
		It("keeps each instance's IPs, giving new instances the lowest free ones", func() {
			group(d, 0)["instances"] = 2
			first, err := plan(manifest.DeploymentState{}, nil)
			Expect(err).NotTo(HaveOccurred())
			Expect(ipsOf(first.Groups[0].Instances)).To(Equal([]string{"10.244.0.30", "10.244.0.31"}))

			// Shrinking the static range frees lower addresses; existing
			// instances keep theirs, the new one takes the lowest.
			subnet(cc, 0, 0)["static"] = []any{"10.244.0.10 - 10.244.0.19"}
			group(d, 0)["instances"] = 3
			second, err := plan(stateOf(first), nil)
			Expect(err).NotTo(HaveOccurred())
			Expect(summarize(second.Groups[0].Instances)).To(Equal([]summary{
				{Index: 0, ID: "p1-1", AZ: "z1", IP: "10.244.0.30", Bootstrap: true},
				{Index: 1, ID: "p1-2", AZ: "z1", IP: "10.244.0.31"},
				{Index: 2, ID: "p2-1", AZ: "z1", IP: "10.244.0.20"},
			}))
		})

		It("moves an instance whose IP became reserved or static, keeping the others", func() {
			first, err := plan(manifest.DeploymentState{}, nil)
			Expect(err).NotTo(HaveOccurred())

			subnet(cc, 0, 0)["reserved"] = []any{"10.244.0.2 - 10.244.0.9", "10.244.0.30"}
			subnet(cc, 0, 0)["static"] = []any{"10.244.0.10 - 10.244.0.29", "10.244.0.31"}
			second, err := plan(stateOf(first), nil)
			Expect(err).NotTo(HaveOccurred())
			Expect(ipsOf(second.Groups[0].Instances)).To(Equal([]string{"10.244.0.33", "10.244.0.34", "10.244.0.32"}))
		})

		It("keeps an instance's static IP and its identity when the list is reordered", func() {
			network(group(d, 0), 0)["static_ips"] = []any{"10.244.0.10", "10.244.0.11", "10.244.0.12"}
			first, err := plan(manifest.DeploymentState{}, nil)
			Expect(err).NotTo(HaveOccurred())

			network(group(d, 0), 0)["static_ips"] = []any{"10.244.0.12", "10.244.0.11", "10.244.0.10"}
			second, err := plan(stateOf(first), nil)
			Expect(err).NotTo(HaveOccurred())
			Expect(summarize(second.Groups[0].Instances)).To(Equal(summarize(first.Groups[0].Instances)))
		})

		It("gives a kept instance a new static IP when its old one leaves the list, keeping its identity", func() {
			network(group(d, 0), 0)["static_ips"] = []any{"10.244.0.10", "10.244.0.11", "10.244.0.12"}
			first, err := plan(manifest.DeploymentState{}, nil)
			Expect(err).NotTo(HaveOccurred())

			network(group(d, 0), 0)["static_ips"] = []any{"10.244.0.10", "10.244.0.13", "10.244.0.12"}
			second, err := plan(stateOf(first), nil)
			Expect(err).NotTo(HaveOccurred())
			Expect(summarize(second.Groups[0].Instances)).To(Equal([]summary{
				{Index: 0, ID: "p1-1", AZ: "z1", IP: "10.244.0.10", Bootstrap: true},
				{Index: 1, ID: "p1-2", AZ: "z1", IP: "10.244.0.13"},
				{Index: 2, ID: "p1-3", AZ: "z1", IP: "10.244.0.12"},
			}))
			Expect(second.Groups[0].Obsolete).To(BeEmpty())
		})

		It("does not hand out IPs held by instances the deploy deletes", func() {
			first, err := plan(manifest.DeploymentState{}, nil)
			Expect(err).NotTo(HaveOccurred())

			group(d, 0)["azs"] = []any{"z2"} // every instance moves: old ones are deleted
			second, err := plan(stateOf(first), nil)
			Expect(err).NotTo(HaveOccurred())
			Expect(ipsOf(second.Groups[0].Instances)).To(Equal([]string{"10.244.0.33", "10.244.0.34", "10.244.0.35"}))
			Expect(second.Groups[0].Obsolete).To(HaveLen(3))
		})
	})

	It("rejects a persisted state with one IP held twice", func() {
		state := manifest.DeploymentState{Instances: []manifest.InstanceState{
			{Group: "etcd", Index: 0, ID: "a", Networks: map[string]netip.Addr{"default": ip("10.244.0.30")}},
			{Group: "etcd", Index: 1, ID: "b", Networks: map[string]netip.Addr{"default": ip("10.244.0.30")}},
		}}
		_, err := plan(state, nil)
		Expect(errors.Is(err, manifest.ErrInvalidState)).To(BeTrue())
		Expect(err).To(MatchError(ContainSubstring("IP 10.244.0.30 is held by instances 'etcd/a' and 'etcd/b'")))
	})
})
