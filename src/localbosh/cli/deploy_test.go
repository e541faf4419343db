package cli_test

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"gopkg.in/yaml.v3"
)

const testManifest = `name: etcd
instance_groups:
- name: etcd
  instances: ((instances))
  jobs:
  - name: etcd
    release: etcd
    properties:
      etcd:
        password: ((etcd_password))
        cluster_name: ((cluster_name))
variables:
- name: etcd_password
  type: password
`

const scaleOps = `- type: replace
  path: /instance_groups/name=etcd/jobs/name=etcd/properties/etcd/require_ssl?
  value: false
`

var _ = Describe("deploy", func() {
	var (
		d   *testDirector
		dir string
	)

	BeforeEach(func() {
		d = startDirector()
		dir = GinkgoT().TempDir()
		writeFile(dir, "manifest.yml", testManifest)
		writeFile(dir, "ops.yml", scaleOps)
		writeFile(dir, "vars.yml", "cluster_name: from-vars-file\n")
	})

	deploy := func(extra ...string) result {
		args := append([]string{"--tty", "-n", "-d", "etcd", "deploy", filepath.Join(dir, "manifest.yml")}, extra...)
		return runCLI(d.env(), args...)
	}

	It("sends the manifest with ops applied and variables resolved, generating into the vars store, and prints the task as bosh does", func() {
		store := filepath.Join(dir, "creds.yml")
		res := deploy("-o", filepath.Join(dir, "ops.yml"), "-v", "instances=3", "-l", filepath.Join(dir, "vars.yml"), "--vars-store", store)
		Expect(res.code).To(Equal(0), res.stderr)

		var sent struct {
			InstanceGroups []struct {
				Instances int `yaml:"instances"`
				Jobs      []struct {
					Properties struct {
						Etcd map[string]any `yaml:"etcd"`
					} `yaml:"properties"`
				} `yaml:"jobs"`
			} `yaml:"instance_groups"`
		}
		Expect(yaml.Unmarshal(d.Backend.LastDeploy().Manifest, &sent)).To(Succeed())
		Expect(sent.InstanceGroups[0].Instances).To(Equal(3))
		props := sent.InstanceGroups[0].Jobs[0].Properties.Etcd
		Expect(props).To(HaveKeyWithValue("require_ssl", false))
		Expect(props).To(HaveKeyWithValue("cluster_name", "from-vars-file"))

		var stored map[string]any
		data, err := os.ReadFile(store)
		Expect(err).NotTo(HaveOccurred())
		Expect(yaml.Unmarshal(data, &stored)).To(Succeed())
		Expect(stored["etcd_password"]).To(MatchRegexp(`^[a-z0-9]{20}$`))
		Expect(props).To(HaveKeyWithValue("password", stored["etcd_password"]))

		Expect(res.lines()).To(ContainElement("Using environment '" + d.URL + "' as client 'admin'"))
		Expect(res.lines()).To(ContainElement("Using deployment 'etcd'"))
		id := taskID(res.stdout)
		Expect(res.lines()).To(ContainElement(MatchRegexp(`^Task ` + id + ` \| \d\d:\d\d:\d\d \| Preparing deployment: Preparing deployment \(\d\d:\d\d:\d\d\)$`)))
		Expect(res.lines()).To(ContainElement(MatchRegexp(`^Task ` + id + ` \| \d\d:\d\d:\d\d \| Updating instance etcd: etcd/0 \(canary\) \(\d\d:\d\d:\d\d\)$`)))
		Expect(res.lines()).To(ContainElement(MatchRegexp(`^Task ` + id + ` Started  \w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d UTC \d{4}$`)))
		Expect(res.lines()).To(ContainElement(MatchRegexp(`^Task ` + id + ` Duration \d\d:\d\d:\d\d$`)))
		Expect(res.lines()).To(ContainElement("Task " + id + " done"))
		Expect(res.lines()).To(ContainElement("Succeeded"))
	})

	It("keeps the vars store's values on the next deploy", func() {
		store := filepath.Join(dir, "creds.yml")
		args := []string{"-v", "instances=1", "-v", "cluster_name=c", "--vars-store", store}
		Expect(deploy(args...).code).To(Equal(0))
		first := d.Backend.LastDeploy().Manifest
		Expect(deploy(args...).code).To(Equal(0))
		Expect(d.Backend.LastDeploy().Manifest).To(Equal(first))
	})

	It("fails naming the task and printing the failed item when the task fails", func() {
		d.Backend.FailDeploys(errors.New("'etcd/0' is not running after update"))
		res := deploy("-v", "instances=1", "-v", "cluster_name=c", "-v", "etcd_password=p")
		Expect(res.code).To(Equal(1))
		id := taskID(res.stdout)
		Expect(res.lines()).To(ContainElement(MatchRegexp(`^Task ` + id + ` \| .* \| Updating instance etcd: etcd/0 \(canary\) \(\d\d:\d\d:\d\d\)$`)))
		Expect(res.lines()).To(ContainElement(MatchRegexp(`^ +L Error: 'etcd/0' is not running after update$`)))
		Expect(res.lines()).To(ContainElement(MatchRegexp(`^Task ` + id + ` \| .* \| Error: 'etcd/0' is not running after update$`)))
		Expect(res.lines()).To(ContainElement("Task " + id + " error"))
		Expect(res.stderr).To(ContainSubstring("task " + id + " ended in state 'error'"))
		Expect(res.lines()).To(ContainElement("Exit code 1"))
		Expect(res.lines()).NotTo(ContainElement("Succeeded"))
	})

	It("resolves every variable before sending, as the local director has no config server", func() {
		res := deploy("-v", "instances=1")
		Expect(res.code).To(Equal(1))
		Expect(res.stderr).To(ContainSubstring("Expected to find variables: cluster_name, etcd_password"))
		Expect(d.Backend.LastDeploy().Name).To(BeEmpty())
	})

	It("refuses a manifest for another deployment than -d", func() {
		res := runCLI(d.env(), "-n", "-d", "other", "deploy", filepath.Join(dir, "manifest.yml"), "-v", "instances=1", "-v", "cluster_name=c", "-v", "etcd_password=p")
		Expect(res.code).To(Equal(1))
		Expect(res.stderr).To(ContainSubstring("Expected manifest to specify deployment name 'other' but was 'etcd'"))
	})

	It("passes the update flags to the director", func() {
		res := deploy("-v", "instances=1", "-v", "cluster_name=c", "-v", "etcd_password=p",
			"--recreate", "--fix", "--skip-drain", "--canaries=2", "--max-in-flight", "50%", "--dry-run")
		Expect(res.code).To(Equal(0), res.stderr)
		opts := d.Backend.LastDeploy().Options
		Expect(opts.Recreate).To(BeTrue())
		Expect(opts.Fix).To(BeTrue())
		Expect(opts.DryRun).To(BeTrue())
		Expect(opts.SkipDrain).To(Equal([]string{"*"}))
		Expect(opts.Canaries).To(Equal("2"))
		Expect(opts.MaxInFlight).To(Equal("50%"))
	})

	It("asks for confirmation unless -n, and stops on no", func() {
		res := runCLIWithInput(d.env(), "n\n", "--tty", "-d", "etcd", "deploy", filepath.Join(dir, "manifest.yml"), "-v", "instances=1", "-v", "cluster_name=c", "-v", "etcd_password=p")
		Expect(res.code).To(Equal(1))
		Expect(res.stdout).To(ContainSubstring("Continue? [yN]: "))
		Expect(d.Backend.LastDeploy().Name).To(BeEmpty())
	})
})

// taskID is the number of the first task the output reports ("Task 12").
func taskID(stdout string) string {
	GinkgoHelper()
	m := regexp.MustCompile(`(?m)^Task (\d+)$`).FindStringSubmatch(stdout)
	Expect(m).NotTo(BeNil(), "no 'Task N' line in:\n%s", stdout)
	return m[1]
}
