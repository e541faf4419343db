package integration_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/director"
	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/vm"
)

// twoAZCloudConfig is the suite's cloud config with a second AZ, z2, on
// the same subnet; the suite's own is put back when the spec ends.
func twoAZCloudConfig(ctx context.Context) {
	GinkgoHelper()
	base := string(bosh.Network().CloudConfig())
	two := strings.Replace(base, "azs:\n- name: z1\n", "azs:\n- name: z1\n- name: z2\n", 1)
	two = strings.Replace(two, "    az: z1\n", "    azs: [z1, z2]\n", 1)
	Expect(two).NotTo(Equal(base))
	_, err := bosh.Client().UpdateConfig(ctx, director.ConfigCloud, "default", []byte(two))
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(func(ctx SpecContext) {
		_, err := bosh.Client().UpdateConfig(ctx, director.ConfigCloud, "default", []byte(base))
		Expect(err).NotTo(HaveOccurred())
	})
}

var _ = Describe("the update order across AZs", Label("integration"), Ordered, func() {
	var (
		dep    *fixtureDeployment
		byAZ   map[string][]string // instance ids by AZ, by index
		rounds int
	)

	BeforeAll(func(ctx SpecContext) {
		twoAZCloudConfig(ctx)
		dep = newFixtureDeployment("azorder")
		dep.addLoggerGroup("logger", 4)["azs"] = []any{"z1", "z2"}
		dep.mustDeploy(ctx)
		byAZ = map[string][]string{}
		for _, inst := range dep.instancesOf(ctx, "logger") {
			Expect(inst.AZ).NotTo(BeNil())
			byAZ[*inst.AZ] = append(byAZ[*inst.AZ], inst.ID)
		}
		Expect(byAZ["z1"]).To(HaveLen(2))
		Expect(byAZ["z2"]).To(HaveLen(2))
	})

	// update changes every instance and returns each one's update window.
	update := func(ctx SpecContext) map[string]window {
		before := dep.recordCounts()
		rounds++
		dep.props("logger")["marker"] = fmt.Sprintf("round %d", rounds)
		dep.mustDeploy(ctx)
		out := map[string]window{}
		for _, ids := range byAZ {
			for _, id := range ids {
				recs := dep.recordsSince(id, before)
				Expect(hooks(recs)[0]).To(Equal("pre-stop"))
				out[id] = windowOf(recs[:len(recs)-1]) // post-deploy comes after all
			}
		}
		return out
	}

	It("updates the canary in the first AZ, the rest of that AZ, then the next AZ, max_in_flight within an AZ", func(ctx SpecContext) {
		dep.doc["update"].(map[string]any)["canaries"] = 1
		dep.doc["update"].(map[string]any)["max_in_flight"] = 2
		w := update(ctx)
		z1a, z1b, z2a, z2b := w[byAZ["z1"][0]], w[byAZ["z1"][1]], w[byAZ["z2"][0]], w[byAZ["z2"][1]]
		Expect(z1a.before(z1b)).To(BeTrue(), "the canary comes first, alone: %v %v", z1a, z1b)
		Expect(z1b.before(z2a) && z1b.before(z2b)).To(BeTrue(), "z2 waits for z1, though max_in_flight would allow more: %v %v %v", z1b, z2a, z2b)
		Expect(z2a.overlaps(z2b)).To(BeTrue(), "z2's two instances update together (max_in_flight 2): %v %v", z2a, z2b)
	})

	It("counts a percentage over the instances being updated in the AZ", func(ctx SpecContext) {
		dep.doc["update"].(map[string]any)["canaries"] = 0
		dep.doc["update"].(map[string]any)["max_in_flight"] = "50%" // of 2 in each AZ: 1; of the group's 4 it would be 2
		w := update(ctx)
		z1a, z1b, z2a, z2b := w[byAZ["z1"][0]], w[byAZ["z1"][1]], w[byAZ["z2"][0]], w[byAZ["z2"][1]]
		Expect(z1a.overlaps(z1b)).To(BeFalse(), "one at a time in z1: %v %v", z1a, z1b)
		Expect(z2a.overlaps(z2b)).To(BeFalse(), "one at a time in z2: %v %v", z2a, z2b)
	})
})

