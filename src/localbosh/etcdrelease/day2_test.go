package etcdrelease_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/director"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/dbcheck"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/dbcheck/dbchecktest"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/defrag"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/health"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/localcluster"
	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/vm"
)

// healthReport runs bin/health -json on an instance ("etcd/<index>");
// an unhealthy cluster (exit 1) is an error naming why.
func healthReport(ctx context.Context, d *etcdDeployment, which string) (health.Report, error) {
	var r health.Report
	out, err := bosh.Run(ctx, d.name, which, vm.Cmd{Argv: []string{"/var/vcap/jobs/etcd/bin/health", "-json"}})
	if err != nil {
		return r, err
	}
	if err := json.Unmarshal(out, &r); err != nil {
		return r, fmt.Errorf("bin/health -json on %s printed %q: %w", which, out, err)
	}
	return r, nil
}

// dbSizes are the members' database file sizes in a health report, by name.
func dbSizes(r health.Report) map[string]int64 {
	sizes := map[string]int64{}
	for _, m := range r.Members {
		sizes[m.Name] = m.DBSize
	}
	return sizes
}

// healthErrand adds an instance group running the etcd_health errand,
// consuming the etcd group's link.
func healthErrand() string {
	return replaceOp("/instance_groups/-", map[string]any{
		"name": "etcd_health", "lifecycle": "errand", "instances": 1, "azs": []string{"z1"},
		"vm_type": "default", "stemcell": "default", "networks": []map[string]any{{"name": "default"}},
		"jobs": []map[string]any{{"name": "etcd_health", "release": "etcd"}},
	})
}

