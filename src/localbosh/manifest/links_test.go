package manifest_test

import (
	"errors"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/jobspec"
	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/manifest"
	"github.com/cloudfoundry-incubator/etcd-release/src/render"
)

var catalog = manifest.JobSpecs{
	{Release: "etcd", Job: "etcd"}: {
		Name:       "etcd",
		Properties: map[string]jobspec.Property{"etcd.port": {Default: 2379}, "etcd.require_ssl": {Default: true}},
		Provides:   []jobspec.Link{{Name: "etcd", Type: "etcd", Properties: []string{"etcd.port", "etcd.require_ssl"}}},
		Consumes:   []jobspec.Link{{Name: "etcd", Type: "etcd"}},
	},
	{Release: "etcd", Job: "postgres"}: {
		Name:       "postgres",
		Properties: map[string]jobspec.Property{"port": {Default: 5432}},
		Provides:   []jobspec.Link{{Name: "conn", Type: "db", Properties: []string{"port"}}},
	},
	{Release: "etcd", Job: "web"}: {
		Name: "web",
		Consumes: []jobspec.Link{
			{Name: "primary_db", Type: "db"},
			{Name: "secondary_db", Type: "db", Optional: true},
		},
	},
}

// namedGroup is an instance group running jobs of the etcd release.
func namedGroup(name string, instances int, jobs ...doc) doc {
	g := etcdGroup(instances)
	g["name"] = name
	list := make([]any, len(jobs))
	for i, j := range jobs {
		j["release"] = "etcd"
		list[i] = j
	}
	g["jobs"] = list
	return g
}

