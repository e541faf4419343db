package manifest_test

import (
	"errors"
	"net/netip"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/manifest"
)

var _ = Describe("ParseCloudConfig", func() {
	It("reads AZs, networks, VM types and extensions, disk types and compilation", func() {
		d := validCloudConfig()
		subnet(d, 0, 0)["reserved"] = []any{"10.244.0.2 - 10.244.0.9", "10.244.0.255/32", "10.244.0.200"}
		compilation := d["compilation"].(doc)
		compilation["reuse_compilation_vms"] = true
		compilation["vm_extensions"] = []any{"lb"}
		cc := mustCloudConfig(d)

		Expect(cc.AZs).To(HaveLen(3))
		Expect(cc.VMTypes).To(Equal([]manifest.VMType{{Name: "default"}}))
		Expect(cc.VMExtensions).To(Equal([]manifest.VMExtension{{Name: "lb", CloudProperties: map[string]any{"elb": "x"}}}))
		Expect(cc.DiskTypes).To(Equal([]manifest.DiskType{{Name: "ten", DiskSizeMB: 10240}}))
		Expect(cc.Compilation).To(Equal(manifest.Compilation{
			Workers: 2, Network: "default", AZ: "z1", VMType: "default", VMExtensions: []string{"lb"}, ReuseCompilationVMs: true,
		}))

		network, ok := cc.Network("default")
		Expect(ok).To(BeTrue())
		Expect(network.Type).To(Equal("manual"))
		s := network.Subnets[0]
		Expect(s.Range).To(Equal(netip.MustParsePrefix("10.244.0.0/24")))
		Expect(s.Gateway).To(Equal(ip("10.244.0.1")))
		Expect(s.DNS).To(Equal([]netip.Addr{ip("10.244.0.2")}))
		Expect(s.Netmask()).To(Equal("255.255.255.0"))
		Expect(s.AZs).To(Equal([]string{"z1", "z2", "z3"}))
		Expect(s.CloudProperties).To(HaveKeyWithValue("bridge", "lbosh0"))
		Expect(s.Reserved.Contains(ip("10.244.0.5"))).To(BeTrue())
		Expect(s.Reserved.Contains(ip("10.244.0.200"))).To(BeTrue())
		Expect(s.Reserved.Contains(ip("10.244.0.10"))).To(BeFalse())
		Expect(s.Static.Contains(ip("10.244.0.29"))).To(BeTrue())
		Expect(s.Static.Contains(ip("10.244.0.30"))).To(BeFalse())
		Expect(s.Static.Ranges()).To(Equal([]manifest.IPRange{{First: ip("10.244.0.10"), Last: ip("10.244.0.29")}}))
	})

	It("takes a network without a type as manual, and a subnet 'az' as its one AZ", func() {
		d := validCloudConfig()
		delete(ccNetwork(d, 0), "type")
		delete(subnet(d, 0, 0), "azs")
		subnet(d, 0, 0)["az"] = "z1"
		cc := mustCloudConfig(d)
		Expect(cc.Networks[0].Type).To(Equal("manual"))
		Expect(cc.Networks[0].Subnets[0].AZs).To(Equal([]string{"z1"}))
	})

	It("merges static ranges that overlap or touch", func() {
		d := validCloudConfig()
		subnet(d, 0, 0)["static"] = []any{"10.244.0.20 - 10.244.0.29", "10.244.0.10-10.244.0.20", "10.244.0.30", "10.244.0.40/30"}
		s := mustCloudConfig(d).Networks[0].Subnets[0]
		Expect(s.Static.Ranges()).To(Equal([]manifest.IPRange{
			{First: ip("10.244.0.10"), Last: ip("10.244.0.30")},
			{First: ip("10.244.0.40"), Last: ip("10.244.0.43")},
		}))
	})

	It("warns about keys BOSH ignores", func() {
		d := validCloudConfig()
		subnet(d, 0, 0)["gatway"] = "10.244.0.1"
		cc := mustCloudConfig(d)
		Expect(cc.Warnings).To(ContainElement(HaveField("Message", ContainSubstring("networks[0] (default).subnets[0]: 'gatway'"))))
	})

	DescribeTable("rejects invalid cloud configs, naming the path of each problem",
		func(change func(doc), path, message string) {
			d := validCloudConfig()
			change(d)
			_, err := manifest.ParseCloudConfig(toYAML(d))
			Expect(err).To(MatchError(manifest.ErrInvalidCloudConfig))
			Expect(problems(err)).To(ContainElement(And(
				HaveField("Path", path),
				HaveField("Message", ContainSubstring(message)),
			)), err.Error())
		},
		Entry("dynamic network", func(d doc) { ccNetwork(d, 0)["type"] = "dynamic" },
			"networks[0] (default)", "'type' is 'dynamic'; localbosh supports only manual networks"),
		Entry("vip network", func(d doc) { ccNetwork(d, 0)["type"] = "vip" },
			"networks[0] (default)", "'type' is 'vip'; localbosh supports only manual networks"),
		Entry("no subnets", func(d doc) { delete(ccNetwork(d, 0), "subnets") }, "networks[0] (default)", "'subnets' is required"),
		Entry("no range", func(d doc) { delete(subnet(d, 0, 0), "range") }, "networks[0] (default).subnets[0]", "'range' is required"),
		Entry("range not a CIDR", func(d doc) { subnet(d, 0, 0)["range"] = "10.244.0.0" },
			"networks[0] (default).subnets[0]", `'range' "10.244.0.0" is not a CIDR range`),
		Entry("range too small", func(d doc) { subnet(d, 0, 0)["range"] = "10.244.0.0/31" },
			"networks[0] (default).subnets[0]", "is too small"),
		Entry("no gateway", func(d doc) { delete(subnet(d, 0, 0), "gateway") }, "networks[0] (default).subnets[0]", "'gateway' is required"),
		Entry("gateway outside the range", func(d doc) { subnet(d, 0, 0)["gateway"] = "10.245.0.1" },
			"networks[0] (default).subnets[0]", "'gateway' 10.245.0.1 is outside the subnet range 10.244.0.0/24"),
		Entry("gateway is the network address", func(d doc) { subnet(d, 0, 0)["gateway"] = "10.244.0.0" },
			"networks[0] (default).subnets[0]", "is the network address"),
		Entry("gateway is the broadcast address", func(d doc) { subnet(d, 0, 0)["gateway"] = "10.244.0.255" },
			"networks[0] (default).subnets[0]", "is the broadcast address"),
		Entry("dns not an IP", func(d doc) { subnet(d, 0, 0)["dns"] = []any{"dns.example"} },
			"networks[0] (default).subnets[0]", `'dns' has "dns.example", which is not an IP address`),
		Entry("reserved outside the range", func(d doc) { subnet(d, 0, 0)["reserved"] = []any{"10.244.1.5"} },
			"networks[0] (default).subnets[0]", "'reserved' has 10.244.1.5, which is outside the subnet range"),
		Entry("reserved range running past the range", func(d doc) { subnet(d, 0, 0)["reserved"] = []any{"10.244.0.250 - 10.244.1.3"} },
			"networks[0] (default).subnets[0]", "'reserved' has 10.244.0.250 - 10.244.1.3, which includes 10.244.1.3, which is outside"),
		Entry("reserved range written backwards", func(d doc) { subnet(d, 0, 0)["reserved"] = []any{"10.244.0.9 - 10.244.0.2"} },
			"networks[0] (default).subnets[0]", "first address must not be after its last"),
		Entry("static outside the range", func(d doc) { subnet(d, 0, 0)["static"] = []any{"10.245.0.10"} },
			"networks[0] (default).subnets[0]", "'static' has 10.245.0.10, which is outside the subnet range"),
		Entry("static IP that is reserved", func(d doc) { subnet(d, 0, 0)["static"] = []any{"10.244.0.5"} },
			"networks[0] (default).subnets[0]", "'static' has 10.244.0.5, which is reserved; remove it from 'reserved' or from 'static'"),
		Entry("static range over reserved IPs", func(d doc) { subnet(d, 0, 0)["static"] = []any{"10.244.0.1 - 10.244.0.20"} },
			"networks[0] (default).subnets[0]", "which includes 10.244.0.1, which is the gateway"),
		Entry("static range containing a reserved range", func(d doc) { subnet(d, 0, 0)["static"] = []any{"10.244.0.0/24"} },
			"networks[0] (default).subnets[0]", "'static' has 10.244.0.0 - 10.244.0.255, which includes 10.244.0.0, which is the network address"),
		Entry("static broadcast", func(d doc) { subnet(d, 0, 0)["static"] = []any{"10.244.0.255"} },
			"networks[0] (default).subnets[0]", "is the broadcast address"),
		Entry("az and azs", func(d doc) { subnet(d, 0, 0)["az"] = "z1" }, "networks[0] (default).subnets[0]", "'az' and 'azs' are both given"),
		Entry("unknown subnet AZ", func(d doc) { subnet(d, 0, 0)["azs"] = []any{"z9"} },
			"networks[0] (default).subnets[0]", "AZ 'z9' is not defined under 'azs'; use one of: z1, z2, z3"),
		Entry("overlapping subnets", func(d doc) {
			ccNetwork(d, 0)["subnets"] = append(ccNetwork(d, 0)["subnets"].([]any), doc{"range": "10.244.0.128/25", "gateway": "10.244.0.129", "azs": []any{"z1"}})
		}, "networks[0] (default).subnets[1]", "'range' 10.244.0.128/25 overlaps subnet 10.244.0.0/24"),
		Entry("some subnets with AZs and some without", func(d doc) {
			ccNetwork(d, 0)["subnets"] = append(ccNetwork(d, 0)["subnets"].([]any), doc{"range": "10.244.1.0/24", "gateway": "10.244.1.1"})
		}, "networks[0] (default)", "some subnets name AZs and others do not"),
		Entry("two networks with one name", func(d doc) { d["networks"] = append(d["networks"].([]any), ccNetwork(d, 0)) },
			"", "'networks' has more than one entry named 'default'"),
		Entry("VM type without a name", func(d doc) { d["vm_types"] = []any{doc{"cloud_properties": doc{}}} },
			"vm_types[0]", "'name' is required"),
		Entry("disk type of zero size", func(d doc) { d["disk_types"].([]any)[0].(doc)["disk_size"] = 0 },
			"disk_types[0] (ten)", "'disk_size' must be a positive number of MB"),
		Entry("no compilation", func(d doc) { delete(d, "compilation") }, "", "'compilation' is required"),
		Entry("compilation on an unknown network", func(d doc) { d["compilation"].(doc)["network"] = "private" },
			"compilation", "'network' names 'private', which is not defined; use one of: default"),
		Entry("compilation with an unknown VM type", func(d doc) { d["compilation"].(doc)["vm_type"] = "large" },
			"compilation", "'vm_type' names 'large', which is not defined"),
		Entry("compilation without workers", func(d doc) { d["compilation"].(doc)["workers"] = 0 },
			"compilation", "'workers' must be 1 or more"),
		Entry("compilation without an AZ", func(d doc) { delete(d["compilation"].(doc), "az") },
			"compilation", "'az' is required when the cloud config has AZs"),
	)

	It("rejects ((variables)) left in it", func() {
		d := validCloudConfig()
		subnet(d, 0, 0)["cloud_properties"] = doc{"subnet": "((subnet_id))"}
		_, err := manifest.ParseCloudConfig(toYAML(d))
		Expect(errors.Is(err, manifest.ErrUnresolvedVariables)).To(BeTrue())
		Expect(errors.Is(err, manifest.ErrInvalidCloudConfig)).To(BeTrue())
		Expect(err.Error()).To(ContainSubstring("((subnet_id)) at /networks/0/subnets/0/cloud_properties/subnet"))
	})
})
