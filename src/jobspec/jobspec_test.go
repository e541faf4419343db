package jobspec_test

import (
	"os"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/jobspec"
)

var _ = Describe("Load", func() {
	var jobDir string

	writeSpec := func(content string) {
		Expect(os.WriteFile(filepath.Join(jobDir, "spec"), []byte(content), 0o644)).To(Succeed())
	}

	BeforeEach(func() {
		jobDir = filepath.Join(GinkgoT().TempDir(), "etcd")
		Expect(os.Mkdir(jobDir, 0o755)).To(Succeed())
	})

	It("reads templates, packages, properties with defaults and links", func() {
		writeSpec(`
name: etcd
templates:
  etcd_ctl.erb: bin/etcd_ctl
packages: [etcd, etcdfab]
properties:
  etcd.require_ssl:
    description: "use TLS for clients"
    default: true
  etcd.ca_cert:
    description: "CA"
consumes:
- {name: etcd, type: etcd, optional: true}
provides:
- {name: etcd, type: etcd, properties: [etcd.require_ssl]}
`)
		spec, err := jobspec.Load(jobDir)
		Expect(err).NotTo(HaveOccurred())
		Expect(spec.Templates).To(Equal(map[string]string{"etcd_ctl.erb": "bin/etcd_ctl"}))
		Expect(spec.Packages).To(Equal([]string{"etcd", "etcdfab"}))
		Expect(spec.Properties["etcd.require_ssl"].Default).To(BeTrue())
		Expect(spec.Properties).To(HaveKey("etcd.ca_cert"))
		Expect(spec.Properties["etcd.ca_cert"].Default).To(BeNil())
		Expect(spec.Consumes).To(Equal([]jobspec.Link{{Name: "etcd", Type: "etcd", Optional: true}}))
		Expect(spec.Provides[0].Properties).To(Equal([]string{"etcd.require_ssl"}))
	})

	It("refuses a spec whose name differs from its directory", func() {
		writeSpec("name: consul\n")
		_, err := jobspec.Load(jobDir)
		Expect(err).To(MatchError(ContainSubstring(`job name "consul" does not match its directory "etcd"`)))
	})

	It("refuses a spec without a name", func() {
		writeSpec("templates: {}\n")
		_, err := jobspec.Load(jobDir)
		Expect(err).To(MatchError(ContainSubstring("no 'name'")))
	})

	It("names the file when the YAML does not parse", func() {
		writeSpec("name: [etcd\n")
		_, err := jobspec.Load(jobDir)
		Expect(err).To(MatchError(ContainSubstring(filepath.Join(jobDir, "spec"))))
	})
})