var _ = Describe("instance states as BOSH keeps them", Label("integration"), Ordered, func() {
	var (
		dep           *fixtureDeployment
		first, second director.Instance
		counts        map[string]int
	)

	BeforeAll(func(ctx SpecContext) {
		dep = newFixtureDeployment("states")
		dep.addLoggerGroup("logger", 2)["persistent_disk"] = 256
		dep.mustDeploy(ctx)
		instances := dep.instancesOf(ctx, "logger")
		first, second = instances[0], instances[1]
	})

	BeforeEach(func() { counts = dep.recordCounts() })

	state := func(ctx SpecContext, id string) director.Instance {
		GinkgoHelper()
		inst, err := bosh.Instance(ctx, dep.name, id)
		Expect(err).NotTo(HaveOccurred())
		return inst
	}

	It("does nothing to an instance already started", func(ctx SpecContext) {
		run, err := bosh.ChangeJobState(ctx, dep.name, "logger", "", director.JobStarted)
		Expect(err).NotTo(HaveOccurred())
		Expect(run.Err()).NotTo(HaveOccurred())
		Expect(run.Started("Updating instance")).To(BeEmpty())
		Expect(dep.recordsSince(first.ID, counts)).To(BeEmpty(), "no hook ran, post-deploy neither: nothing changed")
		Expect(dep.recordsSince(second.ID, counts)).To(BeEmpty())
	})

	It("keeps a stopped instance stopped across a deploy that changes it, until bosh start applies the change", func(ctx SpecContext) {
		run, err := bosh.ChangeJobState(ctx, dep.name, "logger", first.ID, director.JobStopped)
		Expect(err).NotTo(HaveOccurred())
		Expect(run.Err()).NotTo(HaveOccurred())
		counts = dep.recordCounts()

		dep.props("logger")["marker"] = "while stopped"
		dep.mustDeploy(ctx)
		Expect(dep.recordsSince(first.ID, counts)).To(BeEmpty(), "the stopped instance is neither drained again nor started")
		Expect(hooks(dep.recordsSince(second.ID, counts))).To(ContainElements("pre-start", "post-start", "post-deploy"))
		Expect(state(ctx, first.ID).State).To(Equal("stopped"))
		Expect(state(ctx, first.ID).JobState).To(Equal("stopped"))

		By("doing nothing to it on a second stop")
		counts = dep.recordCounts()
		run, err = bosh.ChangeJobState(ctx, dep.name, "logger", first.ID, director.JobStopped)
		Expect(err).NotTo(HaveOccurred())
		Expect(run.Err()).NotTo(HaveOccurred())
		Expect(dep.recordsSince(first.ID, counts)).To(BeEmpty())

		By("starting it: no stop hooks (it is stopped), the new templates, then the start hooks")
		run, err = bosh.ChangeJobState(ctx, dep.name, "logger", first.ID, director.JobStarted)
		Expect(err).NotTo(HaveOccurred())
		Expect(run.Err()).NotTo(HaveOccurred())
		Expect(hooks(dep.recordsSince(first.ID, counts))).To(Equal([]string{"pre-start", "process-start", "post-start", "post-deploy"}))
		props, err := bosh.ReadFile(ctx, dep.name, first.ID, "/var/vcap/jobs/logger/config/properties.json")
		Expect(err).NotTo(HaveOccurred())
		Expect(string(props)).To(ContainSubstring("while stopped"))
	})

	It("detaches an instance with stop --hard: pre-stop hears the VM go, the VM is deleted, the disk kept; start makes a new VM with it", func(ctx SpecContext) {
		run, err := bosh.ChangeJobState(ctx, dep.name, "logger", first.ID, director.JobDetached)
		Expect(err).NotTo(HaveOccurred())
		Expect(run.Err()).NotTo(HaveOccurred())
		recs := dep.recordsSince(first.ID, counts)
		Expect(hooks(recs)).To(Equal([]string{"pre-stop", "drain", "process-stop", "post-stop"}))
		Expect(recs[0].env("BOSH_VM_NEXT_STATE")).To(Equal("delete"))
		Expect(recs[0].env("BOSH_INSTANCE_NEXT_STATE")).To(Equal("keep"))
		Expect(recs[1].Args).To(Equal([]string{"job_shutdown", "hash_unchanged"}))
		detached := state(ctx, first.ID)
		Expect(detached.State).To(Equal("detached"))
		Expect(detached.VMCID).To(BeEmpty())
		Expect(detached.DiskCID).NotTo(BeNil())

		By("leaving it detached on a deploy")
		dep.mustDeploy(ctx)
		Expect(state(ctx, first.ID).VMCID).To(BeEmpty())

		run, err = bosh.ChangeJobState(ctx, dep.name, "logger", first.ID, director.JobStarted)
		Expect(err).NotTo(HaveOccurred())
		Expect(run.Err()).NotTo(HaveOccurred())
		started := state(ctx, first.ID)
		Expect(started.VMCID).NotTo(BeEmpty())
		Expect(*started.DiskCID).To(Equal(*detached.DiskCID))
		Expect(started.JobState).To(Equal("running"))
	})

	It("stops one instance with --no-converge, as an instance action", func(ctx SpecContext) {
		resp, err := bosh.Request(ctx, http.MethodPost, fmt.Sprintf("/deployments/%s/instance_groups/logger/%s/actions/stop", dep.name, second.ID),
			http.Header{"Content-Type": {"text/yaml"}}, "")
		Expect(err).NotTo(HaveOccurred())
		Expect(resp.Status).To(Equal(http.StatusFound))
		var id int
		_, err = fmt.Sscanf(resp.Header.Get("Location"), "/tasks/%d", &id)
		Expect(err).NotTo(HaveOccurred())
		task, err := bosh.Client().WaitTask(ctx, id, nil)
		Expect(err).NotTo(HaveOccurred())
		Expect(task.Description).To(Equal("stop instance"))
		Expect(hooks(dep.recordsSince(second.ID, counts))).To(Equal([]string{"pre-stop", "drain", "process-stop", "post-stop"}))
		Expect(dep.recordsSince(first.ID, counts)).To(BeEmpty(), "nothing else changes, no post-deploy")
		Expect(state(ctx, second.ID).State).To(Equal("stopped"))
	})
})

