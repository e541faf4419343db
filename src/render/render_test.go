package render_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/jobspec"
	"github.com/cloudfoundry-incubator/etcd-release/src/render"
)

// These tests run the real ruby, as the director will.

func loadJob(name string) (string, jobspec.Spec) {
	dir := filepath.Join("testdata", name)
	spec, err := jobspec.Load(dir)
	Expect(err).NotTo(HaveOccurred())
	return dir, spec
}

func parseJSON(rendered map[string][]byte, destination string) map[string]any {
	Expect(rendered).To(HaveKey(destination))
	var out map[string]any
	Expect(json.Unmarshal(rendered[destination], &out)).To(Succeed(), "rendered %s: %s", destination, rendered[destination])
	return out
}

var _ = Describe("RenderJob", func() {
	Context("with a job whose templates all render", func() {
		var (
			jobDir   string
			spec     jobspec.Spec
			rendered map[string][]byte
		)

		BeforeEach(func(ctx SpecContext) {
			jobDir, spec = loadJob("etcd_like")
			manifest := map[string]any{
				"etcd": map[string]any{
					"ca_cert":     "CA PEM",
					"require_ssl": false,
					"old_name":    "legacy",
					"undeclared":  "must not be seen",
				},
			}
			resolved, err := render.ResolveProperties(spec, manifest)
			Expect(err).NotTo(HaveOccurred())
			published, err := render.PublishedProperties(spec, "peers", resolved)
			Expect(err).NotTo(HaveOccurred())

			inst := render.Instance{
				Deployment: "etcd-deployment",
				Name:       "etcd",
				ID:         "6b1c2a9e-0000-4000-8000-000000000002",
				AZ:         "z2",
				Index:      2,
				Bootstrap:  true,
				Address:    "10.244.0.12",
				Networks: map[string]render.Network{
					"private": {Type: "manual", IP: "10.244.0.12", Netmask: "255.255.0.0", Gateway: "10.244.0.1", DNS: []string{"10.244.0.1"}, Default: []string{"dns", "gateway"}},
					"public":  {Type: "manual", IP: "192.0.2.5", Netmask: "255.255.255.0", Gateway: "192.0.2.1"},
				},
				PersistentDiskMB: 1024,
				Release:          render.Release{Name: "etcd", Version: "0+dev.1"},
				Jobs:             []string{"consul_agent", "etcd_like"},
			}
			links := map[string]render.Link{"peers": {
				Properties: published,
				Instances: []render.LinkInstance{
					{Name: "etcd", Index: 0, ID: "id-0", AZ: "z1", Address: "10.244.0.10", Bootstrap: true},
					{Name: "etcd", Index: 1, ID: "id-1", AZ: "z2", Address: "10.244.0.11"},
				},
				Address: "q-s0.etcd.private.etcd-deployment.bosh",
			}}
			rendered, err = render.RenderJob(ctx, jobDir, spec, manifest, inst, links)
			Expect(err).NotTo(HaveOccurred())
		})

		It("renders every template of the spec and the monit file", func() {
			Expect(rendered).To(HaveLen(len(spec.Templates) + 1))
			for _, destination := range spec.Templates {
				Expect(rendered).To(HaveKey(destination))
			}
			Expect(string(rendered[render.MonitDestination])).To(ContainSubstring("pidfile /var/vcap/sys/run/etcd_like/etcd.pid"))
		})

		It("resolves p() from the manifest, the spec default or the template's default", func() {
			props := parseJSON(rendered, "config/properties.json")
			Expect(props["ca_cert"]).To(Equal("CA PEM"))
			Expect(props["port"]).To(BeEquivalentTo(2379), "spec default")
			Expect(props["cluster_name"]).To(Equal("etcd"), "nested dotted name")
			Expect(props["cluster"]).To(Equal(map[string]any{"name": "etcd"}), "a hash of properties")
			Expect(props["log_level"]).To(Equal("info"), "template default")
			Expect(props["explicit_default_unused"]).To(BeEquivalentTo(2379), "a set property beats the template default")
			Expect(props["require_ssl"]).To(BeFalse(), "false is a set value")
			Expect(props["name"]).To(Equal("legacy"), "first set name of an array")
			Expect(props["name_or_fallback"]).To(Equal("fallback"), "array default when none is set")
			Expect(props["undeclared"]).To(Equal("dropped"), "undeclared manifest properties are invisible")
			Expect(props["peers"]).To(BeEmpty())
			Expect(props["properties_struct_port"]).To(BeEquivalentTo(2379))
		})

		It("runs the if_p, else_if_p, if_link and else_if_link branches BOSH would", func() {
			branches := parseJSON(rendered, "config/conditionals.json")
			Expect(branches).To(Equal(map[string]any{
				"if_p_false_value": false,
				"if_p_unset":       "else",
				"if_p_all_set":     []any{float64(2379), "etcd"},
				"if_p_one_unset":   "else",
				"else_if_p":        "second 2379",
				"else_if_p_else":   "second",
				"if_link":          float64(2),
				"if_link_absent":   "else",
				"else_if_link":     float64(2379),
				"link_if_p":        "etcd",
				"link_if_p_else":   "else",
			}))
		})

		It("exposes the instance through spec, name and index", func() {
			got := parseJSON(rendered, "config/instance.json")
			Expect(got).To(Equal(map[string]any{
				"name":                 "etcd",
				"index":                float64(2),
				"spec_name":            "etcd",
				"spec_index":           float64(2),
				"id":                   "6b1c2a9e-0000-4000-8000-000000000002",
				"bootstrap":            true,
				"az":                   "z2",
				"deployment":           "etcd-deployment",
				"address":              "10.244.0.12",
				"ip":                   "10.244.0.12",
				"job_name":             "etcd",
				"job_templates":        []any{"consul_agent", "etcd_like"},
				"network_names":        []any{"private", "public"},
				"private_ip":           "10.244.0.12",
				"private_netmask":      "255.255.0.0",
				"private_gateway":      "10.244.0.1",
				"private_dns":          []any{"10.244.0.1"},
				"private_default":      []any{"dns", "gateway"},
				"persistent_disk":      float64(1024),
				"dns_domain_name":      "bosh",
				"release":              []any{"etcd", "0+dev.1"},
				"spec_properties_port": float64(2379),
			}))
		})

		It("exposes link instances, address and published properties", func() {
			got := parseJSON(rendered, "config/links.json")
			Expect(got["instances"]).To(Equal([]any{
				map[string]any{"name": "etcd", "index": float64(0), "id": "id-0", "az": "z1", "address": "10.244.0.10", "bootstrap": true},
				map[string]any{"name": "etcd", "index": float64(1), "id": "id-1", "az": "z2", "address": "10.244.0.11", "bootstrap": false},
			}))
			Expect(got["address"]).To(Equal("q-s0.etcd.private.etcd-deployment.bosh"))
			Expect(got["port"]).To(BeEquivalentTo(2379))
			Expect(got["cluster_name"]).To(Equal("etcd"))
			Expect(got["with_default"]).To(Equal("default"))
			Expect(got["properties"]).To(Equal(map[string]any{
				"etcd": map[string]any{"port": float64(2379), "cluster": map[string]any{"name": "etcd"}},
			}), "only the properties the provider's link lists")
		})

		It("trims with trim mode '-'", func() {
			Expect(string(rendered["bin/trimmed"])).To(Equal("#!/bin/bash\n  echo line1\n  echo line2\ndone\n"))
		})
	})

	Context("with a job whose templates fail", func() {
		var jobErr *render.JobError

		BeforeEach(func(ctx SpecContext) {
			jobDir, spec := loadJob("broken")
			manifest := map[string]any{"etcd": map[string]any{"password": "hunter2-secret"}}
			_, err := render.RenderJob(ctx, jobDir, spec, manifest, render.Instance{Name: "etcd"}, nil)
			Expect(errors.As(err, &jobErr)).To(BeTrue(), "got %v", err)
		})

		It("reports every failing template of the job, and only those", func() {
			Expect(jobErr.Job).To(Equal("broken"))
			var sources []string
			for _, t := range jobErr.Templates {
				sources = append(sources, t.Source)
			}
			Expect(sources).To(ConsistOf("missing_property.erb", "missing_any.erb", "missing_link.erb", "syntax.erb", "helper_b.erb"))
		})

		It("names the template, line and property of a missing required property", func() {
			Expect(jobErr.Templates).To(ContainElement(render.TemplateError{
				Source: "missing_property.erb", Line: 3, Message: `Can't find property '["etcd.ca_cert"]'`,
			}))
			Expect(jobErr.Templates).To(ContainElement(render.TemplateError{
				Source: "missing_any.erb", Line: 1, Message: `Can't find property '["etcd.new_name", "etcd.old_name"]'`,
			}))
		})

		It("names a missing link", func() {
			Expect(jobErr.Templates).To(ContainElement(render.TemplateError{
				Source: "missing_link.erb", Line: 2, Message: "Can't find link 'peers'",
			}))
		})

		It("reports a Ruby syntax error with its template and line", func() {
			Expect(jobErr.Templates).To(ContainElement(And(
				HaveField("Source", "syntax.erb"),
				HaveField("Line", 4),
				HaveField("Message", ContainSubstring("syntax error")),
			)))
		})

		It("does not let a method one template defines leak into the next", func() {
			Expect(jobErr.Templates).To(ContainElement(And(
				HaveField("Source", "helper_b.erb"),
				HaveField("Line", 1),
				HaveField("Message", ContainSubstring("helper")),
			)))
		})

		It("keeps property values out of error messages", func() {
			Expect(jobErr.Error()).NotTo(ContainSubstring("hunter2-secret"))
		})

		It("words the error as the BOSH director does", func() {
			Expect(jobErr.Error()).To(HavePrefix("Unable to render templates for job 'broken'. Errors are:\n"))
			Expect(jobErr.Error()).To(ContainSubstring(
				"\n  - Error filling in template 'missing_property.erb' (line 3: Can't find property '[\"etcd.ca_cert\"]')"))
		})
	})

	It("says how to install ruby when it is missing", func(ctx SpecContext) {
		jobDir, spec := loadJob("broken")
		missing := filepath.Join(GinkgoT().TempDir(), "ruby")
		_, err := render.Renderer{Ruby: missing}.RenderJob(ctx, jobDir, spec, nil, render.Instance{}, nil)
		Expect(err).To(MatchError(render.ErrRubyNotFound))
		Expect(err).To(MatchError(ContainSubstring("scripts/setup")))
	})

	It("refuses a link the job does not consume", func(ctx SpecContext) {
		jobDir, spec := loadJob("broken")
		_, err := render.RenderJob(ctx, jobDir, spec, nil, render.Instance{}, map[string]render.Link{"consul": {}})
		Expect(err).To(MatchError(ContainSubstring("link 'consul' was given, but the job spec does not consume it")))
	})

	It("names a template the spec lists but the job lacks", func(ctx SpecContext) {
		jobDir := filepath.Join(GinkgoT().TempDir(), "lacking")
		Expect(os.MkdirAll(filepath.Join(jobDir, "templates"), 0o755)).To(Succeed())
		spec := jobspec.Spec{Name: "lacking", Templates: map[string]string{"ctl.erb": "bin/ctl"}}
		_, err := render.RenderJob(ctx, jobDir, spec, nil, render.Instance{}, nil)
		Expect(err).To(MatchError(ContainSubstring("reading template 'ctl.erb' listed in the job spec")))
	})

	It("renders nothing for a job without templates", func(ctx SpecContext) {
		jobDir := filepath.Join(GinkgoT().TempDir(), "empty")
		Expect(os.MkdirAll(jobDir, 0o755)).To(Succeed())
		rendered, err := render.RenderJob(ctx, jobDir, jobspec.Spec{Name: "empty"}, nil, render.Instance{}, nil)
		Expect(err).NotTo(HaveOccurred())
		Expect(rendered).To(BeEmpty())
	})

	It("renders a template byte for byte when it holds no ERB tags", func(ctx SpecContext) {
		jobDir := filepath.Join(GinkgoT().TempDir(), "plain")
		Expect(os.MkdirAll(filepath.Join(jobDir, "templates"), 0o755)).To(Succeed())
		content := []byte("caf\xc3\xa9 \xe2\x9c\x93\n\ttabs\r\nno newline at end")
		Expect(os.WriteFile(filepath.Join(jobDir, "templates", "plain"), content, 0o644)).To(Succeed())
		spec := jobspec.Spec{Name: "plain", Templates: map[string]string{"plain": "config/plain"}}
		rendered, err := render.RenderJob(ctx, jobDir, spec, nil, render.Instance{}, nil)
		Expect(err).NotTo(HaveOccurred())
		Expect(rendered).To(Equal(map[string][]byte{"config/plain": content}))
	})
})

