package integration_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("links", Label("integration"), func() {
	It("renders the provider's instances (indexes, ids, addresses) and published properties in the consumer", func(ctx SpecContext) {
		dep := newFixtureDeployment("links")
		dep.addLoggerGroup("provider", 2)
		provider := dep.job("provider")
		provider["provides"] = map[string]any{"logger": map[string]any{"as": "upstream_loggers"}}
		dep.props("provider")["color"] = "green"
		dep.props("provider")["port"] = 4100
		dep.addLoggerGroup("consumer", 1)
		dep.job("consumer")["consumes"] = map[string]any{"upstream": map[string]any{"from": "upstream_loggers"}}
		dep.mustDeploy(ctx)

		providers := dep.instancesOf(ctx, "provider")
		Expect(providers).To(HaveLen(2))
		var want []any
		for _, p := range providers {
			Expect(p.IPs).To(HaveLen(1))
			want = append(want, map[string]any{
				"name": "provider", "index": float64(p.Index), "id": p.ID, "az": "z1",
				"address": p.IPs[0], "bootstrap": p.Bootstrap,
			})
		}
		Expect(providers[0].Bootstrap != providers[1].Bootstrap).To(BeTrue(), "one provider instance is the bootstrap one")

		rendered, err := bosh.ReadFile(ctx, dep.name, "consumer/0", "/var/vcap/jobs/logger/config/links.json")
		Expect(err).NotTo(HaveOccurred())
		link := mustParseJSON(rendered)
		Expect(link["instances"]).To(Equal(want))
		Expect(link["properties"]).To(Equal(map[string]any{"color": "green", "port": float64(4100)}))
		Expect(link["address"]).To(Equal("q-s0.provider.default.links.bosh"))

		By("rendering nothing for a link the manifest switches off")
		unlinked, err := bosh.ReadFile(ctx, dep.name, "provider/0", "/var/vcap/jobs/logger/config/links.json")
		Expect(err).NotTo(HaveOccurred())
		Expect(mustParseJSON(unlinked)).To(BeEmpty())
	})
})