var _ = Describe("ResolveLinks", func() {
	var d doc

	resolve := func() (manifest.Links, error) {
		m := mustManifest(d)
		p := planOf(m)
		return manifest.ResolveLinks(m, catalog, p.InstancesByGroup())
	}

	BeforeEach(func() {
		d = validManifest()
	})

	It("links a job to the one provider of the link's type, itself included", func() {
		links, err := resolve()
		Expect(err).NotTo(HaveOccurred())
		link := links["etcd"]["etcd"]["etcd"]
		Expect(link.Name).To(Equal("etcd"))
		Expect(link.Type).To(Equal("etcd"))
		Expect(link.ProviderGroup).To(Equal("etcd"))
		Expect(link.ProviderJob).To(Equal("etcd"))
		Expect(link.ProviderRelease).To(Equal("etcd"))
		Expect(link.ProviderLink).To(Equal("etcd"))
		Expect(link.ProviderAlias).To(Equal("etcd"))
		Expect(link.Network).To(Equal("default"))
		Expect(link.Address).To(Equal("q-s0.etcd.default.etcd.bosh"))
		Expect(link.PublishedProperties).To(Equal([]string{"etcd.port", "etcd.require_ssl"}))
		Expect(link.ProviderProperties).To(Equal(map[string]any{"etcd": map[string]any{"require_ssl": false}}))
		Expect(link.Instances).To(Equal([]manifest.LinkInstance{
			{Name: "etcd", Index: 0, ID: "id-1", AZ: "z1", Address: "10.244.0.30", Bootstrap: true},
			{Name: "etcd", Index: 1, ID: "id-2", AZ: "z1", Address: "10.244.0.31"},
			{Name: "etcd", Index: 2, ID: "id-3", AZ: "z1", Address: "10.244.0.32"},
		}))
	})

	It("gives the director what render needs to compute the published properties", func() {
		links, err := resolve()
		Expect(err).NotTo(HaveOccurred())
		link := links["etcd"]["etcd"]["etcd"]
		spec, err := catalog.JobSpec(link.ProviderRelease, link.ProviderJob)
		Expect(err).NotTo(HaveOccurred())
		resolved, err := render.ResolveProperties(spec, link.ProviderProperties)
		Expect(err).NotTo(HaveOccurred())
		published, err := render.PublishedProperties(spec, link.ProviderLink, resolved)
		Expect(err).NotTo(HaveOccurred())
		Expect(published).To(Equal(map[string]any{"etcd": map[string]any{"port": 2379, "require_ssl": false}}))
	})

	It("leaves an optional link nothing provides unresolved", func() {
		d["instance_groups"] = []any{
			namedGroup("db", 1, doc{"name": "postgres"}),
			namedGroup("app", 1, doc{"name": "web"}),
		}
		links, err := resolve()
		Expect(err).NotTo(HaveOccurred())
		Expect(links["app"]["web"]).To(HaveKey("primary_db"))
		Expect(links["app"]["web"]["primary_db"].ProviderGroup).To(Equal("db"))
		Expect(links["app"]["web"]).To(HaveKey("secondary_db"), "the one provider of type db serves optional links too")
	})

	It("connects explicitly with 'from' to providers named with 'as'", func() {
		d["instance_groups"] = []any{
			namedGroup("db1", 1, doc{"name": "postgres", "provides": doc{"conn": doc{"as": "primary"}}}),
			namedGroup("db2", 2, doc{"name": "postgres", "provides": doc{"conn": doc{"as": "secondary", "shared": true}}}),
			namedGroup("app", 1, doc{"name": "web", "consumes": doc{
				"primary_db":   doc{"from": "primary"},
				"secondary_db": doc{"from": "secondary"},
			}}),
		}
		links, err := resolve()
		Expect(err).NotTo(HaveOccurred())
		primary := links["app"]["web"]["primary_db"]
		Expect(primary.ProviderGroup).To(Equal("db1"))
		Expect(primary.ProviderAlias).To(Equal("primary"))
		Expect(primary.ProviderLink).To(Equal("conn"))
		Expect(primary.Instances).To(HaveLen(1))
		secondary := links["app"]["web"]["secondary_db"]
		Expect(secondary.ProviderGroup).To(Equal("db2"))
		Expect(secondary.Shared).To(BeTrue())
		Expect(secondary.Instances).To(HaveLen(2))
	})

	It("leaves a link blocked with 'nil' unresolved when it is optional", func() {
		d["instance_groups"] = []any{
			namedGroup("db", 1, doc{"name": "postgres"}),
			namedGroup("app", 1, doc{"name": "web", "consumes": doc{"secondary_db": "nil"}}),
		}
		links, err := resolve()
		Expect(err).NotTo(HaveOccurred())
		Expect(links["app"]["web"]).To(HaveKey("primary_db"))
		Expect(links["app"]["web"]).NotTo(HaveKey("secondary_db"))
	})

	It("gives addresses on the network the consumer asks for", func() {
		cc := validCloudConfig()
		cc["networks"] = append(cc["networks"].([]any), doc{"name": "other", "subnets": []any{doc{
			"range": "10.245.0.0/24", "gateway": "10.245.0.1", "azs": []any{"z1"},
		}}})
		db := namedGroup("db", 1, doc{"name": "postgres"})
		db["networks"] = []any{doc{"name": "default", "default": []any{"dns", "gateway"}}, doc{"name": "other"}}
		d["instance_groups"] = []any{db, namedGroup("app", 1, doc{"name": "web", "consumes": doc{"primary_db": doc{"from": "conn", "network": "other"}}})}
		m := mustManifest(d)
		p, err := manifest.Plan(m, mustCloudConfig(cc), manifest.DeploymentState{}, nil, ids("id"))
		Expect(err).NotTo(HaveOccurred())
		links, err := manifest.ResolveLinks(m, catalog, p.InstancesByGroup())
		Expect(err).NotTo(HaveOccurred())
		Expect(links["app"]["web"]["primary_db"].Network).To(Equal("other"))
		Expect(links["app"]["web"]["primary_db"].Instances[0].Address).To(Equal("10.245.0.2"))
		Expect(links["app"]["web"]["primary_db"].Address).To(Equal("q-s0.db.other.etcd.bosh"))
		Expect(links["app"]["web"]["secondary_db"].Instances[0].Address).To(Equal("10.244.0.30"), "the default network otherwise")
	})

	It("writes group, network and deployment names as DNS labels in the link address", func() {
		d["name"] = "My_Etcd"
		d["instance_groups"] = []any{namedGroup("etcd_server", 1, doc{"name": "etcd"})}
		links, err := resolve()
		Expect(err).NotTo(HaveOccurred())
		Expect(links["etcd_server"]["etcd"]["etcd"].Address).To(Equal("q-s0.etcd-server.default.my-etcd.bosh"))
	})

	DescribeTable("fails naming the consumer job and link",
		func(groups []any, messages ...string) {
			d["instance_groups"] = groups
			_, err := resolve()
			Expect(errors.Is(err, manifest.ErrLinks)).To(BeTrue(), "%v", err)
			for _, message := range messages {
				Expect(err.Error()).To(ContainSubstring(message))
			}
		},
		Entry("a required link nothing provides",
			[]any{namedGroup("app", 1, doc{"name": "web"})},
			"job 'web' in instance group 'app' consumes link 'primary_db' (type 'db'), but no job in the deployment provides a link of type 'db'"),
		Entry("a required link several jobs provide",
			[]any{
				namedGroup("db1", 1, doc{"name": "postgres"}),
				namedGroup("db2", 1, doc{"name": "postgres"}),
				namedGroup("app", 1, doc{"name": "web"}),
			},
			"job 'web' in instance group 'app' consumes link 'primary_db' (type 'db'), which 2 providers offer: job 'postgres' in instance group 'db1' (link 'conn'), job 'postgres' in instance group 'db2' (link 'conn')",
			"choose one with consumes.primary_db.from"),
		Entry("an optional link several jobs provide",
			[]any{
				namedGroup("db1", 1, doc{"name": "postgres", "provides": doc{"conn": doc{"as": "a"}}}),
				namedGroup("db2", 1, doc{"name": "postgres", "provides": doc{"conn": doc{"as": "b"}}}),
				namedGroup("app", 1, doc{"name": "web", "consumes": doc{"primary_db": doc{"from": "a"}}}),
			},
			"consumes link 'secondary_db' (type 'db'), which 2 providers offer"),
		Entry("'from' naming no provider",
			[]any{
				namedGroup("db", 1, doc{"name": "postgres", "provides": doc{"conn": doc{"as": "main"}}}),
				namedGroup("app", 1, doc{"name": "web", "consumes": doc{"primary_db": doc{"from": "mian"}}}),
			},
			"job 'web' in instance group 'app' consumes link 'primary_db' (type 'db') from 'mian', but no job provides a link of that type under that name",
			"job 'postgres' in instance group 'db' (link 'conn' as 'main')"),
		Entry("a required link blocked with 'nil'",
			[]any{
				namedGroup("db", 1, doc{"name": "postgres"}),
				namedGroup("app", 1, doc{"name": "web", "consumes": doc{"primary_db": "nil"}}),
			},
			"consumes link 'primary_db' (type 'db'), which is required, but the manifest switches it off with 'nil'"),
		Entry("a provider switched off with 'nil'",
			[]any{
				namedGroup("db", 1, doc{"name": "postgres", "provides": doc{"conn": "nil"}}),
				namedGroup("app", 1, doc{"name": "web"}),
			},
			"consumes link 'primary_db' (type 'db'), but no job in the deployment provides a link of type 'db'"),
		Entry("a network the provider is not on",
			[]any{
				namedGroup("db", 1, doc{"name": "postgres"}),
				namedGroup("app", 1, doc{"name": "web", "consumes": doc{"primary_db": doc{"from": "conn", "network": "vip"}}}),
			},
			"consumes link 'primary_db' (type 'db') over network 'vip', but its provider job 'postgres' in instance group 'db' (link 'conn') is not on that network"),
		Entry("a manifest entry without 'from', matched by the link's name",
			[]any{
				namedGroup("db", 1, doc{"name": "postgres"}),
				namedGroup("app", 1, doc{"name": "web", "consumes": doc{"primary_db": doc{"network": "default"}}}),
			},
			"consumes link 'primary_db' (type 'db') without 'from', so from a provider named 'primary_db', but no job provides"),
		Entry("another deployment",
			[]any{
				namedGroup("db", 1, doc{"name": "postgres"}),
				namedGroup("app", 1, doc{"name": "web", "consumes": doc{"primary_db": doc{"from": "conn", "deployment": "data"}}}),
			},
			"from deployment 'data'; localbosh resolves links within one deployment only"),
		Entry("a consumed link the spec does not declare",
			[]any{
				namedGroup("db", 1, doc{"name": "postgres"}),
				namedGroup("app", 1, doc{"name": "web", "consumes": doc{"primary": doc{"from": "conn"}}}),
			},
			"job 'web' in instance group 'app' configures consumes.primary, but its spec declares no such link (it consumes: [primary_db secondary_db])"),
		Entry("a job the release does not have",
			[]any{namedGroup("app", 1, doc{"name": "worker"})},
			"job 'worker' in instance group 'app': release 'etcd' has no job 'worker'"),
	)

	It("reports every unresolvable link at once", func() {
		d["instance_groups"] = []any{namedGroup("app", 1, doc{"name": "web"}), namedGroup("app2", 1, doc{"name": "web"})}
		_, err := resolve()
		var linksErr *manifest.LinksError
		Expect(errors.As(err, &linksErr)).To(BeTrue())
		Expect(linksErr.Problems).To(HaveLen(2))
		Expect(linksErr.Deployment).To(Equal("etcd"))
	})
})