var _ = Describe("the evaluation context BOSH's renderer loads", func() {
	It("has YAML, ActiveSupport's blank?/present?/presence, shellwords, a nil AZ, DNS record names, spec.job and link address(azs:)", func(ctx SpecContext) {
		dir, spec := loadJob("bosh_context")
		props, err := render.ResolveProperties(spec, map[string]any{})
		Expect(err).NotTo(HaveOccurred())
		inst := render.Instance{Deployment: "dep", Name: "web", ID: "id-0", Index: 0, Address: "10.0.0.2",
			Networks: map[string]render.Network{"default": {IP: "10.0.0.2", Default: []string{"dns", "gateway"}, DNSRecordName: "0.web.default.dep.bosh"}},
			Jobs:     []string{"bosh_context", "other"}}
		links := map[string]render.Link{"peers": {Instances: []render.LinkInstance{{Name: "web", ID: "id-0"}},
			Address: "q-s0.web.default.dep.bosh", AZIndexes: map[string]int{"z1": 1, "z2": 2}}}
		rendered, err := render.RenderJob(ctx, dir, spec, props, inst, links)
		Expect(err).NotTo(HaveOccurred())
		out := parseJSON(rendered, "config/context.json")
		Expect(out).To(Equal(map[string]any{
			"yaml":            "---\n- a\n- b\n",
			"blank":           []any{true, true, true, false, false, true},
			"present":         []any{false, true, true},
			"presence":        nil,
			"shellescape":     `it\'s\ here`,
			"az_is_nil":       true,
			"link_az_is_nil":  true,
			"dns_record_name": "0.web.default.dep.bosh",
			"job":             []any{"web", "bosh_context", []any{"bosh_context", "other"}},
			"persistent_disk": float64(0),
			"address":         "q-s0.web.default.dep.bosh",
			"address_azs":     "q-a1a2s0.web.default.dep.bosh",
			"address_healthy": "q-s3y1.web.default.dep.bosh",
			"address_all":     "q-a1s4.web.default.dep.bosh",
		}))
	})
})