var _ = Describe("an IP change", Label("integration"), func() {
	It("recreates the VM on its new IP, telling pre-stop the VM goes and drain it shuts down", func(ctx SpecContext) {
		dep := newFixtureDeployment("ipchange")
		g := dep.addLoggerGroup("logger", 1)
		g["networks"] = []any{map[string]any{"name": "default", "static_ips": []any{bosh.Network().StaticIP(20).String()}}}
		dep.mustDeploy(ctx)
		before := dep.instancesOf(ctx, "logger")[0]
		counts := dep.recordCounts()

		g["networks"] = []any{map[string]any{"name": "default", "static_ips": []any{bosh.Network().StaticIP(21).String()}}}
		dep.mustDeploy(ctx)
		after := dep.instancesOf(ctx, "logger")[0]
		Expect(after.ID).To(Equal(before.ID))
		Expect(after.IPs).To(Equal([]string{bosh.Network().StaticIP(21).String()}))
		Expect(after.VMCID).NotTo(Equal(before.VMCID), "a new VM")
		v, err := bosh.VMs().Get(after.VMCID)
		Expect(err).NotTo(HaveOccurred())
		Expect(v.IP()).To(Equal(bosh.Network().StaticIP(21)), "the VM has the IP its templates and links advertise")
		recs := dep.recordsSince(before.ID, counts)
		Expect(hooks(recs)[:2]).To(Equal([]string{"pre-stop", "drain"}))
		Expect(recs[0].env("BOSH_VM_NEXT_STATE")).To(Equal("delete"))
		Expect(recs[1].Args).To(Equal([]string{"job_shutdown", "hash_unchanged"}))
	})
})