var _ = Describe("health, metrics and defragmentation", Label("issue-14"), Ordered, ContinueOnFailure, func() {
	d := scenarioDeployment("etcd-day2", withKeys("day2", 50), healthErrand(), etcdProperty("metrics", map[string]any{"port": 2381}))

	It("runs the etcd_health errand: every member healthy, one leader, exit 0", func(ctx SpecContext) {
		_, results, err := bosh.Client().RunErrand(ctx, d.name, "etcd_health", director.ErrandRequest{}, nil)
		Expect(err).NotTo(HaveOccurred())
		Expect(results).To(HaveLen(1))
		GinkgoWriter.Println(results[0].Stdout, results[0].Stderr)
		Expect(results[0].ExitCode).To(Equal(0), results[0].Stderr)
		Expect(results[0].Stdout).To(ContainSubstring("is healthy: 3 members"))
		for _, name := range []string{"etcd-0", "etcd-1", "etcd-2"} {
			Expect(results[0].Stdout).To(MatchRegexp(`(?m)^%s\s+[0-9a-f]+\s+http://10\.`, name))
		}
	}, SpecTimeout(5*time.Minute))

	It("runs bin/health and bin/defrag on a member, and serves metrics on etcd.metrics.port", func(ctx SpecContext) {
		out, err := bosh.Run(ctx, d.name, "etcd/1", vm.Cmd{Argv: []string{"/var/vcap/jobs/etcd/bin/health"}})
		Expect(err).NotTo(HaveOccurred())
		Expect(string(out)).To(ContainSubstring("is healthy: 3 members"))

		out, err = bosh.Run(ctx, d.name, "etcd/0", vm.Cmd{Argv: []string{"/var/vcap/jobs/etcd/bin/defrag"}})
		Expect(err).NotTo(HaveOccurred())
		GinkgoWriter.Println(string(out))
		Expect(string(out)).To(MatchRegexp(`(?m)^etcd-0\s+defragmented`))
		Expect(string(out)).To(MatchRegexp(`(?m)^etcd-1\s+defragmented`))
		Expect(string(out)).To(MatchRegexp(`(?m)^etcd-2\s+defragmented`))

		inst := d.instances(ctx)[0]
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+inst.IPs[0]+":2381/metrics", nil)
		Expect(err).NotTo(HaveOccurred())
		hc := &http.Client{Timeout: 10 * time.Second}
		resp, err := hc.Do(req)
		Expect(err).NotTo(HaveOccurred())
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		Expect(string(body)).To(ContainSubstring("etcd_server_has_leader 1"))
	}, SpecTimeout(5*time.Minute))

	It("defragments every member with bin/defrag under load: no failed operation, no write lost, a linearizable history, and the databases shrink", func(ctx SpecContext) {
		c := d.client(ctx)
		By("writing 5 MB of keys and deleting them, compacted: most of each database is free")
		Expect(localcluster.Garbage(ctx, c, "garbage", 5000, 1024)).To(Succeed())
		r, err := healthReport(ctx, d, "etcd/0")
		Expect(err).NotTo(HaveOccurred())
		before := dbSizes(r)
		Expect(before).To(HaveLen(3))
		for name, size := range before {
			Expect(size).To(BeNumerically(">", 4<<20), "%s's database file before the defragmentation", name)
		}

		load := localcluster.StartLoad(localcluster.Via(c, "plain"), localcluster.LoadOptions{Prefix: "defrag", MaxDuration: 3 * time.Minute})
		time.Sleep(2 * time.Second)
		By("bin/defrag -json on etcd/0 while the load runs through every member")
		started := time.Now()
		out, defragErr := bosh.Run(ctx, d.name, "etcd/0", vm.Cmd{Argv: []string{"/var/vcap/jobs/etcd/bin/defrag", "-json"}})
		took := time.Since(started)
		time.Sleep(2 * time.Second)
		res, err := load.Stop(ctx, c)
		Expect(err).NotTo(HaveOccurred())
		GinkgoWriter.Printf("bin/defrag took %s; load %s: %d operations, %d failed %v, %d lost, longest stall %s, linearizable %s\n%s\n",
			took.Round(time.Millisecond), res.Duration.Round(time.Millisecond), res.Attempted, res.Failed, res.FailedBy,
			len(res.Lost), res.LongestStall.Round(time.Millisecond), res.Linearizable, out)
		res.WriteFailures(GinkgoWriter)
		Expect(defragErr).NotTo(HaveOccurred())

		var outcomes []defrag.Outcome
		Expect(json.Unmarshal(out, &outcomes)).To(Succeed(), "bin/defrag -json printed %q", out)
		Expect(outcomes).To(HaveLen(3))
		for _, o := range outcomes {
			Expect(o.Result).To(Equal(defrag.Defragmented), o.Member)
		}
		AddReportEntry("localbosh defrag under load", map[string]any{"took": took.String(), "attempted": res.Attempted, "failed": res.Failed,
			"lost": len(res.Lost), "longest_stall": res.LongestStall.String(), "linearizable": res.Linearizable, "outcomes": outcomes})
		Expect(res.Violations(localcluster.Bounds{MaxFailed: 0})).To(BeEmpty())
		Expect(res.Attempted).To(BeNumerically(">", 100))

		By("bin/health -json showing every database file shrunk to less than half")
		r, err = healthReport(ctx, d, "etcd/0")
		Expect(err).NotTo(HaveOccurred())
		after := dbSizes(r)
		GinkgoWriter.Printf("database sizes before %v, after %v\n", before, after)
		for name, size := range before {
			Expect(after).To(HaveKeyWithValue(name, BeNumerically("<", size/2)), "%s's database file after the defragmentation", name)
		}
		expectKeys(ctx, c, "day2", 50)
	}, SpecTimeout(5*time.Minute))

	It("replaces etcd/2, whose database was corrupted while the director had it stopped, from its peers when the director starts it, under load, losing no acknowledged write", func(ctx SpecContext) {
		c := d.client(ctx)
		putKeys(ctx, c, "before-corrupt", 200) // etcd's key bucket spans pages: a page of its own to corrupt
		etcd2 := d.instances(ctx)[2]
		oldID := memberIDs(ctx, c)["etcd-2"]
		Expect(oldID).NotTo(BeZero())
		disk, err := bosh.DiskDir(ctx, d.name, "etcd/2")
		Expect(err).NotTo(HaveOccurred())
		dataDir := filepath.Join(disk, "etcd") // /var/vcap/store/etcd inside the VM

		load := localcluster.StartLoad(localcluster.Via(c, "plain"), localcluster.LoadOptions{Prefix: "corrupt", MaxDuration: 8 * time.Minute})
		time.Sleep(2 * time.Second)
		stopStart := load.Fault("etcd/2 stopped and started through the director")
		started := time.Now()
		By("stopping etcd/2 through the director, keeping its disk")
		Expect(d.changeInstanceState(ctx, etcd2, director.JobStopped).Err()).NotTo(HaveOccurred())
		By("corrupting the key bucket's root page of its database, member/snap/db on its persistent disk")
		Expect(dbchecktest.CorruptKeyPage(dbcheck.DBPath(dataDir))).To(Succeed())
		putKeys(ctx, c, "while-stopped", 50)
		By("starting etcd/2 through the director: the task succeeds")
		startStarted := time.Now()
		Expect(d.changeInstanceState(ctx, etcd2, director.JobStarted).Err()).NotTo(HaveOccurred())
		startTook := time.Since(startStarted)
		stopStart()
		span := time.Since(started)

		By("finding three healthy voters, etcd-2 under a new member ID")
		expectMembers(ctx, c, time.Minute, "etcd-0", "etcd-1", "etcd-2")
		newID := memberIDs(ctx, c)["etcd-2"]
		Expect(newID).NotTo(Equal(oldID), "a new member replaced the one whose data was bad")
		var r health.Report
		Eventually(ctx, func() (err error) {
			r, err = healthReport(ctx, d, "etcd/2")
			return err
		}).WithTimeout(time.Minute).WithPolling(2 * time.Second).Should(Succeed())
		Expect(r.Members).To(HaveLen(3))
		for _, m := range r.Members {
			Expect(m.Healthy).To(BeTrue(), "%s: %s", m.Name, m.Problem)
			Expect(m.Learner).To(BeFalse(), m.Name)
			if m.Name == "etcd-2" {
				Expect(m.ID).To(Equal(fmt.Sprintf("%x", newID)))
			}
		}
		log, err := bosh.ReadFile(ctx, d.name, "etcd/2", "/var/vcap/sys/log/etcd/etcdfab.log")
		Expect(err).NotTo(HaveOccurred())
		Expect(string(log)).To(ContainSubstring("the member's database is bad; replacing this member from its peers"))

		By("finding the corrupt database kept under the data directory's corrupt/, with the reason")
		kept, err := filepath.Glob(filepath.Join(dataDir, "corrupt", "*"))
		Expect(err).NotTo(HaveOccurred())
		Expect(kept).To(HaveLen(1))
		Expect(filepath.Join(kept[0], "member", "snap", "db")).To(BeAnExistingFile())
		Expect(os.ReadFile(filepath.Join(kept[0], "REASON"))).To(And(ContainSubstring("member/snap/db"), ContainSubstring("page")))

		By("reading every key back through etcd/2 alone, the load's acknowledged writes included")
		self := etcdClient([]string{clientURL(etcd2)})
		expectKeys(ctx, self, "day2", 50)
		expectKeys(ctx, self, "before-corrupt", 200)
		expectKeys(ctx, self, "while-stopped", 50)
		res, err := load.Stop(ctx, self)
		Expect(err).NotTo(HaveOccurred())
		GinkgoWriter.Printf("etcd/2 stopped, corrupted and replaced in %s (start task %s); load %s: %d operations, %d failed %v, %d lost, longest stall %s, linearizable %s; faults %s\n",
			span.Round(time.Millisecond), startTook.Round(time.Millisecond), res.Duration.Round(time.Millisecond), res.Attempted, res.Failed,
			res.FailedBy, len(res.Lost), res.LongestStall.Round(time.Millisecond), res.Linearizable, res.FaultsText())
		res.WriteFailures(GinkgoWriter)
		AddReportEntry("localbosh corrupt member replaced", map[string]any{"stop_corrupt_start": span.String(), "start_task": startTook.String(),
			"attempted": res.Attempted, "failed": res.Failed, "unexplained": res.Unexplained, "lost": len(res.Lost), "linearizable": res.Linearizable})
		Expect(res.Violations(localcluster.Bounds{MaxFailed: -1, OnlyInFaults: true})).To(BeEmpty())
	}, SpecTimeout(10*time.Minute))
})
