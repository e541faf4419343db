package cli_test

import (
	"encoding/json"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/director"
)

func instance(index int, id, ip, state string, processes ...director.Process) director.Instance {
	az := "z1"
	active := true
	return director.Instance{
		JobName: "etcd", Index: index, ID: id, IPs: []string{ip}, AZ: &az, JobState: state, State: "started",
		VMCID: "vm-" + id, VMType: "small", Active: &active, AgentID: "agent-" + id, Bootstrap: index == 0,
		DiskCIDs: []string{"disk-" + id}, Processes: processes,
	}
}

var _ = Describe("instances and vms", func() {
	var d *testDirector

	BeforeEach(func() {
		d = startDirector()
		Expect(runCLI(d.env(), "-n", "-d", "etcd", "deploy", writeFile(GinkgoT().TempDir(), "m.yml", "name: etcd\n")).code).To(Equal(0))
		d.Backend.SetInstances(
			instance(1, "bbb", "10.244.0.3", "failing", director.Process{Name: "etcd", State: "failing"}, director.Process{Name: "consul", State: "running"}),
			instance(0, "aaa", "10.244.0.2", "running", director.Process{Name: "etcd", State: "running"}),
		)
	})

	It("prints the instances table sorted by instance, with the count", func() {
		res := runCLI(d.env(), "--tty", "-d", "etcd", "instances")
		Expect(res.code).To(Equal(0), res.stderr)
		Expect(res.lines()).To(ContainElement("Deployment 'etcd'"))
		header, rows := tableRows(res.stdout, "Instance")
		Expect(header).To(Equal([]string{"Instance", "Process State", "AZ", "IPs"}))
		Expect(rows).To(Equal([][]string{
			{"etcd/aaa", "running", "z1", "10.244.0.2"},
			{"etcd/bbb", "failing", "z1", "10.244.0.3"},
		}))
		Expect(res.lines()).To(ContainElement("2 instances"))
		Expect(res.lines()).To(ContainElement("Succeeded"))
	})

	It("adds a row per process with --ps, the instance shown as ~, and details with --details", func() {
		res := runCLI(d.env(), "--tty", "-d", "etcd", "instances", "--ps", "--details")
		Expect(res.code).To(Equal(0), res.stderr)
		header, rows := tableRows(res.stdout, "Instance")
		Expect(header).To(Equal([]string{"Instance", "Process", "Process State", "AZ", "IPs", "State", "VM CID", "VM Type", "Disk CIDs", "Agent ID", "Index", "Bootstrap", "Ignore"}))
		Expect(rows).To(HaveLen(5))
		Expect(rows[0]).To(Equal([]string{"etcd/aaa", "-", "running", "z1", "10.244.0.2", "started", "vm-aaa", "small", "disk-aaa", "agent-aaa", "0", "true", "false"}))
		Expect(rows[1][:3]).To(Equal([]string{"~", "etcd", "running"}))
		Expect(rows[2][0]).To(Equal("etcd/bbb"))
		Expect(rows[3][:3]).To(Equal([]string{"~", "consul", "running"}))
		Expect(rows[4][:3]).To(Equal([]string{"~", "etcd", "failing"}))
		Expect(res.lines()).To(ContainElement("2 instances"))
	})

	It("shows only failing instances and processes with --failing", func() {
		res := runCLI(d.env(), "--tty", "-d", "etcd", "instances", "--ps", "--failing")
		_, rows := tableRows(res.stdout, "Instance")
		Expect(rows).To(HaveLen(2))
		Expect(rows[0][:3]).To(Equal([]string{"etcd/bbb", "-", "failing"}))
		Expect(rows[1][:3]).To(Equal([]string{"~", "etcd", "failing"}))
		Expect(res.lines()).To(ContainElement("1 instances"))
	})

	It("prints the bosh CLI's JSON document with --json", func() {
		res := runCLI(d.env(), "-d", "etcd", "instances", "--json", "--ps")
		Expect(res.code).To(Equal(0), res.stderr)
		var doc struct {
			Tables []struct {
				Content string
				Header  map[string]string
				Rows    []map[string]string
				Notes   []string
			}
			Blocks []string
			Lines  []string
		}
		Expect(json.Unmarshal([]byte(res.stdout), &doc)).To(Succeed(), res.stdout)
		Expect(doc.Tables).To(HaveLen(1))
		table := doc.Tables[0]
		Expect(table.Content).To(Equal("instances"))
		Expect(table.Header).To(Equal(map[string]string{
			"instance": "Instance", "process": "Process", "process_state": "Process State", "az": "AZ", "ips": "IPs",
		}))
		Expect(table.Rows).To(HaveLen(5))
		Expect(table.Rows[0]).To(Equal(map[string]string{
			"instance": "etcd/aaa", "process": "", "process_state": "running", "az": "z1", "ips": "10.244.0.2",
		}))
		Expect(table.Rows[1]).To(HaveKeyWithValue("instance", "etcd/aaa"))
		Expect(table.Rows[1]).To(HaveKeyWithValue("process", "etcd"))
		Expect(doc.Lines).To(ContainElement("Succeeded"))
		Expect(doc.Blocks).NotTo(BeNil())
	})

	It("prints only the tab-separated rows when output is piped, as bosh does", func() {
		res := runCLI(d.env(), "-d", "etcd", "instances")
		Expect(res.code).To(Equal(0), res.stderr)
		lines := strings.Split(strings.TrimSpace(res.stdout), "\n")
		Expect(lines).To(HaveLen(2))
		Expect(strings.Fields(strings.ReplaceAll(lines[0], "\t", " "))).To(Equal([]string{"etcd/aaa", "running", "z1", "10.244.0.2"}))
		Expect(res.stdout).NotTo(ContainSubstring("Succeeded"))
	})

	It("lists the instances of every deployment without -d", func() {
		res := runCLI(d.env(), "--tty", "instances")
		Expect(res.code).To(Equal(0), res.stderr)
		Expect(res.lines()).To(ContainElement("Deployment 'etcd'"))
		Expect(res.lines()).To(ContainElement("2 instances"))
	})

	It("prints the VMs with their CIDs", func() {
		res := runCLI(d.env(), "--tty", "-d", "etcd", "vms")
		Expect(res.code).To(Equal(0), res.stderr)
		header, rows := tableRows(res.stdout, "Instance")
		Expect(header).To(Equal([]string{"Instance", "Process State", "AZ", "IPs", "VM CID", "VM Type", "Active"}))
		Expect(rows[0]).To(Equal([]string{"etcd/aaa", "running", "z1", "10.244.0.2", "vm-aaa", "small", "true"}))
		Expect(res.lines()).To(ContainElement("2 vms"))
	})

	It("fails naming the deployment when it does not exist", func() {
		res := runCLI(d.env(), "-d", "nope", "instances")
		Expect(res.code).To(Equal(1))
		Expect(res.stderr).To(ContainSubstring("Deployment 'nope' doesn't exist"))
	})
})