var _ = Describe("drain's output", Label("integration"), Ordered, func() {
	var dep *fixtureDeployment

	BeforeAll(func(ctx SpecContext) {
		dep = newFixtureDeployment("draintext")
		dep.addLoggerGroup("logger", 1)
		dep.mustDeploy(ctx)
	})

	// installDrain deploys a drain mode; the deploy drains with the old one.
	installDrain := func(ctx SpecContext, mode string) {
		GinkgoHelper()
		dep.props("logger")["drain"] = map[string]any{"mode": mode}
		dep.mustDeploy(ctx, director.DeployOptions{SkipDrain: []string{"*"}})
	}

	It("fails the task when drain prints anything but one integer, as the BOSH agent does", func(ctx SpecContext) {
		installDrain(ctx, "chatty")
		dep.props("logger")["marker"] = "update through a chatty drain"
		run := dep.deploy(ctx)
		Expect(run.Err()).To(HaveOccurred())
		Expect(run.Failure()).To(ContainSubstring("did not return a signed integer"))
		Expect(run.Failure()).To(ContainSubstring("draining logger"))
	})

	It("reads only stdout: a drain that prints 0 and exits 1 passes, as on BOSH", func(ctx SpecContext) {
		installDrain(ctx, "exit1")
		dep.props("logger")["marker"] = "update through an exit-1 drain"
		dep.mustDeploy(ctx)
	})
})

var _ = Describe("the resurrector", Label("integration"), func() {
	It("recreates a VM that died (its init and every process gone), with its persistent disk, in a scan and fix task", func(ctx SpecContext) {
		dep := newFixtureDeployment("resurrect")
		dep.addLoggerGroup("logger", 1)["persistent_disk"] = 256
		dep.mustDeploy(ctx)
		victim := dep.instancesOf(ctx, "logger")[0]
		v, err := bosh.VMs().Get(victim.VMCID)
		Expect(err).NotTo(HaveOccurred())
		Expect(v.KillInit()).To(Succeed())

		Eventually(ctx, func(g Gomega) {
			inst, err := bosh.Instance(ctx, dep.name, victim.ID)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(inst.VMCID).NotTo(Equal(victim.VMCID))
			g.Expect(inst.JobState).To(Equal("running"))
			g.Expect(*inst.DiskCID).To(Equal(*victim.DiskCID))
		}).WithTimeout(90 * time.Second).WithPolling(time.Second).Should(Succeed())
		Eventually(ctx, func() ([]director.Task, error) {
			return bosh.Client().Tasks(ctx, director.TaskFilter{Deployment: dep.name, Verbose: 2})
		}).WithTimeout(30 * time.Second).Should(ContainElement(And(HaveField("Description", "scan and fix"), HaveField("State", director.StateDone),
			HaveField("Result", "1 resolved"), HaveField("User", "hm"))))
	})
})

