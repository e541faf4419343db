package etcdcerts_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	clientv3 "go.etcd.io/etcd/client/v3"
	"gopkg.in/yaml.v3"

	"github.com/cloudfoundry-incubator/etcd-release/src/certset"
	"github.com/cloudfoundry-incubator/etcd-release/src/director"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/certcheck"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/etcdclient"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/localcluster"
	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/etcdaccess"
	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/testdirector"
	"github.com/cloudfoundry-incubator/etcd-release/src/opsfile"
	"github.com/cloudfoundry-incubator/etcd-release/src/vars"
)

const (
	deployment = "etcd"
	suffix     = etcdaccess.Suffix
)

// manifest is what `deploy etcd.yml -o OPS... -l VARS...` sends.
func manifest(ops []string, varsFiles ...string) []byte {
	GinkgoHelper()
	data, err := os.ReadFile(filepath.Join(repo, "manifests", "bosh-lite", "etcd.yml"))
	Expect(err).NotTo(HaveOccurred())
	var doc any
	Expect(yaml.Unmarshal(data, &doc)).To(Succeed())
	for _, name := range ops {
		path := filepath.Join(repo, "manifests", "bosh-lite", "ops", name)
		text, err := os.ReadFile(path)
		Expect(err).NotTo(HaveOccurred())
		parsed, err := opsfile.Parse(path, text)
		Expect(err).NotTo(HaveOccurred())
		doc, err = parsed.Apply(doc)
		Expect(err).NotTo(HaveOccurred())
	}
	src, err := vars.Flags{VarsFiles: varsFiles}.Load()
	Expect(err).NotTo(HaveOccurred())
	doc, err = vars.Interpolate(doc, src, vars.Options{ExpectAll: true})
	Expect(err).NotTo(HaveOccurred())
	out, err := yaml.Marshal(doc)
	Expect(err).NotTo(HaveOccurred())
	return out
}

func deploy(ctx context.Context, m []byte) testdirector.TaskRun {
	GinkgoHelper()
	run, err := bosh.Deploy(ctx, m, director.DeployOptions{})
	Expect(err).NotTo(HaveOccurred())
	return run
}

func ips(ctx context.Context) []string {
	GinkgoHelper()
	var out []string
	for _, m := range members(ctx) {
		out = append(out, m.Address)
	}
	return out
}

func members(ctx context.Context) []certcheck.Member {
	GinkgoHelper()
	instances, err := bosh.Client().Instances(ctx, deployment)
	Expect(err).NotTo(HaveOccurred())
	var out []certcheck.Member
	for _, inst := range instances {
		out = append(out, certcheck.Member{Name: fmt.Sprintf("%s-%d", inst.JobName, inst.Index), Address: inst.IPs[0]})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func load(path string) certset.Set {
	GinkgoHelper()
	set, _, err := certset.Load(path)
	Expect(err).NotTo(HaveOccurred())
	return set
}

// tlsFor presents identity's etcd_client and trusts trust's etcd_ca bundle,
// checking servers against the DNS suffix since it dials them by IP.
func tlsFor(identity, trust certset.Set) *tls.Config {
	GinkgoHelper()
	cfg, err := identity.ClientTLS(trust, suffix)
	Expect(err).NotTo(HaveOccurred())
	return cfg
}

func client(ctx context.Context, scheme string, cfg *tls.Config) *clientv3.Client {
	GinkgoHelper()
	var urls []string
	for _, ip := range ips(ctx) {
		urls = append(urls, scheme+"://"+ip+":2379")
	}
	c, err := etcdclient.NewV3(urls, cfg)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(c.Close)
	return c
}

// row is one line of a run's table.
type row struct {
	stage string
	res   localcluster.LoadResult
}

var table []row

// underLoad runs do while the load runs, then checks and records the load.
func underLoad(ctx context.Context, stage string, route localcluster.Router, readBack clientv3.KV, do func()) localcluster.LoadResult {
	GinkgoHelper()
	l := localcluster.StartLoad(route, localcluster.LoadOptions{Prefix: strings.ReplaceAll(stage, " ", "-")})
	do()
	res, err := l.Stop(ctx, readBack)
	Expect(err).NotTo(HaveOccurred())
	table = append(table, row{stage, res})
	GinkgoWriter.Println(formatRow(row{stage, res}))
	res.WriteFailures(GinkgoWriter)
	// The seed's rotation suite tolerated up to 15 failed operations; the
	// target is none, and the table says how many.
	Expect(res.Violations(localcluster.Bounds{MinRate: 50, MaxFailed: 15})).To(BeEmpty(), "the load of %s", stage)
	return res
}

func formatRow(r row) string {
	failed := r.res.FailedText()
	return fmt.Sprintf("| %s | %s | %d | %s | %d | %s | %s |", r.stage, r.res.Duration.Round(100*time.Millisecond),
		r.res.Attempted, failed, len(r.res.Lost), r.res.LongestStall.Round(10*time.Millisecond), r.res.Linearizable)
}

// printTable prints the runs' rows as a Markdown table.
func printTable() {
	var b strings.Builder
	b.WriteString("| stage | duration | attempted | failed (by cause) | lost | longest stall | linearizable |\n| --- | --- | --- | --- | --- | --- | --- |\n")
	for _, r := range table {
		b.WriteString(formatRow(r) + "\n")
	}
	AddReportEntry("load during each deploy", b.String())
	GinkgoWriter.Print(b.String())
	if path := os.Getenv("ETCDCERTS_TABLE"); path != "" {
		_ = os.WriteFile(path, []byte(b.String()), 0o644)
	}
}

// checkCluster asks every member from the host what it serves and
// accepts against a vars file.
func checkCluster(ctx context.Context, varsFile string) certcheck.Report {
	GinkgoHelper()
	exp, err := certcheck.FromVars(varsFile, certcheck.DefaultPorts)
	Expect(err).NotTo(HaveOccurred())
	report := certcheck.Check(ctx, members(ctx), exp, nil, 5*time.Second)
	var text strings.Builder
	Expect(report.WriteText(&text)).To(Succeed())
	GinkgoWriter.Println(text.String())
	return report
}
