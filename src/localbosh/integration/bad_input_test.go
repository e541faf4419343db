package integration_test

import (
	"errors"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"gopkg.in/yaml.v3"

	"github.com/cloudfoundry-incubator/etcd-release/src/director"
	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/testdirector"
	"github.com/cloudfoundry-incubator/etcd-release/src/opsfile"
)

var _ = Describe("bad input", Label("integration"), Ordered, func() {
	var (
		dep    *fixtureDeployment
		before []testdirector.InstanceState
		counts map[string]int
	)

	BeforeAll(func(ctx SpecContext) {
		dep = newFixtureDeployment("badinput")
		dep.addLoggerGroup("logger", 1)["networks"] = []any{map[string]any{
			"name": "default", "static_ips": []any{bosh.Network().StaticIP(0).String()},
		}}
		dep.mustDeploy(ctx)
		before = instanceStates(ctx, dep.name)
	})

	BeforeEach(func() { counts = dep.recordCounts() })

	// variant is a copy of the good manifest for a spec to break.
	variant := func() map[string]any {
		GinkgoHelper()
		var doc map[string]any
		Expect(yaml.Unmarshal(mustYAML(dep.doc), &doc)).To(Succeed())
		return doc
	}
	groupOf := func(doc map[string]any) map[string]any { return doc["instance_groups"].([]any)[0].(map[string]any) }
	jobOf := func(doc map[string]any) map[string]any { return groupOf(doc)["jobs"].([]any)[0].(map[string]any) }

	// failedDeploy deploys a broken manifest and returns the task's failure.
	failedDeploy := func(ctx SpecContext, doc map[string]any) string {
		GinkgoHelper()
		run, err := bosh.DeployDoc(ctx, doc, director.DeployOptions{})
		Expect(err).NotTo(HaveOccurred())
		Expect(run.Task.State).To(Equal(director.StateError))
		Expect(run.Started("Updating instance")).To(BeEmpty())
		return run.Failure()
	}

	AfterEach(func(ctx SpecContext) {
		By("changing no instance")
		Expect(testdirector.InstanceChanges(before, instanceStates(ctx, dep.name))).To(BeEmpty())
		Expect(dep.recordCounts()).To(Equal(counts))
	})

	It("rejects YAML that does not parse before starting a task", func(ctx SpecContext) {
		_, err := bosh.Client().Deploy(ctx, []byte("name: badinput\ninstance_groups: [\n"), director.DeployOptions{})
		Expect(director.ErrorCode(err)).To(Equal(director.CodeBadManifest))
		Expect(err.Error()).To(ContainSubstring("Incorrect YAML structure of the uploaded manifest"))
	})

	It("fails on a release that was not uploaded, naming it", func(ctx SpecContext) {
		doc := variant()
		doc["releases"] = []any{map[string]any{"name": "nosuchrelease", "version": "latest"}}
		jobOf(doc)["release"] = "nosuchrelease"
		Expect(failedDeploy(ctx, doc)).To(ContainSubstring("Release 'nosuchrelease' version 'latest' doesn't exist"))
	})

	It("fails on a job the release does not have, naming it", func(ctx SpecContext) {
		doc := variant()
		jobOf(doc)["name"] = "nosuchjob"
		Expect(failedDeploy(ctx, doc)).To(MatchRegexp(`job 'nosuchjob' is not in release '` + fixtureRelease + `/`))
	})

	It("fails on a missing required property, naming the job, the template and the property", func(ctx SpecContext) {
		doc := variant()
		delete(jobOf(doc)["properties"].(map[string]any)["logger"].(map[string]any), "greeting")
		failure := failedDeploy(ctx, doc)
		Expect(failure).To(ContainSubstring("Unable to render templates for job 'logger'"))
		Expect(failure).To(ContainSubstring("Error filling in template 'properties.json.erb'"))
		Expect(failure).To(ContainSubstring(`Can't find property '["logger.greeting"]'`))
	})

	It("fails on a static IP outside the network's static range, naming it", func(ctx SpecContext) {
		doc := variant()
		outside := bosh.Network().Outside().String()
		groupOf(doc)["networks"] = []any{map[string]any{"name": "default", "static_ips": []any{outside}}}
		failure := failedDeploy(ctx, doc)
		Expect(failure).To(ContainSubstring(outside))
		Expect(failure).To(ContainSubstring("static"))
	})

	It("fails on a static IP given twice, naming it", func(ctx SpecContext) {
		doc := variant()
		twin := variant()["instance_groups"].([]any)[0].(map[string]any)
		twin["name"] = "twin"
		doc["instance_groups"] = append(doc["instance_groups"].([]any), twin)
		Expect(failedDeploy(ctx, doc)).To(ContainSubstring(bosh.Network().StaticIP(0).String()))
	})

	It("reports an ops file path that matches nothing, before anything is sent", func() {
		ops, err := opsfile.Parse("scale.yml", []byte("- type: replace\n  path: /instance_groups/name=nosuchgroup/instances\n  value: 3\n"))
		Expect(err).NotTo(HaveOccurred())
		var doc any
		Expect(yaml.Unmarshal(mustYAML(dep.doc), &doc)).To(Succeed())
		_, err = ops.Apply(doc)
		var matchErr *opsfile.MatchCountError
		Expect(errors.As(err, &matchErr)).To(BeTrue(), "%v", err)
		Expect(matchErr.Matches).To(BeZero())
		Expect(err.Error()).To(ContainSubstring("ops file 'scale.yml'"))
		Expect(err.Error()).To(ContainSubstring("/instance_groups/name=nosuchgroup"))
	})
})

// instanceStates are a deployment's instances with their processes' PIDs.
func instanceStates(ctx SpecContext, deployment string) []testdirector.InstanceState {
	GinkgoHelper()
	states, err := bosh.InstanceStates(ctx, deployment)
	Expect(err).NotTo(HaveOccurred())
	return states
}