var _ = Describe("persistent disks kept as BOSH keeps them", Label("integration"), Ordered, func() {
	var (
		dep    *fixtureDeployment
		insts  []director.Instance
		marker = "/var/vcap/store/marker"
	)

	orphans := func(ctx SpecContext) []map[string]any {
		GinkgoHelper()
		var disks []map[string]any
		cliGet(ctx, "/disks?orphaned=true", &disks)
		var mine []map[string]any
		for _, d := range disks {
			if d["deployment_name"] == dep.name {
				mine = append(mine, d)
			}
		}
		return mine
	}

	write := func(ctx SpecContext, id, text string) {
		GinkgoHelper()
		_, err := bosh.Run(ctx, dep.name, id, vm.Cmd{Argv: []string{"sh", "-c", "echo " + text + " > " + marker}})
		Expect(err).NotTo(HaveOccurred())
	}

	read := func(ctx SpecContext, id string) string {
		GinkgoHelper()
		data, err := bosh.ReadFile(ctx, dep.name, id, marker)
		Expect(err).NotTo(HaveOccurred())
		return strings.TrimSpace(string(data))
	}

	BeforeAll(func(ctx SpecContext) {
		dep = newFixtureDeployment("disks")
		dep.addLoggerGroup("logger", 2)["persistent_disk"] = 256
		dep.mustDeploy(ctx)
		insts = dep.instancesOf(ctx, "logger")
		write(ctx, insts[0].ID, "zero")
		write(ctx, insts[1].ID, "one")
	})

	It("migrates the data to a new disk when the size changes, orphaning the old one", func(ctx SpecContext) {
		dep.group("logger")["persistent_disk"] = 512
		dep.mustDeploy(ctx)
		after := dep.instancesOf(ctx, "logger")
		Expect(*after[0].DiskCID).NotTo(Equal(*insts[0].DiskCID))
		Expect(read(ctx, after[0].ID)).To(Equal("zero"))
		Expect(read(ctx, after[1].ID)).To(Equal("one"))
		Expect(orphans(ctx)).To(ConsistOf(
			And(HaveKeyWithValue("disk_cid", *insts[0].DiskCID), HaveKeyWithValue("size", float64(256)),
				HaveKeyWithValue("instance_name", "logger/"+insts[0].ID), HaveKeyWithValue("az", "z1"), HaveKey("orphaned_at")),
			HaveKeyWithValue("disk_cid", *insts[1].DiskCID)))
		insts = after
		for _, d := range orphans(ctx) {
			id, state, _, _ := cliTask(ctx, cliSend(ctx, http.MethodDelete, "/disks/"+d["disk_cid"].(string), nil, ""))
			Expect(state).To(Equal("done"))
			Expect(taskResult(ctx, id)["description"]).To(Equal("delete orphan disks"))
		}
		Expect(orphans(ctx)).To(BeEmpty())
	})

	It("orphans the disk of an instance a scale down deletes, and attaches it to a stopped instance", func(ctx SpecContext) {
		dep.group("logger")["instances"] = 1
		dep.mustDeploy(ctx)
		Expect(orphans(ctx)).To(ConsistOf(And(HaveKeyWithValue("disk_cid", *insts[1].DiskCID), HaveKeyWithValue("size", float64(512)),
			HaveKeyWithValue("instance_name", "logger/"+insts[1].ID))))

		run, err := bosh.ChangeJobState(ctx, dep.name, "logger", insts[0].ID, director.JobDetached)
		Expect(err).NotTo(HaveOccurred())
		Expect(run.Err()).NotTo(HaveOccurred())
		path := fmt.Sprintf("/disks/%s/attachments?deployment=%s&instance_id=%s&job=logger", *insts[1].DiskCID, dep.name, insts[0].ID)
		id, state, events, _ := cliTask(ctx, cliSend(ctx, http.MethodPut, path, nil, ""))
		Expect(state).To(Equal("done"), "%v", events)
		Expect(taskResult(ctx, id)["result"]).To(Equal(fmt.Sprintf("attached disk '%s' to 'logger/%s' in deployment '%s'", *insts[1].DiskCID, insts[0].ID, dep.name)))
		Expect(orphans(ctx)).To(ConsistOf(HaveKeyWithValue("disk_cid", *insts[0].DiskCID)), "the instance's own disk is orphaned in its place")

		run, err = bosh.ChangeJobState(ctx, dep.name, "logger", insts[0].ID, director.JobStarted)
		Expect(err).NotTo(HaveOccurred())
		Expect(run.Err()).NotTo(HaveOccurred())
		Expect(read(ctx, insts[0].ID)).To(Equal("one"), "instance 0 now has instance 1's old disk")
	})

	It("orphans every disk on delete-deployment", func(ctx SpecContext) {
		run, err := bosh.DeleteDeployment(ctx, dep.name, false)
		Expect(err).NotTo(HaveOccurred())
		Expect(run.Err()).NotTo(HaveOccurred())
		Expect(orphans(ctx)).To(HaveLen(2))
	})
})

var _ = Describe("compilation", Label("integration"), func() {
	It("installs a package's direct dependencies only, so one that uses an undeclared one fails as on BOSH", func(ctx SpecContext) {
		dep := newFixtureDeployment("deps")
		g := dep.addLoggerGroup("logger", 1)
		g["jobs"] = append(g["jobs"].([]any), map[string]any{"name": "chain", "release": fixtureRelease})
		run := dep.deploy(ctx)
		Expect(run.Err()).To(HaveOccurred())
		Expect(run.Failure()).To(ContainSubstring("dep-top"))
		Expect(run.Failure()).To(ContainSubstring("/var/vcap/packages/dep-base/base.txt"))
		Expect(run.Started("Compiling packages")).To(ContainElement(HavePrefix("dep-mid/")), "dep-mid, which declares dep-base, compiled")
	})
})

