package integration_test

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/config"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/localcluster"
)

// onEtcd runs a node on the etcd binary at path.
func onEtcd(path string) func(*config.Config) {
	return func(cfg *config.Config) { cfg.Etcd.EtcdPath = path }
}

// movingConfigs are the configs of a three-node cluster on the etcd at
// from, and the same nodes on the etcd at to.
func movingConfigs(c *localcluster.Cluster, from, to string) (before, after []config.Config) {
	for i := range 3 {
		before = append(before, c.Config(i, 3, onEtcd(from)))
		after = append(after, c.Config(i, 3, onEtcd(to)))
	}
	return before, after
}

// binaryVersion is what `etcd --version` says of the binary at path.
func binaryVersion(path string) string {
	out, err := exec.Command(path, "--version").Output()
	Expect(err).NotTo(HaveOccurred())
	m := regexp.MustCompile(`etcd Version: (\S+)`).FindSubmatch(out)
	Expect(m).NotTo(BeNil(), "%s --version: %s", path, out)
	return string(m[1])
}

// memberVersions are the server versions every endpoint reports.
func memberVersions(cli *clientv3.Client, endpoints []string) []string {
	var out []string
	for _, ep := range endpoints {
		st, err := cli.Status(ctx(), ep)
		if err != nil {
			out = append(out, "error: "+err.Error())
			continue
		}
		out = append(out, st.Version)
	}
	return out
}

// versionAPI is what etcd's version API at endpoint answers.
func versionAPI(endpoint string) map[string]string {
	out, err := exec.Command("curl", "-sS", "--max-time", "3", endpoint+"/version").Output()
	if err != nil {
		return map[string]string{"error": err.Error()}
	}
	v := map[string]string{}
	if err := json.Unmarshal(out, &v); err != nil {
		return map[string]string{"error": string(out)}
	}
	return v
}

// rollTo restarts every node in turn on cfgs (BOSH's rolling deploy: stop,
// start, post-start) under a recorded load, and checks that no acknowledged
// write was lost and the history is linearizable.
func rollTo(c *localcluster.Cluster, what string, cli *clientv3.Client, during func(), cfgs []config.Config) localcluster.LoadResult {
	load := localcluster.StartLoad(localcluster.Via(cli, "plain"), localcluster.LoadOptions{Prefix: what})
	time.Sleep(time.Second) // some history before the first member moves
	if during != nil {
		during()
	}
	started := time.Now()
	for i, cfg := range cfgs {
		By(what + ": restarting " + cfg.MemberName() + " on " + filepath.Base(filepath.Dir(filepath.Dir(cfg.Etcd.EtcdPath))))
		Expect(c.Stop(i)).To(Succeed())
		Expect(c.StartAndWait(cfg)).To(Succeed())
	}
	rolled := time.Since(started)
	time.Sleep(time.Second)
	res, err := load.Stop(ctx(), cli)
	Expect(err).NotTo(HaveOccurred())
	GinkgoWriter.Printf("%s: rolled %d members in %s; load %s: %d operations attempted, %d failed %v, %d acknowledged writes lost, longest stall %s, linearizable: %s\n",
		what, len(cfgs), rolled.Round(time.Millisecond), res.Duration.Round(time.Millisecond), res.Attempted, res.Failed, res.FailedBy,
		len(res.Lost), res.LongestStall.Round(time.Millisecond), res.Linearizable)
	AddReportEntry(what, map[string]any{"rolled": rolled.String(), "duration": res.Duration.String(), "attempted": res.Attempted,
		"failed": res.Failed, "lost": len(res.Lost), "longest_stall": res.LongestStall.String(), "linearizable": res.Linearizable})
	Expect(res.Lost).To(BeEmpty(), "acknowledged writes lost")
	Expect(res.Linearizable).To(Equal("ok"))
	return res
}

// logHas reports whether node index's etcdfab log has a line containing s.
func logHas(c *localcluster.Cluster, index int, s string) bool {
	data, _ := os.ReadFile(filepath.Join(c.NodeDir(index), "etcdfab.log"))
	return strings.Contains(string(data), s)
}

