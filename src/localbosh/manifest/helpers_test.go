package manifest_test

import (
	"net/netip"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/manifest"
)

var _ = Describe("WithUpdateOverrides", func() {
	It("replaces canaries and max_in_flight of the deployment and every group, leaving the input alone", func() {
		d := validManifest()
		group(d, 0)["update"] = doc{"max_in_flight": 2, "canary_watch_time": 500}
		m := mustManifest(d)
		over, err := m.WithUpdateOverrides("0", "50%")
		Expect(err).NotTo(HaveOccurred())
		Expect(over.Update.Canaries).To(Equal("0"))
		Expect(over.InstanceGroups[0].Update.MaxInFlight).To(Equal("50%"))
		Expect(over.InstanceGroups[0].Update.CanaryWatchTime).To(Equal(500))
		Expect(m.InstanceGroups[0].Update.MaxInFlight).To(Equal(2))

		p, err := manifest.Plan(over, mustCloudConfig(validCloudConfig()), manifest.DeploymentState{}, nil, ids("id"))
		Expect(err).NotTo(HaveOccurred())
		Expect(p.Groups[0].Update.Canaries).To(Equal(0))
		Expect(p.Groups[0].Update.MaxInFlight).To(Equal(1))
	})

	It("keeps values not given and rejects invalid ones", func() {
		m := mustManifest(validManifest())
		same, err := m.WithUpdateOverrides("", "")
		Expect(err).NotTo(HaveOccurred())
		Expect(same.Update).To(Equal(m.Update))
		_, err = m.WithUpdateOverrides("some", "")
		Expect(err).To(MatchError(manifest.ErrInvalidManifest))
		Expect(err).To(MatchError(ContainSubstring("canaries override must be a whole number or a percentage")))
	})
})

var _ = Describe("compilation VMs", func() {
	It("get the lowest IPs nobody uses on the compilation network", func() {
		cc := mustCloudConfig(validCloudConfig())
		p := planOf(mustManifest(validManifest()))
		inUse := p.IPsInUse()
		Expect(inUse).To(HaveKeyWithValue(ip("10.244.0.30"), "instance 'etcd/id-1' of deployment 'etcd'"))
		inUse[ip("10.244.0.34")] = "instance 'db/x' of deployment 'other'"

		networks, err := manifest.CompilationNetworks(cc, inUse, 2)
		Expect(err).NotTo(HaveOccurred())
		Expect(networks).To(HaveLen(2))
		Expect(networks[0].IP).To(Equal(ip("10.244.0.33")))
		Expect(networks[1].IP).To(Equal(ip("10.244.0.35")))
		Expect(networks[0].Gateway).To(Equal(ip("10.244.0.1")))
		Expect(networks[0].Default).To(Equal([]string{"dns", "gateway"}))
	})

	It("fail when the network is full", func() {
		d := validCloudConfig()
		subnet(d, 0, 0)["range"] = "10.244.0.0/27"
		subnet(d, 0, 0)["static"] = []any{"10.244.0.10 - 10.244.0.29"}
		_, err := manifest.CompilationNetworks(mustCloudConfig(d), map[netip.Addr]string{}, 2)
		Expect(err).To(MatchError(manifest.ErrIPAllocation))
		Expect(err).To(MatchError(ContainSubstring("no IP left for compilation VM 2 of 2 in az 'z1'")))
	})
})

var _ = Describe("Plan: switching between static and dynamic IPs", func() {
	var (
		d       doc
		planner *planSeries
	)

	BeforeEach(func() {
		d = validManifest()
		planner = &planSeries{}
	})

	plan := func(prev manifest.DeploymentState) manifest.DeploymentPlan {
		p, err := planner.plan(mustManifest(d), validCloudConfig(), prev, nil)
		ExpectWithOffset(1, err).NotTo(HaveOccurred())
		return p
	}

	It("keeps the instances, giving them static IPs, when a group turns to static IPs", func() {
		first := plan(manifest.DeploymentState{})
		network(group(d, 0), 0)["static_ips"] = []any{"10.244.0.10 - 10.244.0.12"}
		second := plan(stateOf(first))
		Expect(summarize(second.Groups[0].Instances)).To(Equal([]summary{
			{Index: 0, ID: "p1-1", AZ: "z1", IP: "10.244.0.10", Bootstrap: true},
			{Index: 1, ID: "p1-2", AZ: "z1", IP: "10.244.0.11"},
			{Index: 2, ID: "p1-3", AZ: "z1", IP: "10.244.0.12"},
		}))
	})

	It("gives instances dynamic IPs when a group drops its static IPs", func() {
		network(group(d, 0), 0)["static_ips"] = []any{"10.244.0.10 - 10.244.0.12"}
		first := plan(manifest.DeploymentState{})
		delete(network(group(d, 0), 0), "static_ips")
		second := plan(stateOf(first))
		Expect(ipsOf(second.Groups[0].Instances)).To(Equal([]string{"10.244.0.30", "10.244.0.31", "10.244.0.32"}))
		Expect(second.Groups[0].Instances[0].ID).To(Equal("p1-1"))
	})

	It("deletes the highest indexes when the static list and instances shrink", func() {
		network(group(d, 0), 0)["static_ips"] = []any{"10.244.0.10 - 10.244.0.12"}
		first := plan(manifest.DeploymentState{})
		group(d, 0)["instances"] = 2
		network(group(d, 0), 0)["static_ips"] = []any{"10.244.0.10 - 10.244.0.11"}
		second := plan(stateOf(first))
		Expect(summarize(second.Groups[0].Instances)).To(Equal(summarize(first.Groups[0].Instances)[:2]))
		Expect(indexes(second.Groups[0].Obsolete)).To(Equal([]int{2}))
	})

	It("keeps existing instances and their static IPs when scaling up across AZs", func() {
		group(d, 0)["azs"] = []any{"z1", "z2"}
		group(d, 0)["instances"] = 2
		network(group(d, 0), 0)["static_ips"] = []any{"10.244.0.10 - 10.244.0.11"}
		first := plan(manifest.DeploymentState{})
		Expect(summarize(first.Groups[0].Instances)).To(Equal([]summary{
			{Index: 0, ID: "p1-1", AZ: "z1", IP: "10.244.0.10", Bootstrap: true},
			{Index: 1, ID: "p1-2", AZ: "z2", IP: "10.244.0.11"},
		}))
		group(d, 0)["instances"] = 3
		network(group(d, 0), 0)["static_ips"] = []any{"10.244.0.10 - 10.244.0.12"}
		second := plan(stateOf(first))
		Expect(summarize(second.Groups[0].Instances)).To(Equal([]summary{
			{Index: 0, ID: "p1-1", AZ: "z1", IP: "10.244.0.10", Bootstrap: true},
			{Index: 1, ID: "p1-2", AZ: "z2", IP: "10.244.0.11"},
			{Index: 2, ID: "p2-1", AZ: "z1", IP: "10.244.0.12"},
		}))
	})
})