var _ = Describe("BOSH DNS with features.use_dns_addresses", Label("integration"), func() {
	It("gives spec.address and link addresses as BOSH DNS names, which every VM resolves through the director, aliases included", func(ctx SpecContext) {
		dep := newFixtureDeployment("dnsnames")
		dep.doc["features"] = map[string]any{"use_dns_addresses": true}
		g := dep.addLoggerGroup("logger", 2)
		job := dep.job("logger")
		job["consumes"] = map[string]any{"upstream": map[string]any{"from": "logger"}}
		dep.props("logger")["dns_aliases"] = map[string]any{"logger.fixture.internal": []any{"q-s0.logger.default.dnsnames.bosh"}}
		_ = g
		dep.mustDeploy(ctx)
		insts := dep.instancesOf(ctx, "logger")

		var instance map[string]any
		data, err := bosh.ReadFile(ctx, dep.name, insts[0].ID, "/var/vcap/jobs/logger/config/instance.json")
		Expect(err).NotTo(HaveOccurred())
		instance = mustParseJSON(data)
		Expect(instance["address"]).To(Equal(insts[0].ID + ".logger.default.dnsnames.bosh"))
		Expect(instance["dns_record_names"]).To(Equal([]any{"0.logger.default.dnsnames.bosh"}))
		data, err = bosh.ReadFile(ctx, dep.name, insts[0].ID, "/var/vcap/jobs/logger/config/links.json")
		Expect(err).NotTo(HaveOccurred())
		links := mustParseJSON(data)
		Expect(links["address"]).To(Equal("q-s0.logger.default.dnsnames.bosh"))
		Expect(links["instances"]).To(ContainElement(HaveKeyWithValue("address", insts[1].ID+".logger.default.dnsnames.bosh")))

		resolve := func(name string) []string {
			GinkgoHelper()
			out, err := bosh.Run(ctx, dep.name, insts[0].ID, vm.Cmd{Argv: []string{"getent", "ahostsv4", name}})
			Expect(err).NotTo(HaveOccurred(), "resolving %s: %s", name, out)
			var found []string
			for _, line := range strings.Split(string(out), "\n") {
				if f := strings.Fields(line); len(f) >= 2 && f[1] == "STREAM" {
					found = append(found, f[0])
				}
			}
			return found
		}
		ip0, ip1 := insts[0].IPs[0], insts[1].IPs[0]
		Expect(resolve(insts[1].ID + ".logger.default.dnsnames.bosh")).To(Equal([]string{ip1}))
		Expect(resolve("0.logger.default.dnsnames.bosh")).To(Equal([]string{ip0}))
		Expect(resolve("q-s0.logger.default.dnsnames.bosh")).To(ConsistOf(ip0, ip1))
		Expect(resolve("q-a1s0.logger.default.dnsnames.bosh")).To(ConsistOf(ip0, ip1), "z1 is the cloud config's first AZ")
		Expect(resolve("logger.fixture.internal")).To(ConsistOf(ip0, ip1), "the alias from the job's dns/aliases.json")
		out, err := bosh.Run(ctx, dep.name, insts[0].ID, vm.Cmd{Argv: []string{"getent", "ahostsv4", "nope.logger.default.dnsnames.bosh"}})
		Expect(err).To(HaveOccurred(), "an unknown .bosh name does not resolve: %s", out)
	})
})

var _ = Describe("an instance group renamed with migrated_from", Label("integration"), func() {
	It("keeps its instances, their disks and IPs", func(ctx SpecContext) {
		dep := newFixtureDeployment("migrate")
		dep.addLoggerGroup("old", 2)["persistent_disk"] = 256
		dep.mustDeploy(ctx)
		before := dep.instancesOf(ctx, "old")

		g := dep.group("old")
		g["name"] = "new"
		g["migrated_from"] = []any{map[string]any{"name": "old"}}
		run := dep.mustDeploy(ctx)
		Expect(run.Started("Deleting unneeded instances")).To(BeEmpty())
		after := dep.instancesOf(ctx, "new")
		Expect(after).To(HaveLen(2))
		Expect(dep.instancesOf(ctx, "old")).To(BeEmpty())
		for i := range after {
			Expect(after[i].ID).To(Equal(before[i].ID))
			Expect(after[i].IPs).To(Equal(before[i].IPs))
			Expect(*after[i].DiskCID).To(Equal(*before[i].DiskCID))
		}
	})
})
