package etcdrelease_test

import (
	"io"
	"net/http"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/director"
	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/vm"
)

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
})
