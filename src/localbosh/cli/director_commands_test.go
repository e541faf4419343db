package cli_test

import (
	"errors"
	"path/filepath"
	"strconv"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"gopkg.in/yaml.v3"

	"github.com/cloudfoundry-incubator/etcd-release/src/director"
)

var _ = Describe("commands on a deployment", func() {
	var (
		d        *testDirector
		manifest string
	)

	BeforeEach(func() {
		d = startDirector()
		manifest = writeFile(GinkgoT().TempDir(), "m.yml", "name: etcd\ninstance_groups: []\n")
		Expect(runCLI(d.env(), "-n", "-d", "etcd", "deploy", manifest).code).To(Equal(0))
	})

	It("lists deployments, prints the manifest and deletes the deployment", func() {
		res := runCLI(d.env(), "--tty", "deployments")
		Expect(res.code).To(Equal(0), res.stderr)
		header, rows := tableRows(res.stdout, "Name")
		Expect(header).To(Equal([]string{"Name", "Release(s)", "Stemcell(s)", "Team(s)"}))
		Expect(rows).To(Equal([][]string{{"etcd", "etcd/1", "-", "-"}}))
		Expect(res.lines()).To(ContainElement("1 deployments"))

		res = runCLI(d.env(), "-d", "etcd", "manifest")
		Expect(res.code).To(Equal(0), res.stderr)
		var m map[string]any
		Expect(yaml.Unmarshal([]byte(res.stdout), &m)).To(Succeed())
		Expect(m).To(HaveKeyWithValue("name", "etcd"))

		res = runCLI(d.env(), "--tty", "-n", "-d", "etcd", "delete-deployment", "--force")
		Expect(res.code).To(Equal(0), res.stderr)
		Expect(res.lines()).To(ContainElement(MatchRegexp(`^Task \d+\. Done$`)))
		res = runCLI(d.env(), "-d", "etcd", "manifest")
		Expect(res.code).To(Equal(1))
		Expect(res.stderr).To(ContainSubstring("Deployment 'etcd' doesn't exist"))

		By("deleting it again, which is done already")
		Expect(runCLI(d.env(), "-n", "-d", "etcd", "delete-deployment").code).To(Equal(0))
	})

	DescribeTable("changes the state of instances",
		func(args []string, expected director.JobStateOptions, group, id string) {
			res := runCLI(d.env(), append([]string{"-n", "-d", "etcd"}, args...)...)
			Expect(res.code).To(Equal(0), res.stderr)
			states := d.Backend.JobStates()
			Expect(states).To(HaveLen(1))
			Expect(states[0].Deployment).To(Equal("etcd"))
			Expect(states[0].InstanceGroup).To(Equal(group))
			Expect(states[0].Instance).To(Equal(id))
			Expect(states[0].State).To(Equal(expected.State))
			Expect(states[0].SkipDrain).To(Equal(expected.SkipDrain))
			Expect(states[0].Fix).To(Equal(expected.Fix))
			Expect(states[0].Manifest).To(BeNil())
		},
		Entry("start all", []string{"start"}, director.JobStateOptions{State: "started"}, "*", ""),
		Entry("stop a group", []string{"stop", "etcd", "--skip-drain"}, director.JobStateOptions{State: "stopped", SkipDrain: true}, "etcd", ""),
		Entry("restart an instance", []string{"restart", "etcd/0"}, director.JobStateOptions{State: "restart"}, "etcd", "0"),
		Entry("recreate an instance", []string{"recreate", "etcd/abc-123", "--fix"}, director.JobStateOptions{State: "recreate", Fix: true}, "etcd", "abc-123"),
	)

	It("takes --fix only for recreate", func() {
		res := runCLI(d.env(), "-n", "-d", "etcd", "restart", "--fix")
		Expect(res.code).To(Equal(1))
		Expect(res.stderr).To(ContainSubstring("unknown flag `fix'"))
	})

	It("lists recent tasks newest first and replays a task's events", func() {
		res := runCLI(d.env(), "--tty", "tasks", "--recent")
		Expect(res.code).To(Equal(0), res.stderr)
		header, rows := tableRows(res.stdout, "ID")
		Expect(header).To(Equal([]string{"ID", "State", "Started At", "Last Activity At", "User", "Deployment", "Description", "Result"}))
		Expect(rows).To(HaveLen(1))
		Expect(rows[0][1]).To(Equal("done"))
		Expect(rows[0][len(rows[0])-3:]).To(Equal([]string{"etcd", "create deployment", "/deployments/etcd"}))
		id := rows[0][0]

		res = runCLI(d.env(), "--tty", "task", id)
		Expect(res.code).To(Equal(0), res.stderr)
		Expect(res.lines()).To(ContainElement(MatchRegexp(`^Task ` + id + ` \| .* \| Updating instance etcd: etcd/0 \(canary\) \(\d\d:\d\d:\d\d\)$`)))
		Expect(res.lines()).To(ContainElement("Task " + id + " done"))

		res = runCLI(d.env(), "--tty", "task", id, "--debug")
		Expect(res.code).To(Equal(0), res.stderr)
		Expect(res.lines()).To(ContainElement("Task " + id + " done"))

		res = runCLI(d.env(), "task", "--debug", "--result", id)
		Expect(res.code).To(Equal(1))
		Expect(res.stderr).To(ContainSubstring("give one of --event, --debug and --result"))
	})

	It("lists no running task", func() {
		res := runCLI(d.env(), "--tty", "tasks")
		Expect(res.code).To(Equal(0), res.stderr)
		Expect(res.lines()).To(ContainElement("0 tasks"))
		res = runCLI(d.env(), "task")
		Expect(res.code).To(Equal(1))
		Expect(res.stderr).To(ContainSubstring("No task found"))
	})

	It("fails a task command for a task that failed", func() {
		d.Backend.FailDeploys(errors.New("etcd/0 is not running"))
		Expect(runCLI(d.env(), "-n", "-d", "etcd", "deploy", manifest).code).To(Equal(1))
		res := runCLI(d.env(), "--tty", "task", strconv.Itoa(2))
		Expect(res.code).To(Equal(1))
		Expect(res.lines()).To(ContainElement("Task 2 error"))
	})

	It("updates the cloud config with ops applied and prints it back", func() {
		dir := GinkgoT().TempDir()
		cc := writeFile(dir, "cc.yml", "networks:\n- name: default\n  type: manual\n")
		ops := writeFile(dir, "ops.yml", "- type: replace\n  path: /vm_types?\n  value: [{name: ((vm_type))}]\n")
		res := runCLI(d.env(), "-n", "update-cloud-config", cc, "-o", ops, "-v", "vm_type=small")
		Expect(res.code).To(Equal(0), res.stderr)

		res = runCLI(d.env(), "cloud-config")
		Expect(res.code).To(Equal(0), res.stderr)
		var doc struct {
			VMTypes []struct {
				Name string `yaml:"name"`
			} `yaml:"vm_types"`
			Networks []map[string]any `yaml:"networks"`
		}
		Expect(yaml.Unmarshal([]byte(res.stdout), &doc)).To(Succeed(), res.stdout)
		Expect(doc.VMTypes).To(HaveLen(1))
		Expect(doc.VMTypes[0].Name).To(Equal("small"))
		Expect(doc.Networks).To(HaveLen(1))
		Expect(d.Backend.LastDeploy().CloudConfigs).To(BeEmpty()) // the deploy came before

		By("deploying after it, the director hands the backend the cloud config")
		Expect(runCLI(d.env(), "-n", "-d", "etcd", "deploy", manifest).code).To(Equal(0))
		Expect(d.Backend.LastDeploy().CloudConfigs).To(HaveLen(1))
	})

	It("says there is no cloud config yet", func() {
		res := runCLI(d.env(), "cloud-config", "--name", "other")
		Expect(res.code).To(Equal(1))
		Expect(res.stderr).To(ContainSubstring("No cloud config named 'other'"))
	})

	It("lists stemcells", func() {
		res := runCLI(d.env(), "--tty", "stemcells")
		Expect(res.code).To(Equal(0), res.stderr)
		header, rows := tableRows(res.stdout, "Name")
		Expect(header).To(Equal([]string{"Name", "Version", "OS", "CPI", "CID"}))
		Expect(rows).To(Equal([][]string{{"bosh-warden-boshlite-ubuntu-jammy", "1.0", "ubuntu-jammy", "-", "none"}}))
	})

	It("reads a manifest from standard input with -", func() {
		res := runCLIWithInput(d.env(), "name: etcd\nfrom: stdin\n", "-n", "-d", "etcd", "deploy", "-")
		Expect(res.code).To(Equal(0), res.stderr)
		Expect(string(d.Backend.LastDeploy().Manifest)).To(ContainSubstring("from: stdin"))
	})

	It("names a manifest that does not exist", func() {
		missing := filepath.Join(GinkgoT().TempDir(), "missing.yml")
		res := runCLI(d.env(), "-n", "-d", "etcd", "deploy", missing)
		Expect(res.code).To(Equal(1))
		Expect(res.stderr).To(ContainSubstring(missing))
	})
})
