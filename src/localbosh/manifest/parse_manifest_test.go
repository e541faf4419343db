package manifest_test

import (
	"errors"
	"net/netip"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/manifest"
)

var _ = Describe("ParseManifest", func() {
	It("reads every part of a manifest", func() {
		m, err := manifest.ParseManifest([]byte(`
name: etcd
director_uuid: ignored
releases:
- {name: etcd, version: 1.10, url: "file:///tmp/etcd.tgz", sha1: abc}
- {name: consul, version: latest}
stemcells:
- {alias: default, os: ubuntu-jammy, version: "1.200"}
update:
  canaries: 1
  max_in_flight: 50%
  canary_watch_time: 1000-30000
  update_watch_time: 5000
  serial: false
instance_groups:
- name: etcd
  azs: [z1, z2]
  instances: 3
  vm_type: default
  vm_extensions: [lb]
  stemcell: default
  persistent_disk_type: ten
  env: {bosh: {keep_root_password: true}}
  update: {max_in_flight: 1}
  migrated_from: [{name: etcd_z1, az: z1}]
  networks:
  - {name: default, static_ips: [10.244.0.10 - 10.244.0.12]}
  jobs:
  - name: etcd
    release: etcd
    properties: {etcd: {require_ssl: true}}
    provides: {etcd: {as: etcd-peers, shared: true}}
    consumes: {etcd: {from: etcd-peers, network: default}, consul: nil}
  - name: consul_agent
    release: consul
- name: acceptance-tests
  lifecycle: errand
  instances: 1
  vm_resources: {cpu: 1, ram: 512, ephemeral_disk_size: 1024}
  stemcell: default
  networks: [{name: default, default: [dns, gateway]}, {name: other}]
  jobs: [{name: acceptance-tests, release: etcd, properties: ~}]
variables:
- {name: etcd_ca, type: certificate, options: {is_ca: true}}
features: {use_dns_addresses: false}
tags: {project: etcd}
`))
		Expect(err).NotTo(HaveOccurred())
		Expect(m.Name).To(Equal("etcd"))
		Expect(m.Releases).To(Equal([]manifest.Release{
			{Name: "etcd", Version: "1.10", URL: "file:///tmp/etcd.tgz", SHA1: "abc"},
			{Name: "consul", Version: "latest"},
		}))
		Expect(m.Stemcells).To(Equal([]manifest.Stemcell{{Alias: "default", OS: "ubuntu-jammy", Version: "1.200"}}))
		Expect(m.Update.MaxInFlight).To(Equal("50%"))
		Expect(*m.Update.Serial).To(BeFalse())
		Expect(m.Variables).To(HaveLen(1))
		Expect(m.Features).To(HaveKeyWithValue("use_dns_addresses", false))
		Expect(m.Tags).To(HaveKeyWithValue("project", "etcd"))

		etcd := m.InstanceGroups[0]
		Expect(etcd.Lifecycle).To(Equal(manifest.LifecycleService))
		Expect(etcd.IsErrand()).To(BeFalse())
		Expect(etcd.AZs).To(Equal([]string{"z1", "z2"}))
		Expect(etcd.VMExtensions).To(Equal([]string{"lb"}))
		Expect(etcd.PersistentDiskType).To(Equal("ten"))
		Expect(etcd.Update.MaxInFlight).To(Equal(1))
		Expect(etcd.Update.Canaries).To(BeNil())
		Expect(etcd.MigratedFrom).To(Equal([]manifest.Migration{{Name: "etcd_z1", AZ: "z1"}}))
		Expect(etcd.Networks).To(HaveLen(1))
		Expect(etcd.Networks[0].StaticIPs).To(Equal([]netip.Addr{ip("10.244.0.10"), ip("10.244.0.11"), ip("10.244.0.12")}))
		Expect(etcd.Networks[0].Default).To(Equal([]string{"dns", "gateway"}), "the only network is the default")
		Expect(etcd.Jobs[0].Provides).To(Equal(map[string]manifest.ProvidedLink{"etcd": {As: "etcd-peers", Shared: true}}))
		Expect(etcd.Jobs[0].Consumes).To(Equal(map[string]manifest.ConsumedLink{
			"etcd":   {From: "etcd-peers", Network: "default"},
			"consul": {Blocked: true},
		}))
		Expect(etcd.Jobs[1].Properties).To(BeNil(), "no 'properties' key")

		errand := m.InstanceGroups[1]
		Expect(errand.IsErrand()).To(BeTrue())
		Expect(errand.VMResources).To(HaveKeyWithValue("cpu", 1))
		Expect(errand.Networks[0].Default).To(Equal([]string{"dns", "gateway"}))
		Expect(errand.Networks[1].Default).To(BeEmpty())
		Expect(errand.Jobs[0].Properties).To(Equal(map[string]any{}), "a null 'properties' still means 'only these'")
	})

	Describe("JobProperties", func() {
		It("gives a job its own properties, else the group's merged over the global ones", func() {
			d := validManifest()
			d["properties"] = doc{"etcd": doc{"port": 4001, "require_ssl": true}, "consul": doc{"domain": "cf.internal"}}
			g := group(d, 0)
			g["properties"] = doc{"etcd": doc{"require_ssl": false}}
			g["jobs"] = []any{
				doc{"name": "etcd", "release": "etcd"},
				doc{"name": "own", "release": "etcd", "properties": doc{"a": 1}},
			}
			m := mustManifest(d)
			ig := m.InstanceGroups[0]
			Expect(m.JobProperties(ig, ig.Jobs[0])).To(Equal(map[string]any{
				"etcd":   map[string]any{"port": 4001, "require_ssl": false},
				"consul": map[string]any{"domain": "cf.internal"},
			}))
			Expect(m.JobProperties(ig, ig.Jobs[1])).To(Equal(map[string]any{"a": 1}))
			Expect(m.Properties["etcd"]).To(HaveKeyWithValue("require_ssl", true), "merging leaves the global properties alone")
		})
	})

	Describe("warnings", func() {
		It("warns about keys BOSH ignores and deprecated properties, naming where they are", func() {
			d := validManifest()
			d["propertes"] = doc{}
			d["properties"] = doc{}
			group(d, 0)["persistant_disk"] = 10
			m := mustManifest(d)
			Expect(m.Warnings).To(ContainElement(And(
				HaveField("Type", "warning"),
				HaveField("Message", ContainSubstring("'propertes'")),
			)))
			Expect(m.Warnings).To(ContainElement(HaveField("Message", ContainSubstring("instance_groups[0] (etcd): 'persistant_disk'"))))
			Expect(m.Warnings).To(ContainElement(And(
				HaveField("Type", "deprecation"),
				HaveField("Message", MatchRegexp(`^'properties' \(line \d+\) holds global properties, which are deprecated`)),
			)))
		})
	})

	DescribeTable("rejects invalid manifests, naming the path of each problem",
		func(change func(doc), path, message string) {
			d := validManifest()
			change(d)
			_, err := manifest.ParseManifest(toYAML(d))
			Expect(err).To(MatchError(manifest.ErrInvalidManifest))
			Expect(problems(err)).To(ContainElement(And(
				HaveField("Path", path),
				HaveField("Message", ContainSubstring(message)),
			)), err.Error())
		},
		Entry("no name", func(d doc) { delete(d, "name") }, "", "'name' is required"),
		Entry("name not a string", func(d doc) { d["name"] = []any{1} }, "", "'name' must be a string, not a list"),
		Entry("no releases", func(d doc) { delete(d, "releases") }, "", "'releases' is required"),
		Entry("release without version", func(d doc) { delete(d["releases"].([]any)[0].(doc), "version") },
			"releases[0] (etcd)", "'version' is required; give the release version, or 'latest'"),
		Entry("release listed twice", func(d doc) { d["releases"] = append(d["releases"].([]any), doc{"name": "etcd", "version": 2}) },
			"", "'releases' has more than one entry named 'etcd'"),
		Entry("stemcell with both os and name", func(d doc) { d["stemcells"].([]any)[0].(doc)["name"] = "bosh-warden" },
			"stemcells[0] (default)", "'os' and 'name' are both given"),
		Entry("no update block", func(d doc) { delete(d, "update") }, "", "'update' is required"),
		Entry("update without canaries", func(d doc) { delete(d["update"].(doc), "canaries") }, "update", "'canaries' is required"),
		Entry("negative canaries", func(d doc) { d["update"].(doc)["canaries"] = -1 }, "update", "'canaries' must be 0 or more"),
		Entry("max_in_flight neither number nor percentage", func(d doc) { d["update"].(doc)["max_in_flight"] = "lots" },
			"update", `'max_in_flight' must be a whole number or a percentage like "25%"`),
		Entry("watch time range reversed", func(d doc) { d["update"].(doc)["update_watch_time"] = "3000-1000" },
			"update", "'update_watch_time' \"3000-1000\" has its minimum above its maximum"),
		Entry("group update with a bad watch time", func(d doc) { group(d, 0)["update"] = doc{"canary_watch_time": "soon"} },
			"instance_groups[0] (etcd).update", "'canary_watch_time' must be milliseconds"),
		Entry("negative instances", func(d doc) { group(d, 0)["instances"] = -1 },
			"instance_groups[0] (etcd)", "'instances' must be 0 or more"),
		Entry("instances not a number", func(d doc) { group(d, 0)["instances"] = "three" },
			"instance_groups[0] (etcd)", `'instances' must be a whole number, not the string "three"`),
		Entry("no instances", func(d doc) { delete(group(d, 0), "instances") },
			"instance_groups[0] (etcd)", "'instances' is required"),
		Entry("group without a name", func(d doc) { delete(group(d, 0), "name") },
			"instance_groups[0]", "'name' is required"),
		Entry("two groups with one name", func(d doc) { d["instance_groups"] = append(d["instance_groups"].([]any), etcdGroup(1)) },
			"", "'instance_groups' has more than one entry named 'etcd'"),
		Entry("group not a hash", func(d doc) { d["instance_groups"] = []any{"etcd"} },
			"instance_groups[0]", `must be a hash, not the string "etcd"`),
		Entry("unknown lifecycle", func(d doc) { group(d, 0)["lifecycle"] = "batch" },
			"instance_groups[0] (etcd)", "'lifecycle' must be 'service' or 'errand', not 'batch'"),
		Entry("no vm_type", func(d doc) { delete(group(d, 0), "vm_type") },
			"instance_groups[0] (etcd)", "'vm_type' is required"),
		Entry("vm_type and vm_resources", func(d doc) { group(d, 0)["vm_resources"] = doc{"cpu": 1} },
			"instance_groups[0] (etcd)", "'vm_type' and 'vm_resources' are both given"),
		Entry("unknown stemcell alias", func(d doc) { group(d, 0)["stemcell"] = "jammy" },
			"instance_groups[0] (etcd)", "'stemcell' names 'jammy', which 'stemcells' does not define; use one of: default"),
		Entry("persistent_disk and persistent_disk_type", func(d doc) { group(d, 0)["persistent_disk_type"] = "ten" },
			"instance_groups[0] (etcd)", "'persistent_disk' and 'persistent_disk_type' are both given"),
		Entry("negative persistent disk", func(d doc) { group(d, 0)["persistent_disk"] = -5 },
			"instance_groups[0] (etcd)", "'persistent_disk' must be 0 or more"),
		Entry("empty azs", func(d doc) { group(d, 0)["azs"] = []any{} },
			"instance_groups[0] (etcd)", "'azs' is empty"),
		Entry("legacy templates key", func(d doc) { group(d, 0)["templates"] = []any{} },
			"instance_groups[0] (etcd)", "'templates' is the old name of 'jobs'"),
		Entry("no jobs", func(d doc) { delete(group(d, 0), "jobs") },
			"instance_groups[0] (etcd)", "'jobs' is required"),
		Entry("job without release", func(d doc) { delete(job(group(d, 0), 0), "release") },
			"instance_groups[0] (etcd).jobs[0] (etcd)", "'release' is required"),
		Entry("job from an unlisted release", func(d doc) { job(group(d, 0), 0)["release"] = "consul" },
			"instance_groups[0] (etcd).jobs[0] (etcd)", "'release' names 'consul', which 'releases' does not list"),
		Entry("the same job twice", func(d doc) {
			group(d, 0)["jobs"] = append(group(d, 0)["jobs"].([]any), doc{"name": "etcd", "release": "etcd"})
		},
			"instance_groups[0] (etcd)", "'jobs' has more than one entry named 'etcd'"),
		Entry("consumes entry that is null", func(d doc) { job(group(d, 0), 0)["consumes"] = doc{"etcd": nil} },
			"instance_groups[0] (etcd).jobs[0] (etcd).consumes", "'etcd' is null; give a hash, or the string 'nil'"),
		Entry("manual link", func(d doc) { job(group(d, 0), 0)["consumes"] = doc{"db": doc{"instances": []any{}}} },
			"instance_groups[0] (etcd).jobs[0] (etcd).consumes.db", "'instances' (a manual link) is not supported by localbosh"),
		Entry("link type in the manifest", func(d doc) { job(group(d, 0), 0)["provides"] = doc{"etcd": doc{"type": "etcd"}} },
			"instance_groups[0] (etcd).jobs[0] (etcd).provides.etcd", "'type' belongs in the job spec"),
		Entry("no networks", func(d doc) { delete(group(d, 0), "networks") },
			"instance_groups[0] (etcd)", "'networks' is required"),
		Entry("network without a name", func(d doc) { network(group(d, 0), 0)["name"] = "" },
			"instance_groups[0] (etcd).networks[0]", "'name' must not be empty"),
		Entry("unknown network default", func(d doc) { network(group(d, 0), 0)["default"] = []any{"routes"} },
			"instance_groups[0] (etcd).networks[0] (default)", "'default' has 'routes'"),
		Entry("two networks without defaults", func(d doc) { group(d, 0)["networks"] = []any{doc{"name": "a"}, doc{"name": "b"}} },
			"instance_groups[0] (etcd)", "no network is the default for 'dns'"),
		Entry("two gateway defaults", func(d doc) {
			group(d, 0)["networks"] = []any{doc{"name": "a", "default": []any{"dns", "gateway"}}, doc{"name": "b", "default": []any{"gateway"}}}
		}, "instance_groups[0] (etcd)", "networks [a b] are all the default for 'gateway'"),
		Entry("fewer static IPs than instances", func(d doc) { network(group(d, 0), 0)["static_ips"] = []any{"10.244.0.10", "10.244.0.11"} },
			"instance_groups[0] (etcd).networks[0] (default)", "'static_ips' has 2 IPs for 3 instances"),
		Entry("a huge static range", func(d doc) { network(group(d, 0), 0)["static_ips"] = []any{"10.0.0.0/8"} },
			"instance_groups[0] (etcd).networks[0] (default)", "'static_ips' has more IPs for 3 instances"),
		Entry("static IP that is not an IP", func(d doc) { network(group(d, 0), 0)["static_ips"] = []any{"10.244.0.300"} },
			"instance_groups[0] (etcd).networks[0] (default)", `"10.244.0.300" is not an IP address`),
		Entry("a static IP twice in a group", func(d doc) {
			network(group(d, 0), 0)["static_ips"] = []any{"10.244.0.10", "10.244.0.11", "10.244.0.10"}
		}, "instance_groups[0] (etcd).networks[0] (default)", "'static_ips' has 10.244.0.10 more than once"),
		Entry("a static IP in two groups", func(d doc) {
			network(group(d, 0), 0)["static_ips"] = []any{"10.244.0.10 - 10.244.0.12"}
			other := etcdGroup(1)
			other["name"] = "other"
			network(other, 0)["static_ips"] = []any{"10.244.0.12"}
			d["instance_groups"] = append(d["instance_groups"].([]any), other)
		}, "", "static IP 10.244.0.12 is given twice: in instance group 'etcd' (network 'default') and in instance group 'other'"),
		Entry("migrated_from an AZ the group does not use", func(d doc) { group(d, 0)["migrated_from"] = []any{doc{"name": "old", "az": "z9"}} },
			"instance_groups[0] (etcd).migrated_from[0] (old)", "'az' is 'z9', which is not in the instance group's 'azs'"),
		Entry("migrated_from a group still present", func(d doc) { group(d, 0)["migrated_from"] = []any{doc{"name": "etcd"}} },
			"", "instance group 'etcd' migrates from 'etcd', which is still an instance group"),
		Entry("cloud-config keys", func(d doc) { d["vm_types"] = []any{} }, "", "'vm_types' can only be set in a cloud config"),
		Entry("v1 jobs", func(d doc) { d["jobs"] = []any{} }, "", "'jobs' is the v1 manifest format"),
		Entry("deployment networks", func(d doc) { d["networks"] = []any{} }, "", "'networks' are no longer supported in a deployment manifest"),
		Entry("addons", func(d doc) { d["addons"] = []any{} }, "", "'addons' (deployment addons) are not supported by localbosh"),
	)

	It("reports every problem at once, with the line of each", func() {
		_, err := manifest.ParseManifest([]byte(`name: etcd
releases: [{name: etcd, version: 1}]
stemcells: [{alias: default, os: ubuntu-jammy, version: 1}]
update: {canaries: 1, max_in_flight: 1, canary_watch_time: 1000, update_watch_time: 1000}
instance_groups:
- name: etcd
  instances: -1
  vm_type: default
  stemcell: default
  networks: [{name: default}]
  jobs:
  - name: etcd
    release: unknown
`))
		Expect(problems(err)).To(ConsistOf(
			manifest.Problem{Path: "instance_groups[0] (etcd)", Pointer: "/instance_groups/0/instances", Line: 7,
				Message: "'instances' must be 0 or more, not -1"},
			And(HaveField("Path", "instance_groups[0] (etcd).jobs[0] (etcd)"),
				HaveField("Pointer", "/instance_groups/0/jobs/0/release"),
				HaveField("Line", 13)),
		))
		Expect(err.Error()).To(ContainSubstring("instance_groups[0] (etcd): 'instances' must be 0 or more, not -1 (line 7)"))
	})

	It("reports YAML that does not parse with its line", func() {
		_, err := manifest.ParseManifest([]byte("name: etcd\nreleases:\n  - name: [etcd\n"))
		Expect(err).To(MatchError(manifest.ErrInvalidManifest))
		Expect(err.Error()).To(ContainSubstring("not valid YAML"))
		Expect(err.Error()).To(MatchRegexp(`line \d+`))
	})

	It("rejects an empty manifest and one that is not a hash", func() {
		_, err := manifest.ParseManifest([]byte("# nothing\n"))
		Expect(err).To(MatchError(ContainSubstring("deployment manifest is empty")))
		_, err = manifest.ParseManifest([]byte("- a\n- b\n"))
		Expect(err).To(MatchError(ContainSubstring("must be a YAML hash at the top level, not a list")))
	})

	It("rejects ((variables)) left in the manifest, listing each with its path", func() {
		d := validManifest()
		job(group(d, 0), 0)["properties"] = doc{"etcd": doc{"ca_cert": "((etcd_ca.certificate))", "url": "https://((host)):((port))"}}
		_, err := manifest.ParseManifest(toYAML(d))
		Expect(errors.Is(err, manifest.ErrUnresolvedVariables)).To(BeTrue())
		Expect(errors.Is(err, manifest.ErrInvalidManifest)).To(BeTrue())
		ps := problems(err)
		Expect(ps).To(HaveLen(3))
		Expect(ps).To(ContainElement(And(
			HaveField("Pointer", "/instance_groups/0/jobs/0/properties/etcd/ca_cert"),
			HaveField("Message", ContainSubstring("((etcd_ca.certificate))")),
			HaveField("Line", BeNumerically(">", 0)),
		)))
		Expect(err.Error()).To(ContainSubstring("((host))"))
		Expect(err.Error()).To(ContainSubstring("((port))"))
		Expect(err.Error()).To(ContainSubstring("-v port=..."))
	})

	It("refuses the forms the director's config server refuses, such as (( name )) with spaces the CLI left, and names ((/absolute)) ones", func() {
		d := validManifest()
		job(group(d, 0), 0)["properties"] = doc{"a": "(( spaced ))", "b": "((/dir/dep/name))"}
		_, err := manifest.ParseManifest(toYAML(d))
		Expect(errors.Is(err, manifest.ErrUnresolvedVariables)).To(BeTrue())
		Expect(err.Error()).To(ContainSubstring("Variable name ' spaced ' must only contain alphanumeric, underscores, dashes, or forward slash characters"))
		Expect(err.Error()).To(ContainSubstring("variable ((/dir/dep/name)) at /instance_groups/0/jobs/0/properties/b is not resolved"))
	})
})
