package manifest_test

import (
	"encoding/json"
	"net/netip"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/manifest"
)

var _ = Describe("Plan: instance identities", func() {
	var (
		d       doc
		cc      doc
		planner *planSeries
	)

	BeforeEach(func() {
		d = validManifest()
		cc = validCloudConfig()
		planner = &planSeries{}
	})

	plan := func(prev manifest.DeploymentState) manifest.DeploymentPlan {
		p, err := planner.plan(mustManifest(d), cc, prev, nil)
		ExpectWithOffset(1, err).NotTo(HaveOccurred())
		return p
	}

	// instance builds a persisted instance in the standard subnet.
	instance := func(index int, id, az string, lastOctet int) manifest.InstanceState {
		return manifest.InstanceState{
			Group: "etcd", Index: index, ID: id, AZ: az,
			Networks: map[string]netip.Addr{"default": netip.AddrFrom4([4]byte{10, 244, 0, byte(lastOctet)})},
		}
	}

	It("gives a new deployment indexes from 0, new ids and index 0 as bootstrap", func() {
		p := plan(manifest.DeploymentState{})
		Expect(p.Name).To(Equal("etcd"))
		Expect(summarize(p.Groups[0].Instances)).To(Equal([]summary{
			{Index: 0, ID: "p1-1", AZ: "z1", IP: "10.244.0.30", Bootstrap: true},
			{Index: 1, ID: "p1-2", AZ: "z1", IP: "10.244.0.31"},
			{Index: 2, ID: "p1-3", AZ: "z1", IP: "10.244.0.32"},
		}))
		for _, inst := range p.Groups[0].Instances {
			Expect(inst.IsNew()).To(BeTrue())
			Expect(inst.Name()).To(Equal("etcd/" + inst.ID))
		}
		Expect(p.Groups[0].Obsolete).To(BeEmpty())
		Expect(p.Obsolete).To(BeEmpty())
	})

	Describe("scaling", func() {
		It("keeps ids, indexes and IPs when scaling up, adding the lowest free indexes", func() {
			first := plan(manifest.DeploymentState{})
			group(d, 0)["instances"] = 5
			second := plan(stateOf(first))
			Expect(summarize(second.Groups[0].Instances)).To(Equal([]summary{
				{Index: 0, ID: "p1-1", AZ: "z1", IP: "10.244.0.30", Bootstrap: true},
				{Index: 1, ID: "p1-2", AZ: "z1", IP: "10.244.0.31"},
				{Index: 2, ID: "p1-3", AZ: "z1", IP: "10.244.0.32"},
				{Index: 3, ID: "p2-1", AZ: "z1", IP: "10.244.0.33"},
				{Index: 4, ID: "p2-2", AZ: "z1", IP: "10.244.0.34"},
			}))
			Expect(second.Groups[0].Instances[0].IsNew()).To(BeFalse())
			Expect(second.Groups[0].Instances[3].IsNew()).To(BeTrue())
		})

		It("deletes the highest indexes when scaling down, highest first, keeping the rest as they were", func() {
			group(d, 0)["instances"] = 5
			first := plan(manifest.DeploymentState{})
			group(d, 0)["instances"] = 2
			second := plan(stateOf(first))
			Expect(summarize(second.Groups[0].Instances)).To(Equal(summarize(first.Groups[0].Instances)[:2]))
			Expect(indexes(second.Groups[0].Obsolete)).To(Equal([]int{4, 3, 2}))
			Expect(second.Groups[0].Obsolete[0].ID).To(Equal("p1-5"))
		})

		It("deletes every instance when scaled to 0", func() {
			first := plan(manifest.DeploymentState{})
			group(d, 0)["instances"] = 0
			second := plan(stateOf(first))
			Expect(second.Groups[0].Instances).To(BeEmpty())
			Expect(indexes(second.Groups[0].Obsolete)).To(Equal([]int{2, 1, 0}))
		})

		It("fills gaps in the indexes first", func() {
			state := manifest.DeploymentState{Instances: []manifest.InstanceState{
				instance(0, "a", "z1", 30), instance(3, "b", "z1", 31),
			}}
			p := plan(state)
			Expect(summarize(p.Groups[0].Instances)).To(Equal([]summary{
				{Index: 0, ID: "a", AZ: "z1", IP: "10.244.0.30", Bootstrap: true},
				{Index: 1, ID: "p1-1", AZ: "z1", IP: "10.244.0.32"},
				{Index: 3, ID: "b", AZ: "z1", IP: "10.244.0.31"},
			}))
		})

		It("keeps the indexes of instances it deletes taken, so no two live instances share one", func() {
			group(d, 0)["instances"] = 2
			first := plan(manifest.DeploymentState{})
			group(d, 0)["azs"] = []any{"z2"}
			second := plan(stateOf(first))
			Expect(summarize(second.Groups[0].Instances)).To(Equal([]summary{
				{Index: 2, ID: "p2-1", AZ: "z2", IP: "10.244.0.32", Bootstrap: true},
				{Index: 3, ID: "p2-2", AZ: "z2", IP: "10.244.0.33"},
			}))
			Expect(indexes(second.Groups[0].Obsolete)).To(Equal([]int{1, 0}))
		})
	})

	Describe("bootstrap", func() {
		It("keeps the existing bootstrap instance even when it is not the lowest index", func() {
			state := manifest.DeploymentState{Instances: []manifest.InstanceState{
				instance(0, "a", "z1", 30), instance(1, "b", "z1", 31), instance(2, "c", "z1", 32),
			}}
			state.Instances[1].Bootstrap = true
			p := plan(state)
			Expect(p.Groups[0].Instances[1].Bootstrap).To(BeTrue())
			Expect(p.Groups[0].Instances[0].Bootstrap).To(BeFalse())
		})

		It("makes the lowest index bootstrap when the bootstrap instance is deleted", func() {
			state := manifest.DeploymentState{Instances: []manifest.InstanceState{
				instance(0, "a", "z1", 30), instance(1, "b", "z1", 31), instance(2, "c", "z1", 32),
			}}
			state.Instances[2].Bootstrap = true
			group(d, 0)["instances"] = 2
			p := plan(state)
			Expect(summarize(p.Groups[0].Instances)).To(Equal([]summary{
				{Index: 0, ID: "a", AZ: "z1", IP: "10.244.0.30", Bootstrap: true},
				{Index: 1, ID: "b", AZ: "z1", IP: "10.244.0.31"},
			}))
		})

		It("picks the lowest index when the state has several bootstrap instances", func() {
			state := manifest.DeploymentState{Instances: []manifest.InstanceState{
				instance(0, "a", "z1", 30), instance(1, "b", "z1", 31),
			}}
			state.Instances[0].Bootstrap, state.Instances[1].Bootstrap = false, true
			state.Instances = append(state.Instances, instance(2, "c", "z1", 32))
			state.Instances[2].Bootstrap = true
			p := plan(state)
			Expect(p.Groups[0].Instances[0].Bootstrap).To(BeTrue())
			Expect(p.Groups[0].Instances[1].Bootstrap).To(BeFalse())
			Expect(p.Groups[0].Instances[2].Bootstrap).To(BeFalse())
		})
	})

	Describe("AZ placement", func() {
		azsOf := func(instances []manifest.InstancePlan) []string {
			out := make([]string, len(instances))
			for i, inst := range instances {
				out[i] = inst.AZ
			}
			return out
		}

		It("spreads new instances round-robin over the AZs", func() {
			group(d, 0)["azs"] = []any{"z1", "z2", "z3"}
			group(d, 0)["instances"] = 5
			p := plan(manifest.DeploymentState{})
			Expect(azsOf(p.Groups[0].Instances)).To(Equal([]string{"z1", "z2", "z3", "z1", "z2"}))
		})

		It("adds instances to the AZs with the fewest, keeping existing placement", func() {
			group(d, 0)["azs"] = []any{"z1", "z2", "z3"}
			group(d, 0)["instances"] = 4
			first := plan(manifest.DeploymentState{})
			Expect(azsOf(first.Groups[0].Instances)).To(Equal([]string{"z1", "z2", "z3", "z1"}))
			group(d, 0)["instances"] = 6
			second := plan(stateOf(first))
			Expect(azsOf(second.Groups[0].Instances)).To(Equal([]string{"z1", "z2", "z3", "z1", "z2", "z3"}))
			Expect(summarize(second.Groups[0].Instances)[:4]).To(Equal(summarize(first.Groups[0].Instances)))
		})

		It("rebalances instances without disks onto a new AZ", func() {
			state := manifest.DeploymentState{Instances: []manifest.InstanceState{
				instance(0, "a", "z1", 30), instance(1, "b", "z2", 31), instance(2, "c", "z1", 32), instance(3, "d", "z2", 33),
			}}
			group(d, 0)["azs"] = []any{"z1", "z2", "z3"}
			group(d, 0)["instances"] = 4
			p := plan(state)
			Expect(summarize(p.Groups[0].Instances)).To(Equal([]summary{
				{Index: 0, ID: "a", AZ: "z1", IP: "10.244.0.30", Bootstrap: true},
				{Index: 1, ID: "b", AZ: "z2", IP: "10.244.0.31"},
				{Index: 2, ID: "c", AZ: "z1", IP: "10.244.0.32"},
				{Index: 4, ID: "p1-1", AZ: "z3", IP: "10.244.0.34"},
			}))
			Expect(p.Groups[0].Obsolete).To(ConsistOf(HaveField("ID", "d")))
		})

		It("leaves instances with persistent disks where their data is", func() {
			state := manifest.DeploymentState{Instances: []manifest.InstanceState{
				instance(0, "a", "z1", 30), instance(1, "b", "z2", 31), instance(2, "c", "z1", 32), instance(3, "d", "z2", 33),
			}}
			for i := range state.Instances {
				state.Instances[i].DiskCID = "disk-" + state.Instances[i].ID
			}
			group(d, 0)["azs"] = []any{"z1", "z2", "z3"}
			group(d, 0)["instances"] = 4
			p := plan(state)
			Expect(azsOf(p.Groups[0].Instances)).To(Equal([]string{"z1", "z2", "z1", "z2"}))
			Expect(p.Groups[0].Obsolete).To(BeEmpty())
		})

		It("replaces instances in an AZ the group dropped", func() {
			group(d, 0)["azs"] = []any{"z1", "z2"}
			group(d, 0)["instances"] = 2
			first := plan(manifest.DeploymentState{})
			group(d, 0)["azs"] = []any{"z1", "z3"}
			second := plan(stateOf(first))
			Expect(summarize(second.Groups[0].Instances)).To(Equal([]summary{
				{Index: 0, ID: "p1-1", AZ: "z1", IP: "10.244.0.30", Bootstrap: true},
				{Index: 2, ID: "p2-1", AZ: "z3", IP: "10.244.0.32"},
			}))
			Expect(second.Groups[0].Obsolete).To(ConsistOf(And(HaveField("ID", "p1-2"), HaveField("AZ", "z2"))))
		})
	})

	It("plans errand groups like services, flagged so the director creates no VMs", func() {
		errand := etcdGroup(1)
		errand["name"] = "smoke-tests"
		errand["lifecycle"] = "errand"
		d["instance_groups"] = append(d["instance_groups"].([]any), errand)
		p := plan(manifest.DeploymentState{})
		Expect(p.Groups[0].Errand).To(BeFalse())
		gp, ok := p.Group("smoke-tests")
		Expect(ok).To(BeTrue())
		Expect(gp.Errand).To(BeTrue())
		Expect(summarize(gp.Instances)).To(Equal([]summary{{Index: 0, ID: "p1-4", AZ: "z1", IP: "10.244.0.33", Bootstrap: true}}))
	})

	It("deletes the instances of groups the manifest dropped, highest index first", func() {
		other := etcdGroup(2)
		other["name"] = "other"
		d["instance_groups"] = append(d["instance_groups"].([]any), other)
		first := plan(manifest.DeploymentState{})
		d["instance_groups"] = d["instance_groups"].([]any)[:1]
		second := plan(stateOf(first))
		Expect(second.Groups).To(HaveLen(1))
		Expect(second.Obsolete).To(HaveLen(2))
		Expect(second.Obsolete[0]).To(And(HaveField("Group", "other"), HaveField("Index", 1)))
		Expect(second.Obsolete[1]).To(And(HaveField("Group", "other"), HaveField("Index", 0)))
	})

	It("takes over the instances of a group it migrates from, with their ids, indexes and IPs", func() {
		state := manifest.DeploymentState{Instances: []manifest.InstanceState{
			{Group: "etcd_z1", Index: 0, ID: "a", Bootstrap: true, Networks: map[string]netip.Addr{"default": ip("10.244.0.40")}},
			{Group: "etcd_z1", Index: 1, ID: "b", Networks: map[string]netip.Addr{"default": ip("10.244.0.41")}},
		}}
		group(d, 0)["migrated_from"] = []any{doc{"name": "etcd_z1", "az": "z1"}}
		p := plan(state)
		Expect(summarize(p.Groups[0].Instances)).To(Equal([]summary{
			{Index: 0, ID: "a", AZ: "z1", IP: "10.244.0.40", Bootstrap: true},
			{Index: 1, ID: "b", AZ: "z1", IP: "10.244.0.41"},
			{Index: 2, ID: "p1-1", AZ: "z1", IP: "10.244.0.30"},
		}))
		Expect(p.Obsolete).To(BeEmpty())
		Expect(p.Groups[0].Instances[0].State().Group).To(Equal("etcd"), "the persisted instance joins the new group")
	})

	It("carries the director's fields of kept instances into their new state", func() {
		first := plan(manifest.DeploymentState{})
		state := stateOf(first)
		state.Instances[0].VMCID, state.Instances[0].DiskCID, state.Instances[0].State = "vm-1", "disk-1", "stopped"
		second := plan(state)
		inst := second.Groups[0].Instances[0]
		Expect(inst.Existing.VMCID).To(Equal("vm-1"))
		Expect(inst.State()).To(Equal(manifest.InstanceState{
			Group: "etcd", Index: 0, ID: "p1-1", AZ: "z1", Bootstrap: true,
			Networks: map[string]netip.Addr{"default": ip("10.244.0.30")},
			VMCID:    "vm-1", DiskCID: "disk-1", State: "stopped",
		}))
	})

	It("resolves the group's VM type, extensions, stemcell and disk from the cloud config", func() {
		delete(group(d, 0), "persistent_disk")
		group(d, 0)["persistent_disk_type"] = "ten"
		group(d, 0)["vm_extensions"] = []any{"lb"}
		p := plan(manifest.DeploymentState{})
		gp := p.Groups[0]
		Expect(gp.VMType.Name).To(Equal("default"))
		Expect(gp.VMExtensions).To(Equal([]manifest.VMExtension{{Name: "lb", CloudProperties: map[string]any{"elb": "x"}}}))
		Expect(gp.Stemcell).To(Equal(manifest.Stemcell{Alias: "default", OS: "ubuntu-jammy", Version: "latest"}))
		Expect(gp.PersistentDiskMB).To(Equal(10240))
	})

	DescribeTable("rejects manifests that ask for what the cloud config lacks, naming the path",
		func(change func(), pointer, message string) {
			change()
			_, err := planner.plan(mustManifest(d), cc, manifest.DeploymentState{}, nil)
			Expect(err).To(MatchError(manifest.ErrInvalidManifest))
			Expect(problems(err)).To(ContainElement(And(
				HaveField("Path", "instance_groups[0] (etcd)"),
				HaveField("Pointer", pointer),
				HaveField("Line", BeNumerically(">", 0)),
				HaveField("Message", ContainSubstring(message)),
			)), err.Error())
		},
		Entry("unknown VM type", func() { group(d, 0)["vm_type"] = "large" },
			"/instance_groups/0/vm_type", "'vm_type' names 'large', which the cloud config does not define; use one of: default"),
		Entry("unknown VM extension", func() { group(d, 0)["vm_extensions"] = []any{"nlb"} },
			"/instance_groups/0/vm_extensions", "'vm_extensions' names 'nlb'"),
		Entry("unknown disk type", func() { delete(group(d, 0), "persistent_disk"); group(d, 0)["persistent_disk_type"] = "huge" },
			"/instance_groups/0/persistent_disk_type", "'persistent_disk_type' names 'huge'"),
		Entry("unknown AZ", func() { group(d, 0)["azs"] = []any{"z9"} },
			"/instance_groups/0/azs", "'azs' names 'z9'"),
		Entry("unknown network", func() { network(group(d, 0), 0)["name"] = "private" },
			"/instance_groups/0/networks/0/name", "'networks[0].name' names 'private', which the cloud config does not define"),
		Entry("no AZs on a network with AZs", func() { delete(group(d, 0), "azs") },
			"/instance_groups/0/azs", "'azs' is required: network 'default' has subnets in azs [z1 z2 z3]"),
		Entry("an AZ the network does not serve", func() {
			subnet(cc, 0, 0)["azs"] = []any{"z1"}
			group(d, 0)["azs"] = []any{"z1", "z2"}
		}, "/instance_groups/0/azs", "az 'z2' has no subnet in network 'default'"),
	)

	It("rejects an id source that repeats ids", func() {
		_, err := manifest.Plan(mustManifest(d), mustCloudConfig(cc), manifest.DeploymentState{}, nil, func() string { return "same" })
		Expect(err).To(MatchError(ContainSubstring(`new instance id "same" of instance group 'etcd' is already in use`)))
	})
})

