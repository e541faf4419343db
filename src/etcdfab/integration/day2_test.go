package integration_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"go.etcd.io/etcd/api/v3/etcdserverpb"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/config"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/defrag"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/health"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/localcluster"
)

// etcdfabCmd runs an etcdfab command for node index and returns its
// stdout, stderr and exit code.
func etcdfabCmd(c *localcluster.Cluster, index int, args ...string) (string, string, int) {
	cmd := exec.Command(etcdfabPath, append([]string{args[0], "-config", c.ConfigPath(index)}, args[1:]...)...)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if exitErr, ok := err.(*exec.ExitError); ok {
		code = exitErr.ExitCode()
	} else {
		Expect(err).NotTo(HaveOccurred())
	}
	return stdout.String(), stderr.String(), code
}

func healthJSON(c *localcluster.Cluster, index int) (health.Report, string, int) {
	out, stderr, code := etcdfabCmd(c, index, "health", "-json")
	var r health.Report
	Expect(json.Unmarshal([]byte(out), &r)).To(Succeed(), "etcdfab health -json printed %q (stderr %s)", out, stderr)
	return r, stderr, code
}

// fill writes n keys of size bytes, deletes them and compacts, so that
// most of every member's database file is free.
func fill(cli *clientv3.Client, prefix string, n, size int) {
	GinkgoHelper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	Expect(localcluster.Garbage(ctx, cli, prefix, n, size)).To(Succeed())
}

func dbSizes(cli *clientv3.Client, endpoints []string) map[string]int64 {
	sizes := map[string]int64{}
	for _, e := range endpoints {
		st, err := cli.Status(ctx(), e)
		Expect(err).NotTo(HaveOccurred())
		sizes[e] = st.DbSize
	}
	return sizes
}

func withMetrics(port int) func(*config.Config) {
	return func(cfg *config.Config) { cfg.Etcd.Metrics.Port = port }
}

