package manifest_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/manifest"
)

var _ = Describe("names, checked by the director's rules", func() {
	DescribeTable("a manifest name that breaks its rule is a name problem, before any task",
		func(change func(d doc), pointer, field string) {
			d := validManifest()
			change(d)
			err := manifest.CheckManifestNames(toYAML(d))
			Expect(err).To(HaveOccurred())
			Expect(problems(err)).To(ContainElement(SatisfyAll(
				HaveField("Pointer", pointer), HaveField("Message", ContainSubstring(field)))))

			By("and ParseManifest reports the same problem")
			_, err = manifest.ParseManifest(toYAML(d))
			Expect(problems(err)).To(ContainElement(HaveField("Message", ContainSubstring(field))))
		},
		Entry("the deployment", func(d doc) { d["name"] = "../x" }, "/name", `deployment name "../x"`),
		Entry("a release", func(d doc) {
			d["releases"].([]any)[0].(doc)["name"] = "a/b"
			job(group(d, 0), 0)["release"] = "a/b"
		}, "/releases/0/name", "release name"),
		Entry("a release version", func(d doc) { d["releases"].([]any)[0].(doc)["version"] = ".." }, "/releases/0/version", "release version"),
		Entry("a stemcell version", func(d doc) { d["stemcells"].([]any)[0].(doc)["version"] = "1\n2" }, "/stemcells/0/version", "stemcell version"),
		Entry("an instance group", func(d doc) { group(d, 0)["name"] = "etcd/0" }, "/instance_groups/0/name", "instance group name"),
		Entry("a job", func(d doc) { job(group(d, 0), 0)["name"] = "../../etcd" }, "/instance_groups/0/jobs/0/name", "job name"),
		Entry("a network", func(d doc) { network(group(d, 0), 0)["name"] = "a\x00b" }, "/instance_groups/0/networks/0/name", "network name"),
		Entry("an AZ", func(d doc) { group(d, 0)["azs"] = []any{"z1/.."} }, "/instance_groups/0/azs", "AZ name"),
		Entry("a variable", func(d doc) { d["variables"] = []any{doc{"name": "../ca", "type": "certificate"}} }, "/variables/0/name", "variable name"),
	)

	It("leaves every other problem, and ((variables)), to ParseManifest", func() {
		d := validManifest()
		group(d, 0)["instances"] = -1
		d["name"] = "((deployment_name))"
		Expect(manifest.CheckManifestNames(toYAML(d))).To(Succeed())
		Expect(manifest.CheckManifestNames([]byte("{not yaml"))).To(Succeed())
	})

	It("checks the names of a cloud config's AZs and networks", func() {
		cc := validCloudConfig()
		cc["azs"].([]any)[1].(doc)["name"] = ".."
		ccNetwork(cc, 0)["name"] = "a/b"
		err := manifest.CheckCloudConfigNames(toYAML(cc))
		Expect(problems(err)).To(HaveLen(2))
		Expect(err).To(MatchError(ContainSubstring(`AZ name ".."`)))
		Expect(err).To(MatchError(ContainSubstring(`network name "a/b"`)))
		Expect(manifest.CheckCloudConfigNames(toYAML(validCloudConfig()))).To(Succeed())
	})
})