var _ = Describe("DeploymentState", func() {
	It("round-trips through JSON as the director stores it", func() {
		state := manifest.DeploymentState{Instances: []manifest.InstanceState{{
			Group: "etcd", Index: 2, ID: "abc", AZ: "z1", Bootstrap: true,
			Networks: map[string]netip.Addr{"default": ip("10.244.0.30")},
			VMCID:    "vm", DiskCID: "disk", DiskSizeMB: 1024, State: "started",
		}}}
		data, err := json.Marshal(state)
		Expect(err).NotTo(HaveOccurred())
		Expect(string(data)).To(ContainSubstring(`"networks":{"default":"10.244.0.30"}`))
		var back manifest.DeploymentState
		Expect(json.Unmarshal(data, &back)).To(Succeed())
		Expect(back).To(Equal(state))
	})

	It("lists the IPs its instances hold, with who holds them", func() {
		state := manifest.DeploymentState{Instances: []manifest.InstanceState{
			{Group: "db", ID: "x", Networks: map[string]netip.Addr{"default": ip("10.244.0.30"), "other": ip("10.245.0.2")}},
		}}
		Expect(state.IPsInUse("data")).To(Equal(map[netip.Addr]string{
			ip("10.244.0.30"): "instance 'db/x' of deployment 'data'",
			ip("10.245.0.2"):  "instance 'db/x' of deployment 'data'",
		}))
	})
})