var _ = Describe("day-2 operations", func() {
	It("prints every member's health, scrapes metrics over TLS with the client certificate only, and fails naming a raised alarm", func() {
		certs, err := localcluster.NewTLS()
		Expect(err).NotTo(HaveOccurred())
		c := newCluster(certs)
		Expect(c.AddHosts(3)).To(Succeed())
		var cfgs []config.Config
		for i := 0; i < 3; i++ {
			cfgs = append(cfgs, c.Config(i, 3, withMetrics(2381)))
		}
		startAll(c, cfgs...)
		cli := client(c.Endpoints(cfgs...), certs)
		put(cli, "k", "v")

		By("etcdfab health: a table, exit 0")
		out, stderr, code := etcdfabCmd(c, 1, "health")
		Expect(code).To(Equal(0), "stdout %s stderr %s", out, stderr)
		Expect(out).To(ContainSubstring("NAME"))
		Expect(out).To(ContainSubstring("is healthy: 3 members"))
		GinkgoWriter.Println(out)

		By("etcdfab health -json: every field")
		r, stderr, code := healthJSON(c, 1)
		Expect(code).To(Equal(0), stderr)
		Expect(r.Members).To(HaveLen(3))
		leaders := 0
		for _, m := range r.Members {
			Expect(m.Healthy).To(BeTrue(), m.Name)
			Expect(m.ClientURL).To(HavePrefix("https://" + m.Name + "."))
			Expect(m.RaftTerm).To(BeNumerically(">", 0))
			Expect(m.RaftIndex).To(BeNumerically(">", 0))
			Expect(m.AppliedIndex).To(BeNumerically(">", 0))
			Expect(m.Revision).To(BeNumerically(">=", 2))
			Expect(m.DBSize).To(BeNumerically(">", 0))
			Expect(m.DBSizeInUse).To(BeNumerically(">", 0))
			Expect(m.Alarms).To(BeEmpty())
			if m.Leader {
				leaders++
			}
		}
		Expect(leaders).To(Equal(1))

		By("metrics over https on the metrics port, with the client certificate")
		pool := x509.NewCertPool()
		pool.AddCert(certs.CA.Certificate)
		pair, err := tls.X509KeyPair(certs.Client.CertificatePEM, certs.Client.PrivateKeyPEM)
		Expect(err).NotTo(HaveOccurred())
		scrape := func(withCert bool) (string, error) {
			t := &tls.Config{RootCAs: pool, ServerName: c.Hostname(0)}
			if withCert {
				t.Certificates = []tls.Certificate{pair}
			}
			hc := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: t}}
			resp, err := hc.Get("https://" + c.IP(0) + ":2381/metrics")
			if err != nil {
				return "", err
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			return string(body), nil
		}
		body, err := scrape(true)
		Expect(err).NotTo(HaveOccurred())
		Expect(body).To(ContainSubstring("etcd_server_has_leader 1"))
		Expect(body).To(ContainSubstring("etcd_mvcc_db_total_size_in_bytes"))
		By("and refused without it")
		_, err = scrape(false)
		Expect(err).To(HaveOccurred())
		_, err = http.Get("http://" + c.IP(0) + ":2381/metrics")
		Expect(err == nil).To(BeFalse(), "plain http must not be served on a TLS cluster's metrics port")

		By("a NOSPACE alarm on etcd-2 makes health fail, naming it, and defrag refuse")
		id := memberID(cli, "etcd-2")
		alarm := func(action etcdserverpb.AlarmRequest_AlarmAction) {
			_, err := etcdserverpb.NewMaintenanceClient(cli.ActiveConnection()).Alarm(ctx(),
				&etcdserverpb.AlarmRequest{Action: action, MemberID: id, Alarm: etcdserverpb.AlarmType_NOSPACE})
			Expect(err).NotTo(HaveOccurred())
		}
		alarm(etcdserverpb.AlarmRequest_ACTIVATE)
		r, stderr, code = healthJSON(c, 0)
		Expect(code).To(Equal(1), stderr)
		Expect(stderr).To(ContainSubstring("member etcd-2: alarm [NOSPACE] raised"))
		Expect(r.Healthy).To(BeFalse())
		out, stderr, code = etcdfabCmd(c, 0, "defrag")
		Expect(code).To(Equal(1), out)
		Expect(stderr).To(ContainSubstring("no member was defragmented"))
		Expect(stderr).To(ContainSubstring("NOSPACE"))
		By("healthy again once the alarm is disarmed")
		alarm(etcdserverpb.AlarmRequest_DEACTIVATE)
		Eventually(func() string {
			_, stderr, code := healthJSON(c, 0)
			if code != 0 {
				return stderr
			}
			return ""
		}, "20s", "500ms").Should(BeEmpty())
	})

	It("serves metrics over plain http on a cluster without TLS", func() {
		c := newCluster(nil)
		cfg := c.Config(0, 1, withMetrics(2381))
		startAll(c, cfg)
		resp, err := http.Get("http://" + c.IP(0) + ":2381/metrics")
		Expect(err).NotTo(HaveOccurred())
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		Expect(string(body)).To(ContainSubstring("etcd_server_has_leader 1"))
	})

	It("defragments every member under load with no failed operation and no lost write, and the databases shrink", func() {
		c := newCluster(nil)
		cfgs := configs(c, 3, 0, 1, 2)
		startAll(c, cfgs...)
		endpoints := c.Endpoints(cfgs...)
		cli := client(endpoints, nil)
		fill(cli, "bulk", 20000, 1024)
		before := dbSizes(cli, endpoints)
		for e, size := range before {
			Expect(size).To(BeNumerically(">", 15<<20), e)
		}

		load := localcluster.StartLoad(localcluster.Via(cli, "plain"), localcluster.LoadOptions{Prefix: "defrag", MaxDuration: 2 * time.Minute})
		time.Sleep(time.Second)
		started := time.Now()
		out, stderr, code := etcdfabCmd(c, 2, "defrag", "-json")
		took := time.Since(started)
		time.Sleep(time.Second)
		res, err := load.Stop(ctx(), cli)
		Expect(err).NotTo(HaveOccurred())
		Expect(code).To(Equal(0), "stdout %s stderr %s", out, stderr)

		var outcomes []defrag.Outcome
		Expect(json.Unmarshal([]byte(out), &outcomes)).To(Succeed())
		Expect(outcomes).To(HaveLen(3))
		leader := ""
		for _, o := range outcomes {
			Expect(o.Result).To(Equal(defrag.Defragmented), o.Member)
			Expect(o.After).To(BeNumerically("<", o.Before/2), o.Member)
		}
		r, _, _ := healthJSON(c, 0)
		if l, ok := r.Leader(); ok {
			leader = l.Name
		}
		GinkgoWriter.Printf("defragmented 3 members in %s (leader %s, last: %s); load %s: %d operations, %d failed %v, %d lost, longest stall %s, linearizable %s\n",
			took.Round(time.Millisecond), leader, outcomes[2].Member, res.Duration.Round(time.Millisecond), res.Attempted, res.Failed, res.FailedBy,
			len(res.Lost), res.LongestStall.Round(time.Millisecond), res.Linearizable)
		AddReportEntry("defrag under load", map[string]any{"took": took.String(), "attempted": res.Attempted, "failed": res.Failed,
			"lost": len(res.Lost), "longest_stall": res.LongestStall.String(), "before": before, "outcomes": outcomes})
		Expect(res.Violations(localcluster.Bounds{MaxFailed: 0})).To(BeEmpty())
		Expect(res.Attempted).To(BeNumerically(">", 50))
		after := dbSizes(cli, endpoints)
		for e := range before {
			Expect(after[e]).To(BeNumerically("<", before[e]/2), e)
		}
	})

	It("skips every member whose turn would cost quorum when one of three is down, even with -force", func() {
		c := newCluster(nil)
		cfgs := configs(c, 3, 0, 1, 2)
		startAll(c, cfgs...)
		Expect(c.Stop(2)).To(Succeed())

		r, stderr, code := healthJSON(c, 0)
		Expect(code).To(Equal(1))
		Expect(stderr).To(ContainSubstring("member etcd-2: no status"))
		Expect(r.Members).To(HaveLen(3))

		out, stderr, code := etcdfabCmd(c, 0, "defrag")
		Expect(code).To(Equal(1), out)
		Expect(stderr).To(ContainSubstring("no member was defragmented"))

		out, stderr, code = etcdfabCmd(c, 0, "defrag", "-force")
		Expect(code).To(Equal(1), out)
		Expect(stderr).To(ContainSubstring("etcd-0 skipped: defragmenting it would leave 1 of 3 voting members serving, and quorum needs 2"))
		Expect(stderr).To(ContainSubstring("etcd-1 skipped"))
		Expect(out).NotTo(ContainSubstring(defrag.Defragmented + " "))
	})

	It("defragments on the leader's schedule, the leader's etcdfab alone running it", func() {
		c := newCluster(nil)
		var cfgs []config.Config
		for i := 0; i < 3; i++ {
			cfgs = append(cfgs, c.Config(i, 3, func(cfg *config.Config) {
				cfg.Etcd.Defrag = config.Defrag{Interval: "1s", MinFreeRatio: 0.5}
			}))
		}
		startAll(c, cfgs...)
		endpoints := c.Endpoints(cfgs...)
		cli := client(endpoints, nil)
		fill(cli, "bulk", 10000, 1024)
		before := dbSizes(cli, endpoints)
		Eventually(func() bool {
			after := dbSizes(cli, endpoints)
			for e := range before {
				if after[e] >= before[e]/2 {
					return false
				}
			}
			return true
		}, "90s", "1s").Should(BeTrue(), "every member's database shrinks")

		runners := 0
		for i := range cfgs {
			if logHas(c, i, "scheduled defragmentation starting") {
				runners++
			}
		}
		Expect(runners).To(Equal(1), "only the leader's etcdfab runs the schedule")
		Eventually(func() bool {
			for i := range cfgs {
				if logHas(c, i, "scheduled defragmentation done") {
					return true
				}
			}
			return false
		}, "30s").Should(BeTrue())
		Expect(filepath.Join(c.NodeDir(0), "etcdfab.log")).To(BeAnExistingFile())
	})
})
