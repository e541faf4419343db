package render_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/jobspec"
	"github.com/cloudfoundry-incubator/etcd-release/src/render"
)

var _ = Describe("ResolveProperties", func() {
	spec := jobspec.Spec{
		Name: "etcd",
		Properties: map[string]jobspec.Property{
			"etcd.port":         {Default: 2379},
			"etcd.require_ssl":  {Default: true},
			"etcd.ca_cert":      {},
			"etcd.cluster.name": {Default: "etcd"},
			"etcd.machines":     {Default: []any{}},
		},
		Provides: []jobspec.Link{{Name: "etcd", Type: "etcd", Properties: []string{"etcd.port", "etcd.cluster.name"}}},
	}

	It("takes declared properties from the manifest, defaults for the rest, nested", func() {
		resolved, err := render.ResolveProperties(spec, map[string]any{
			"etcd": map[string]any{"port": 4001, "ca_cert": "PEM"},
		})
		Expect(err).NotTo(HaveOccurred())
		Expect(resolved).To(Equal(map[string]any{
			"etcd": map[string]any{
				"port":        4001,
				"require_ssl": true,
				"ca_cert":     "PEM",
				"cluster":     map[string]any{"name": "etcd"},
				"machines":    []any{},
			},
		}))
	})

	It("keeps false as a value, uses the default for null, and drops undeclared properties", func() {
		resolved, err := render.ResolveProperties(spec, map[string]any{
			"etcd":  map[string]any{"require_ssl": false, "port": nil, "undeclared": "x"},
			"other": map[string]any{"thing": 1},
		})
		Expect(err).NotTo(HaveOccurred())
		etcd := resolved["etcd"].(map[string]any)
		Expect(etcd["require_ssl"]).To(BeFalse())
		Expect(etcd["port"]).To(Equal(2379))
		Expect(etcd).To(HaveKeyWithValue("ca_cert", BeNil()))
		Expect(etcd).NotTo(HaveKey("undeclared"))
		Expect(resolved).NotTo(HaveKey("other"))
	})

	It("shares no maps with the manifest", func() {
		manifest := map[string]any{"etcd": map[string]any{"cluster": map[string]any{"name": "a"}}}
		resolved, err := render.ResolveProperties(spec, manifest)
		Expect(err).NotTo(HaveOccurred())
		resolved["etcd"].(map[string]any)["cluster"].(map[string]any)["name"] = "changed"
		Expect(manifest["etcd"].(map[string]any)["cluster"].(map[string]any)["name"]).To(Equal("a"))
	})

	It("refuses a manifest value that is not a hash where a declared name goes deeper", func() {
		_, err := render.ResolveProperties(spec, map[string]any{"etcd": "oops"})
		Expect(err).To(MatchError(And(
			ContainSubstring("job 'etcd'"),
			ContainSubstring("expects a hash at 'etcd'"),
		)))
	})
})

var _ = Describe("PublishedProperties", func() {
	spec := jobspec.Spec{
		Name: "etcd",
		Properties: map[string]jobspec.Property{
			"etcd.port":         {Default: 2379},
			"etcd.cluster.name": {Default: "etcd"},
			"etcd.ca_cert":      {},
		},
		Provides: []jobspec.Link{
			{Name: "etcd", Type: "etcd", Properties: []string{"etcd.port", "etcd.cluster.name"}},
			{Name: "bad", Type: "etcd", Properties: []string{"etcd.undeclared"}},
		},
	}
	resolved := map[string]any{"etcd": map[string]any{"port": 4001, "cluster": map[string]any{"name": "main"}, "ca_cert": "PEM"}}

	It("publishes only the properties the link lists, nested", func() {
		published, err := render.PublishedProperties(spec, "etcd", resolved)
		Expect(err).NotTo(HaveOccurred())
		Expect(published).To(Equal(map[string]any{
			"etcd": map[string]any{"port": 4001, "cluster": map[string]any{"name": "main"}},
		}))
	})

	It("refuses a link the job does not provide", func() {
		_, err := render.PublishedProperties(spec, "consul", resolved)
		Expect(err).To(MatchError(ContainSubstring("job 'etcd' provides no link 'consul'")))
	})

	It("refuses a published property the spec does not declare", func() {
		_, err := render.PublishedProperties(spec, "bad", resolved)
		Expect(err).To(MatchError(ContainSubstring("publishes property 'etcd.undeclared'")))
	})
})