var _ = Describe("moving between etcd minor versions", func() {
	var oldVersion, newVersion string

	BeforeEach(func() {
		oldVersion, newVersion = binaryVersion(previousEtcdPath), binaryVersion(etcdPath)
		Expect(strings.SplitN(oldVersion, ".", 3)[:2]).NotTo(Equal(strings.SplitN(newVersion, ".", 3)[:2]),
			"ETCD_PREVIOUS_BIN (%s) and ETCD_BIN (%s) must be different minors", oldVersion, newVersion)
	})

	It("upgrades a cluster of the previous etcd rolling, under load, losing no acknowledged write", func() {
		c := newCluster(nil)
		before, after := movingConfigs(c, previousEtcdPath, etcdPath)
		startAll(c, before...)
		endpoints := c.Endpoints(after...)
		cli := client(endpoints, nil)
		Expect(memberVersions(cli, endpoints)).To(HaveEach(oldVersion))

		rollTo(c, "upgrade", cli, nil, after)

		Expect(memberVersions(cli, endpoints)).To(HaveEach(newVersion))
		for i := range 3 {
			Expect(logHas(c, i, "upgrade check passed")).To(BeTrue(), "every member checks the upgrade: the cluster runs the old minor until the last one moved")
		}
		newMinor := strings.Join(strings.SplitN(newVersion, ".", 3)[:2], ".") + ".0"
		Eventually(func() string { return versionAPI(endpoints[0])["etcdcluster"] }, "30s", "500ms").Should(Equal(newMinor),
			"the cluster version moves once every member runs the new etcd")
	})

	It("refuses to upgrade a member while another member is down, and upgrades it once that one is back", func() {
		c := newCluster(nil)
		before := configs(c, 3, 0, 1, 2)
		for i := range before {
			onEtcd(previousEtcdPath)(&before[i])
		}
		startAll(c, before...)
		Expect(c.Stop(1)).To(Succeed())

		By("starting member 0 on the new etcd while member 1 is down")
		Expect(c.Stop(0)).To(Succeed())
		upgraded := c.Config(0, 3, onEtcd(etcdPath))
		Expect(c.Start(upgraded)).To(Succeed())
		Eventually(func() string {
			r, _ := c.Status(upgraded)
			return string(r.Phase) + ": " + r.Message
		}, "30s", "200ms").Should(And(HavePrefix("refused"), ContainSubstring("member etcd-1 does not answer"),
			ContainSubstring("needs every member healthy and on 3.6.11 or later")))
		Expect(c.PostStart(0)).NotTo(Succeed(), "post-start fails while start refuses")

		By("bringing member 1 back on the old etcd: member 0 goes on")
		Expect(c.StartAndWait(before[1])).To(Succeed())
		// etcdfab checks again at its next poll; post-start fails at once
		// while the refusal stands, as it does for BOSH.
		Eventually(func() string { r, _ := c.Status(upgraded); return string(r.Phase) }, "30s", "200ms").ShouldNot(Equal("refused"))
		Expect(c.PostStart(0)).To(Succeed())
		cli := client(c.Endpoints(before...), nil)
		Expect(memberVersions(cli, c.Endpoints(before...))).To(Equal([]string{binaryVersion(etcdPath), oldVersion, oldVersion}))
	})

	It("downgrades a cluster to the previous etcd with etcdfab downgrade, under load, losing no acknowledged write", func() {
		c := newCluster(nil)
		before, after := movingConfigs(c, etcdPath, previousEtcdPath)
		startAll(c, before...)
		endpoints := c.Endpoints(before...)
		cli := client(endpoints, nil)
		put(cli, "before-downgrade", "kept")
		snapshot := filepath.Join(c.Dir(), "downgrade", "snapshot.db")
		oldMinor := strings.Join(strings.SplitN(oldVersion, ".", 3)[:2], ".")

		var helper time.Duration
		rollTo(c, "downgrade", cli, func() {
			By("etcdfab downgrade: snapshot, validate, enable, wait for the storage version")
			started := time.Now()
			cmd := exec.Command(etcdfabPath, "downgrade", "-config", c.ConfigPath(0), "-snapshot", snapshot, "-timeout", "2m")
			out, err := cmd.Output()
			helper = time.Since(started)
			Expect(err).NotTo(HaveOccurred(), "etcdfab downgrade: %s %v", out, err)
			Expect(string(out)).To(ContainSubstring("-> " + oldMinor))
			GinkgoWriter.Printf("etcdfab downgrade took %s: %s", helper.Round(time.Millisecond), out)
			for _, ep := range endpoints {
				Expect(versionAPI(ep)).To(And(HaveKeyWithValue("etcdcluster", oldMinor+".0"), HaveKeyWithValue("storage", oldMinor+".0")))
			}
		}, after)
		AddReportEntry("downgrade helper", helper.String())

		Expect(memberVersions(cli, endpoints)).To(HaveEach(oldVersion))
		Expect(localValue(endpoints[2], nil, "before-downgrade")).To(Equal("kept"))
		info, err := os.Stat(snapshot)
		Expect(err).NotTo(HaveOccurred())
		Expect(info.Size()).To(BeNumerically(">", 0))
		Eventually(func() bool {
			st, err := cli.Status(ctx(), endpoints[0])
			return err == nil && (st.DowngradeInfo == nil || !st.DowngradeInfo.Enabled)
		}, "30s", "500ms").Should(BeTrue(), "etcd ends the downgrade once every member runs the old minor")
	})

	It("refuses a downgrade while a member is down, changing nothing", func() {
		c := newCluster(nil)
		cfgs := configs(c, 3, 0, 1, 2)
		startAll(c, cfgs...)
		Expect(c.Stop(2)).To(Succeed())
		snapshot := filepath.Join(c.Dir(), "refused.db")
		out, err := exec.Command(etcdfabPath, "downgrade", "-config", c.ConfigPath(0), "-snapshot", snapshot).CombinedOutput()
		Expect(err).To(HaveOccurred())
		Expect(string(out)).To(ContainSubstring("downgrade only a healthy cluster"))
		Expect(snapshot).NotTo(BeAnExistingFile())
		newMinor := strings.Join(strings.SplitN(newVersion, ".", 3)[:2], ".") + ".0"
		Expect(versionAPI(c.Endpoints(cfgs[0])[0])).To(HaveKeyWithValue("etcdcluster", newMinor))
	})

	It("passes etcd only flags that `etcd --help` of the release's etcd lists, and no --experimental one", func() {
		tlsCerts, err := localcluster.NewTLS()
		Expect(err).NotTo(HaveOccurred())
		c := newCluster(tlsCerts)
		Expect(c.AddHosts(1)).To(Succeed())
		cfg := c.Config(0, 1)
		Expect(c.StartAndWait(cfg)).To(Succeed())

		help, _ := exec.Command(etcdPath, "--help").CombinedOutput()
		var args []string
		f, err := os.Open(filepath.Join(c.NodeDir(0), "etcdfab.log"))
		Expect(err).NotTo(HaveOccurred())
		defer f.Close()
		scanner := bufio.NewScanner(f)
		scanner.Buffer(nil, 1<<20)
		for scanner.Scan() {
			var line struct {
				Message string `json:"message"`
				Data    struct {
					Args []string `json:"args"`
				} `json:"data"`
			}
			if json.Unmarshal(scanner.Bytes(), &line) == nil && line.Message == "started etcd" {
				args = line.Data.Args
			}
		}
		Expect(args).NotTo(BeEmpty(), "etcdfab logs the arguments it started etcd with")
		var flags []string
		for _, a := range args {
			if strings.HasPrefix(a, "--") {
				name, _, _ := strings.Cut(a, "=")
				flags = append(flags, name)
				Expect(name).NotTo(HavePrefix("--experimental"))
				Expect(regexp.MustCompile(`(?m)^\s*`+regexp.QuoteMeta(name)+`\b`).Match(help)).To(BeTrue(), "etcd --help of %s lists %s", etcdPath, name)
			}
		}
		Expect(flags).To(ContainElements("--feature-gates", "--peer-cert-allowed-hostname", "--client-cert-auth"))
	})
})
