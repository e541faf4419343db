package integration_test

import (
	"fmt"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/director"
)

var _ = Describe("rolling out an update", Label("integration"), Ordered, func() {
	var (
		dep    *fixtureDeployment
		ids    []string // by index
		rounds int
	)

	BeforeAll(func(ctx SpecContext) {
		dep = newFixtureDeployment("rollout")
		dep.addLoggerGroup("logger", 4)
		dep.mustDeploy(ctx)
		for _, inst := range dep.instancesOf(ctx, "logger") {
			ids = append(ids, inst.ID)
		}
		Expect(ids).To(HaveLen(4))
	})

	// update changes every instance and returns when each one's update ran
	// and the "Updating instance" items in the order they started.
	update := func(ctx SpecContext, opts director.DeployOptions) ([]window, []string) {
		before := dep.recordCounts()
		rounds++
		dep.props("logger")["marker"] = fmt.Sprintf("round %d", rounds)
		run := dep.mustDeploy(ctx, opts)
		windows := make([]window, len(ids))
		for i, id := range ids {
			recs := dep.recordsSince(id, before)
			Expect(hooks(recs)[0]).To(Equal("pre-stop"))
			windows[i] = windowOf(recs[:len(recs)-1]) // pre-stop to post-start; post-deploy comes after all
		}
		return windows, run.Started("Updating instance")
	}

	item := func(index int, canary bool) string {
		s := fmt.Sprintf("logger/%s (%d)", ids[index], index)
		if canary {
			s += " (canary)"
		}
		return s
	}

	It("updates the canaries alone, then max_in_flight instances at a time, starting the next as one ends", func(ctx SpecContext) {
		dep.doc["update"].(map[string]any)["canaries"] = 1
		dep.doc["update"].(map[string]any)["max_in_flight"] = 2
		w, items := update(ctx, director.DeployOptions{})

		Expect(items).To(HaveLen(4))
		Expect(items[0]).To(Equal(item(0, true)))
		Expect(items[1:3]).To(ConsistOf(item(1, false), item(2, false)))
		Expect(items[3]).To(Equal(item(3, false)))
		Expect(w[0].before(w[1]) && w[0].before(w[2])).To(BeTrue(), "the canary finishes before the others start: %v", w)
		Expect(w[1].overlaps(w[2])).To(BeTrue(), "instances 1 and 2 update together: %v", w)
		Expect(w[1].before(w[3]) || w[2].before(w[3])).To(BeTrue(), "instance 3 waits for a place among the 2 in flight: %v", w)
		Expect(w[1].overlaps(w[3]) && w[2].overlaps(w[3])).To(BeFalse(), "never 3 at once: %v", w)
	})

	It("takes canaries and max_in_flight as percentages of the group, rounded down", func(ctx SpecContext) {
		dep.doc["update"].(map[string]any)["canaries"] = "25%"      // 1 of 4
		dep.doc["update"].(map[string]any)["max_in_flight"] = "75%" // 3 of 4
		w, items := update(ctx, director.DeployOptions{})

		Expect(items[0]).To(Equal(item(0, true)))
		Expect(w[0].before(w[1]) && w[0].before(w[2]) && w[0].before(w[3])).To(BeTrue(), "%v", w)
		Expect(w[1].overlaps(w[2]) && w[2].overlaps(w[3]) && w[1].overlaps(w[3])).To(BeTrue(), "the other three update together: %v", w)
	})

	It("lets deploy options override the manifest's canaries and max_in_flight", func(ctx SpecContext) {
		w, items := update(ctx, director.DeployOptions{Canaries: "50%", MaxInFlight: "100%"})

		Expect(items[:2]).To(ConsistOf(item(0, true), item(1, true)))
		Expect(w[0].overlaps(w[1])).To(BeTrue(), "canaries update together, up to max_in_flight, as BOSH's pool runs them: %v", w)
		Expect(w[0].before(w[2]) && w[0].before(w[3]) && w[1].before(w[2]) && w[1].before(w[3])).To(BeTrue(), "the canaries finish first: %v", w)
		Expect(w[2].overlaps(w[3])).To(BeTrue(), "the rest update together: %v", w)
	})
})
